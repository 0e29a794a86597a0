"""Accuracy of the request type that POST /api/classify returns, on real messages and on
operator-written work orders, old way against the request-type model (tickets/request_type.py).

    cd /work/main && .venv/bin/python bench/request_type_eval.py [--C 30] [--cue-scale 0.5]
        [--errors] [--tune-only] [--rasa http://127.0.0.1:5005]

Real messages: bench/data/request_type_labels.csv holds ids and hand labels (how they were made is
in its header) of messages in ../shared/data/gov_messages/ (or $HOTLINE_SHARED_DATA/gov_messages);
the text is subject + a line break + detail. Its split (tune / heldout) was fixed by a hash of the
id before any tuning. Settings were chosen on the tune split only; `--errors` lists the tune
split's errors, never the held-out ones.
Operator orders: bench/data/request_type_operator_orders.yml, written before tuning, never trained
on: orders where the agent names the type (来电咨询, 来电举报 …) and harder ones framed 市民来电反映
whatever the caller wanted (set 1 became tuned-on when its figures led to training examples in that
framing; set 2 was written before them). If the shared data are absent the real-message part says so and is skipped.

The old way: the keyword rule /api/classify used when the dialogue engine gave no request-type
intent (the first of 举报 表扬 建议 咨询 怎么办 求助 帮忙 in the text, else complain). With --rasa, also
the engine's intent (POST /model/parse; HOTLINE_RASA_TOKEN if the server needs one) with that rule
behind it, and the gateway's combination (the intent for short turns, the model otherwise).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tickets.models import REQUEST_TYPES
from tickets.request_type import RequestTypeModel, load_examples

# The shared data beside the project (../shared/data); HOTLINE_SHARED_DATA points elsewhere.
SHARED = Path(os.environ.get("HOTLINE_SHARED_DATA") or ROOT.parent / "shared" / "data") / "gov_messages"
LABELS = ROOT / "bench" / "data" / "request_type_labels.csv"
ORDERS = ROOT / "bench" / "data" / "request_type_operator_orders.yml"
OLD_WORDS = (("report", "举报"), ("praise", "表扬"), ("suggest", "建议"), ("consult", "咨询"),
             ("consult", "怎么办"), ("seek_help", "求助"), ("seek_help", "帮忙"))  # fmt: skip


def old_rule(text: str) -> str:
    return next((kind for kind, word in OLD_WORDS if word in text), "complain")


def read_labels(path: Path = LABELS) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def real_messages(split: str, shared: Path = SHARED) -> list[tuple[str, str, str]]:
    """(id, text, label) of the labelled messages of one split whose text is in the shared files."""
    rows = [r for r in read_labels() if r["split"] == split]
    texts: dict[tuple[str, str], str] = {}
    for name in {r["file"] for r in rows}:
        with (shared / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                texts[(name, row["id"])] = f"{row['subject'].strip()}\n{row['detail'].strip()}"
    return [(r["id"], texts[(r["file"], r["id"])], r["request_type"]) for r in rows if (r["file"], r["id"]) in texts]


def operator_orders(section: str = "orders") -> list[tuple[str, str, str]]:
    """`orders` (the agent names the type), `neutral_orders` or `neutral_orders_2` (framed 市民来电反映
    whatever it is)."""
    data = yaml.safe_load(ORDERS.read_text(encoding="utf-8"))
    return [(str(i), o["text"], o["type"]) for i, o in enumerate(data[section])]


def report(name: str, gold: list[str], predicted: list[str], matrix: bool = False) -> float:
    right = sum(g == p for g, p in zip(gold, predicted, strict=True))
    accuracy = right / len(gold)
    counts = Counter(gold)
    recalls = []
    for kind in REQUEST_TYPES:
        if counts[kind]:
            hit = sum(g == p == kind for g, p in zip(gold, predicted, strict=True))
            recalls.append(f"{kind} {hit / counts[kind]:.0%} ({hit}/{counts[kind]})")
    print(f"  {name:<34} accuracy {accuracy:6.1%}  ({right}/{len(gold)})   " + ", ".join(recalls))
    if matrix:
        kinds = [k for k in REQUEST_TYPES if counts[k] or k in predicted]
        print("    confusion (rows: label, columns: predicted)")
        print("    " + " " * 10 + "".join(f"{k[:9]:>10}" for k in kinds))
        pairs = Counter(zip(gold, predicted, strict=True))
        for g in kinds:
            print("    " + f"{g:<10}" + "".join(f"{pairs[(g, p)]:>10}" for p in kinds))
    return accuracy


def rasa_parser(url: str):
    import httpx

    client = httpx.Client(timeout=30)
    token = os.environ.get("HOTLINE_RASA_TOKEN")

    def parse(text: str) -> str | None:
        resp = client.post(f"{url}/model/parse", params={"token": token} if token else None, json={"text": text})
        resp.raise_for_status()
        return (resp.json().get("intent") or {}).get("name")

    return parse


def evaluate(title: str, items: list[tuple[str, str, str]], model: RequestTypeModel, parse, show_errors: bool) -> None:
    print(f"\n{title}: {len(items)} texts, {dict(Counter(label for _, _, label in items))}")
    gold = [label for _, _, label in items]
    report("old: keyword rule", gold, [old_rule(text) for _, text, _ in items])
    if parse is not None:
        intents = [parse(text) for _, text, _ in items]
        report(
            "old: Rasa intent, else keyword rule",
            gold,
            [i if i in REQUEST_TYPES else old_rule(t) for i, (_, t, _) in zip(intents, items, strict=True)],
        )
        report(
            "new: intent ≤ N chars, else model",
            gold,
            [model.decide(t, i) for i, (_, t, _) in zip(intents, items, strict=True)],
        )
    predicted = [model.predict(text).request_type for _, text, _ in items]
    report("new: request-type model", gold, predicted, matrix=True)
    if show_errors:
        for (key, text, label), guess in zip(items, predicted, strict=True):
            if guess != label:
                print(f"    ✗ {key} {label} → {guess}: {text.splitlines()[0][:50]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--C", type=float, default=None, help="regularisation (default: the model's)")
    parser.add_argument("--cue-scale", type=float, default=None, help="cue feature scale (default: the model's)")
    parser.add_argument("--errors", action="store_true", help="list the tune split's errors")
    parser.add_argument("--tune-only", action="store_true", help="measure the tune split only (while tuning)")
    parser.add_argument("--rasa", help="Rasa server URL, to measure the dialogue engine's intent too")
    args = parser.parse_args()

    settings = {k: v for k, v in (("C", args.C), ("cue_scale", args.cue_scale)) if v is not None}
    started = time.perf_counter()
    model = RequestTypeModel.train(load_examples(), **settings)
    print(
        f"trained on {len(load_examples())} project examples in {time.perf_counter() - started:.1f} s "
        f"(C={args.C or 'default'}, cue_scale={args.cue_scale or 'default'})"
    )
    parse = rasa_parser(args.rasa) if args.rasa else None
    if SHARED.is_dir():
        evaluate("real messages, TUNE split", real_messages("tune"), model, parse, args.errors)
        if not args.tune_only:
            evaluate("real messages, HELD-OUT split", real_messages("heldout"), model, parse, False)
    else:
        print(f"\n{SHARED} is absent: real messages skipped")
    if not args.tune_only:
        evaluate("operator-written orders (held out)", operator_orders(), model, parse, False)
        evaluate(
            "orders framed 市民来电反映, set 1 (its figures were seen before orders_neutral.yml was written)",
            operator_orders("neutral_orders"),
            model,
            parse,
            False,
        )
        evaluate(
            "orders framed 市民来电反映, set 2 (held out)", operator_orders("neutral_orders_2"), model, parse, False
        )
    text = "尊敬的领导：" + "楼下饭馆油烟噪音扰民，多次投诉无果，请问什么时候能解决？" * 20
    model.predict(text)
    started = time.perf_counter()
    for _ in range(50):
        model.predict(text)
    print(f"\none prediction on a {len(text)}-character letter: {(time.perf_counter() - started) / 50 * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
