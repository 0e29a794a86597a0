"""Intent accuracy of the trained Rasa model on spoken-style citizen turns written by the project:
the tune set (nlu/eval/spoken_tune.yml, whose errors guided the spoken-style training examples) and
the held-out set (nlu/eval/spoken_heldout.yml, never tuned on), beside the held-in split nlu/test/.

    cd /work/main && .venv/bin/python bench/intent_eval.py [--model models/X.tar.gz]

Loads the current model (`hotline train` first; `make test` does) in the engine environment, parses
every example there (no server needed) and prints accuracy per set and each miss.
"""

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "held-in split (nlu/test)": ROOT / "nlu/test/test_nlu.yml",
    "spoken, tune": ROOT / "nlu/eval/spoken_tune.yml",
    "spoken, held-out": ROOT / "nlu/eval/spoken_heldout.yml",
}


def load_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) of a Rasa NLU yaml file."""
    examples = []
    for block in yaml.safe_load(path.read_text())["nlu"]:
        if "intent" in block:
            examples += [
                (line.strip()[2:].strip(), block["intent"])
                for line in block["examples"].splitlines()
                if line.strip().startswith("- ")
            ]
    return examples


def parse_in_engine(model: Path, texts: list[str]) -> list[str]:
    """Runs in the engine environment (Python 3.10, Rasa): the intent of each text."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all() -> list[str]:
        return [(await agent.parse_message(t))["intent"]["name"] for t in texts]

    return asyncio.run(parse_all())


def parse(model: Path, texts: list[str]) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from runtime.engine_env import ENGINE_ENV, engine_command

    run = subprocess.run(
        engine_command("python", __file__, "--in-engine", str(model)),
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **ENGINE_ENV},
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="model archive (default: the current one under models/)")
    ap.add_argument("--in-engine", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.in_engine:
        print(json.dumps(parse_in_engine(args.in_engine, json.loads(sys.stdin.read()))))
        return
    sys.path.insert(0, str(ROOT))
    from runtime.training import model_path

    model = args.model or model_path(ROOT)
    if not model.exists():
        sys.exit(f"no model at {model}: run `hotline train` first")
    sets = {name: load_examples(path) for name, path in SETS.items()}
    texts = [t for examples in sets.values() for t, _ in examples]
    got = iter(parse(model, texts))
    print(f"model: {model.name}")
    for name, examples in sets.items():
        parsed = itertools.islice(got, len(examples))
        wrong = [(t, want, have) for (t, want), have in zip(examples, parsed, strict=True) if want != have]
        right = len(examples) - len(wrong)
        print(f"\n{name}: {right / len(examples):.1%} ({right}/{len(examples)})")
        for (want, have), n in Counter((w, h) for _, w, h in wrong).most_common():
            print(f"  {want:>13} -> {have:<13} x{n}")
        for text, want, have in wrong:
            print(f"    {want} -> {have}: {text}")


if __name__ == "__main__":
    main()
