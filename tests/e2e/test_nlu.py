"""NLU quality on the held-in test split (nlu/test/, never trained on), through the served model,
and `rasa data validate` on the training data."""

import os
import subprocess
from collections import Counter
from pathlib import Path

import httpx
import pytest
import yaml

from runtime.engine_env import ENGINE_ENV
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

ACCURACY_GOAL = 0.95
CONTRACT_INTENTS = {
    "consult", "complain", "report", "seek_help", "suggest", "praise", "greet", "goodbye", "thank", "affirm",
    "deny", "inform", "query_ticket", "request_human", "emergency", "cancel", "chitchat", "out_of_scope",
}  # fmt: skip


def load_examples(path: Path) -> list[tuple[str, str]]:
    examples = []
    for block in yaml.safe_load(path.read_text())["nlu"]:
        if "intent" in block:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    examples.append((line.strip()[2:].strip(), block["intent"]))
    return examples


def test_training_data_covers_every_contract_intent():
    counts = Counter(intent for f in (ROOT / "nlu/data").glob("*.yml") for _, intent in load_examples(f))
    assert set(counts) == CONTRACT_INTENTS
    request_types = {"consult", "complain", "report", "seek_help", "suggest", "praise"}
    assert all(counts[i] >= (40 if i in request_types else 15) for i in CONTRACT_INTENTS), counts


def misses(stack, examples: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(text, expected, got) of each example the served model gets wrong."""
    wrong, auth = [], {"token": stack.secret("rasa_token")}
    with httpx.Client(timeout=10) as client:
        for text, expected in examples:
            got = client.post(f"{stack.rasa}/model/parse", params=auth, json={"text": text}).json()["intent"]["name"]
            if got != expected:
                wrong.append((text, expected, got))
    return wrong


def accuracy_reported(name: str, examples: list, wrong: list, goal: float, report_figure) -> float:
    accuracy = 1 - len(wrong) / len(examples)
    report_figure(
        f"NLU intent accuracy on {name}: {accuracy:.1%} ({len(examples) - len(wrong)}/{len(examples)}), goal {goal:.0%}"
    )
    for text, expected, got in wrong:
        report_figure(f"  {expected:>14} -> {got:<14} {text}")
    return accuracy


def test_intent_accuracy_on_held_in_split(stack, report_figure):
    examples = load_examples(ROOT / "nlu/test/test_nlu.yml")
    assert {intent for _, intent in examples} == CONTRACT_INTENTS
    wrong = misses(stack, examples)
    assert accuracy_reported("the held-in split", examples, wrong, ACCURACY_GOAL, report_figure) >= ACCURACY_GOAL


def test_intent_accuracy_on_spoken_held_out_turns(stack, report_figure):
    """Spoken-style turns never tuned on (nlu/eval/spoken_heldout.yml): 93.6 % (88/94) before the
    spoken-tune examples and the smaller DIET of config.yml, 95.7 % (90/94) after; training is
    seeded and reproduces that figure. The floor is the goal (95 %)."""
    examples = load_examples(ROOT / "nlu/eval/spoken_heldout.yml")
    wrong = misses(stack, examples)
    assert accuracy_reported("spoken held-out turns", examples, wrong, ACCURACY_GOAL, report_figure) >= ACCURACY_GOAL


def test_rasa_data_validate_is_clean():
    result = subprocess.run(
        [
            str(ROOT / ".venv-engine/bin/rasa"),
            "data",
            "validate",
            "--domain",
            "bot/domain",
            "--data",
            "bot/data",
            "nlu/data",
            "--config",
            "config.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **ENGINE_ENV},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    # Rasa 3.6's validator does not know that forms use utter_ask_<slot> responses themselves
    # (rasa/validator.py verify_utterances_in_stories); every other warning is a finding.
    warnings = [line for line in output.splitlines() if "UserWarning" in line and "rasa" in line]
    findings = [w for w in warnings if "The utterance 'utter_ask_" not in w]
    assert findings == []
