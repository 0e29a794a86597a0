"""Emergency safety net: recall per service and false alarms on realistic non-emergencies.

Two splits, both written fresh for this project by different writers (safety/data/):
- tuning split (`emergency_tune*.yml`): the detector is trained on it and its settings were
  chosen on its 5-fold out-of-fold scores (`--tune` prints the threshold grid); its figures here
  are out of fold too, so they say how well the settings generalise within the split;
- held-out split (`emergency_heldout.yml`): never used to train or to choose anything.

    .venv/bin/python bench/emergency_eval.py              # both splits, text + e5 (as the gateway)
    .venv/bin/python bench/emergency_eval.py --text-only  # without the e5 view (HOTLINE_KB_DENSE=false)
    .venv/bin/python bench/emergency_eval.py --tune       # threshold grid on the tuning split
    .venv/bin/python bench/emergency_eval.py --show-misses
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import PROJECT_ROOT
from safety.cues import SERVICES
from safety.detector import (
    HELDOUT_DATA,
    EmergencyDetector,
    Example,
    load_examples,
    load_tuning_split,
)

FOLDS = 5
RECALL_GOAL, FALSE_ALARM_GOAL = 0.98, 0.05
EVAL_VECTORS = PROJECT_ROOT / "var" / "cache" / "safety-eval"


def embedding(text_only: bool):
    """(embed, save): the e5 passages through a vector cache (None for text only)."""
    if text_only:
        return None, lambda: None
    from knowledge_base.embeddings import E5Embedder, VectorCache

    embedder = E5Embedder.shared(2)
    cache = VectorCache(EVAL_VECTORS, embedder.model_id)
    return (lambda texts: cache.embed(embedder, texts)[0]), cache.save


def folds(examples: list[Example], k: int = FOLDS, seed: int = 12345) -> list[list[int]]:
    """Stratified by label (services or none), shuffled with a fixed seed."""
    rng = np.random.default_rng(seed)
    by_label: dict[tuple[str, ...], list[int]] = {}
    for i, e in enumerate(examples):
        by_label.setdefault(e.services, []).append(i)
    out: list[list[int]] = [[] for _ in range(k)]
    for idx in by_label.values():
        for j, i in enumerate(rng.permutation(idx)):
            out[j % k].append(int(i))
    return out


def out_of_fold(examples: list[Example], embed, threshold: float | None = None) -> list:
    """Decisions for every example from a detector trained on the other folds."""
    decisions: list = [None] * len(examples)
    for fold in folds(examples):
        held = set(fold)
        detector = EmergencyDetector.train([e for i, e in enumerate(examples) if i not in held], embed, threshold)
        for i in fold:
            decisions[i] = detector(examples[i].text)
    return decisions


def report(name: str, examples: list[Example], decisions: list, show_misses: bool) -> dict:
    print(f"\n== {name}: {len(examples)} messages ==")
    emergencies = [(e, d) for e, d in zip(examples, decisions, strict=True) if e.services]
    calm = [(e, d) for e, d in zip(examples, decisions, strict=True) if not e.services]
    recall = sum(d.emergency for _, d in emergencies) / max(1, len(emergencies))
    false_alarms = sum(d.emergency for _, d in calm) / max(1, len(calm))
    print(f"{'service':<10}{'n':>5}{'recall':>9}{'right number':>15}")
    for service in SERVICES:
        rows = [(e, d) for e, d in emergencies if service in e.services]
        hit = sum(d.emergency for _, d in rows)
        named = sum(d.emergency and service in d.services for _, d in rows)
        print(f"{service:<10}{len(rows):>5}{hit / max(1, len(rows)):>9.1%}{named / max(1, len(rows)):>15.1%}")
    print(f"{'all':<10}{len(emergencies):>5}{recall:>9.1%}   (goal >= {RECALL_GOAL:.0%})")
    print(f"false alarms on {len(calm)} non-emergencies: {false_alarms:.1%}   (goal <= {FALSE_ALARM_GOAL:.0%})")
    by = {}
    for _, d in emergencies:
        if d.emergency:
            by[d.by] = by.get(d.by, 0) + 1
    print("decided by: " + ", ".join(f"{k} {v}" for k, v in sorted(by.items())))
    if show_misses:
        for e, d in emergencies:
            if not d.emergency:
                print(f"  MISS {'+'.join(e.services)} p={d.score:.2f}: {e.text}")
        for e, d in calm:
            if d.emergency:
                print(f"  FALSE ALARM {','.join(d.services)} ({d.reason()}): {e.text}")
    return {"recall": recall, "false_alarms": false_alarms}


def tune(examples: list[Example], embed) -> None:
    """Out-of-fold recall and false alarms over thresholds (tuning split only)."""
    scores = np.zeros(len(examples))
    for fold in folds(examples):
        held = set(fold)
        detector = EmergencyDetector.train([e for i, e in enumerate(examples) if i not in held], embed)
        scores[fold] = detector.probability([examples[i].text for i in fold])
    y = np.array([bool(e.services) for e in examples])
    print(f"{'threshold':>10}{'recall':>9}{'false al.':>11}")
    for threshold in (0.15, 0.2, 0.25, 0.3, 0.33, 0.35, 0.4, 0.45, 0.5):
        print(f"{threshold:>10.2f}{np.mean(scores[y] >= threshold):>9.1%}{np.mean(scores[~y] >= threshold):>11.1%}")
    for recall in (1.0, 0.995, 0.99, 0.98):
        threshold = np.sort(scores[y])[int((1 - recall) * y.sum())]
        print(
            f"recall {recall:.1%} out of fold at threshold {threshold:.3f}: false alarms "
            f"{np.mean(scores[~y] >= threshold):.1%}"
        )


def latency(detector: EmergencyDetector, texts: list[str]) -> None:
    times = []
    for text in texts * 3:
        started = time.perf_counter()
        detector(text)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"\nlatency per message: p50 {statistics.median(times):.2f} ms, p95 {p95:.2f} ms ({len(times)} calls)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true", help="print the threshold grid on the tuning split")
    parser.add_argument("--text-only", action="store_true", help="without the e5 view")
    parser.add_argument("--show-misses", action="store_true", help="print missed emergencies and false alarms")
    args = parser.parse_args()
    tune_set = load_tuning_split()
    embed, save = embedding(args.text_only)
    heldout = load_examples(HELDOUT_DATA) if HELDOUT_DATA.exists() else []
    if embed is not None:  # one pass over every text, then the folds only look vectors up
        embed([e.text for e in tune_set + heldout])
        save()
    if args.tune:
        tune(tune_set, embed)
        return
    started = time.perf_counter()
    detector = EmergencyDetector.train(tune_set, embed)
    print(
        f"view: {'text + e5' if embed else 'text only'}; threshold {detector.threshold} "
        f"(chosen on the tuning split, out of fold); trained in {time.perf_counter() - started:.2f} s"
    )
    report("tuning split, 5-fold out-of-fold", tune_set, out_of_fold(tune_set, embed), args.show_misses)
    if not heldout:
        print("held-out split missing: safety/data/emergency_heldout.yml")
        return
    figures = report("held-out split (never tuned on)", heldout, [detector(e.text) for e in heldout], args.show_misses)
    if embed is not None:
        from knowledge_base.embeddings import E5Embedder

        detector.embed = E5Embedder.shared(2).passages  # latency as in the gateway: no cache
    latency(detector, [e.text for e in heldout[:200]])
    ok = figures["recall"] >= RECALL_GOAL and figures["false_alarms"] <= FALSE_ALARM_GOAL
    print(
        f"\nheld-out goal (recall >= {RECALL_GOAL:.0%}, false alarms <= {FALSE_ALARM_GOAL:.0%}): "
        f"{'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
