"""Knowledge-base search quality on the eval questions (knowledge_base/eval/<topic>.yml).

    cd /work/main && .venv/bin/python bench/kb_eval.py [--tune] [--bm25-only] [--show-errors]

Each eval item is {q: question, id: expected article or null (the KB has no answer)}. The items
are split in two halves by a hash of the question: the TUNING half is the only one `--tune` looks
at (it grid-searches the fusion parameters, then the decision thresholds, and prints them for
knowledge_base/thresholds.py); the HELD-OUT half is only measured. Printed for each half and
overall:

- top-1 / top-3: the expected article is first / among the first three of the ranking
  (answerable questions only; articles not in force are never ranked);
- answered right: decision=answer with the expected article; choose-hit: decision=choose and
  the expected article is among the buttons;
- confident-wrong: decision=answer with a wrong article, or any answer to a null question
  (share of all questions);
- null declined: null questions that got decision=none;
- per-topic top-1 accuracy.
Goals: top-1 >= 90 %, top-3 >= 97 %, confident-wrong <= 2 %.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.clock import utcnow
from knowledge_base.chinese import normalise
from knowledge_base.index import Components, FusionParams, HybridIndex, Scored
from knowledge_base.schema import beijing_today
from knowledge_base.search import decide
from knowledge_base.service import KnowledgeBase
from knowledge_base.thresholds import HYBRID, LEXICAL, Thresholds

EVAL_DIR = ROOT / "knowledge_base" / "eval"
# Confident-wrong allowed on the tuning half: half the goal (2 %), so the held-out half keeps a margin.
MAX_TUNE_WRONG = 0.005


@dataclass
class Item:
    q: str
    want: str | None
    topic: str
    half: str  # tune | held-out


def half_of(question: str) -> str:
    return "tune" if hashlib.sha256(question.encode("utf-8")).digest()[0] % 2 == 0 else "held-out"


def load_eval(directory: Path, known: set[str]) -> list[Item]:
    items: list[Item] = []
    for path in sorted(directory.glob("*.yml")):
        for n, entry in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            if not isinstance(entry, dict) or not str(entry.get("q") or "").strip():
                print(f"  ! {path.name} item {n}: no question; skipped")
                continue
            want = entry.get("id")
            if want is not None and want not in known:
                print(f"  ! {path.name} item {n}: expected article {want!r} is not loaded; skipped")
                continue
            q = str(entry["q"]).strip()
            items.append(Item(q, want, path.stem, half_of(q)))
    return items


class Scores:
    """Raw per-question score components, computed once (the dense query embedding is the cost)."""

    def __init__(self, index: HybridIndex, items: list[Item], dense: bool, mask: np.ndarray) -> None:
        started = time.perf_counter()
        parts = [index.components(normalise(it.q), dense) for it in items]
        self.seconds = time.perf_counter() - started
        self.comp = Components(
            [np.stack([p.raw[f] for p in parts]) for f in range(3)],
            [np.array([[p.known[f]] for p in parts]) for f in range(3)],
            [np.array([[p.unknown[f]] for p in parts]) for f in range(3)],
            np.stack([p.dense for p in parts]) if dense and index.dense else None,
        )
        self.mask = mask
        self.index = index

    def subset(self, rows: list[int]) -> Scores:
        sub = Scores.__new__(Scores)
        c = self.comp
        sub.comp = Components(
            [r[rows] for r in c.raw],
            [k[rows] for k in c.known],
            [u[rows] for u in c.unknown],
            c.dense[rows] if c.dense is not None else None,
        )
        sub.mask, sub.index, sub.seconds = self.mask, self.index, 0.0
        return sub

    def fused(self, params: FusionParams) -> np.ndarray:
        f, _ = HybridIndex.fuse(params, self.comp)
        return np.where(self.mask[None, :], f, -1.0)


def ranking(fused: np.ndarray, k: int = 4) -> np.ndarray:
    return np.argsort(-fused, axis=1, kind="stable")[:, :k]


def evaluate(items: list[Item], comp: Scores, params: FusionParams, th: Thresholds) -> list[dict]:
    fused = comp.fused(params)
    order = ranking(fused)
    ids = [a.id for a in comp.index.articles]
    rows = []
    for i, it in enumerate(items):
        scored = [Scored(comp.index.articles[j], float(fused[i, j]), 0.0, None) for j in order[i] if fused[i, j] >= 0]
        out = decide(scored, th, 3)
        ranked = [ids[j] for j in order[i][:3]]
        got = [s.article.id for s in out.results]
        rows.append(
            {
                "item": it,
                "top1": ranked[0] == it.want,
                "top3": it.want in ranked,
                "decision": out.decision,
                "right": out.decision == "answer" and got[0] == it.want and it.want is not None,
                "choose_hit": out.decision == "choose" and it.want in got,
                "wrong": out.decision == "answer" and (it.want is None or got[0] != it.want),
                "ranked": [(ids[j], round(float(fused[i, j]), 3)) for j in order[i][:3]],
                "got": got,
            }
        )
    return rows


def summary(rows: list[dict]) -> dict:
    ans = [r for r in rows if r["item"].want is not None]
    nul = [r for r in rows if r["item"].want is None]

    def share(xs: list, key: str) -> float:
        return sum(r[key] for r in xs) / len(xs) if xs else float("nan")

    return {
        "n": len(rows),
        "answerable": len(ans),
        "null": len(nul),
        "top1": share(ans, "top1"),
        "top3": share(ans, "top3"),
        "right": share(ans, "right"),
        "choose_hit": share(ans, "choose_hit"),
        "wrong": share(rows, "wrong"),
        "null_declined": sum(r["decision"] == "none" for r in nul) / len(nul) if nul else float("nan"),
    }


def print_report(rows: list[dict], show_errors: bool) -> None:
    print(
        f"\n{'part':10} {'n':>4} {'ans':>4} {'null':>4} {'top-1':>7} {'top-3':>7} {'answered':>9} "
        f"{'choose-hit':>10} {'conf-wrong':>10} {'null-declined':>13}"
    )
    for part in ("tune", "held-out", "overall"):
        s = summary([r for r in rows if part == "overall" or r["item"].half == part])
        print(
            f"{part:10} {s['n']:4d} {s['answerable']:4d} {s['null']:4d} {s['top1']:7.1%} {s['top3']:7.1%} "
            f"{s['right']:9.1%} {s['choose_hit']:10.1%} {s['wrong']:10.1%} {s['null_declined']:13.1%}"
        )
    print("\nper topic (top-1 of answerable, tune / held-out / all; n):")
    topics: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        topics[r["item"].topic].append(r)
    for topic, rs in sorted(topics.items()):
        parts = [summary([r for r in rs if p == "all" or r["item"].half == p]) for p in ("tune", "held-out", "all")]
        print(
            f"  {topic:22} {parts[0]['top1']:6.1%} {parts[1]['top1']:6.1%} {parts[2]['top1']:6.1%}  "
            f"n={parts[2]['answerable']:3d} conf-wrong={parts[2]['wrong']:.1%}"
        )
    if show_errors:
        print("\nmisses (expected, decision, ranking):")
        for r in rows:
            if not r["top1"] or r["wrong"] or (r["item"].want is None and r["decision"] != "none"):
                if r["item"].want is None and r["decision"] == "none":
                    continue
                print(f"  [{r['item'].half}] {r['item'].q} -> want {r['item'].want}, {r['decision']} {r['ranked']}")


def tune(items: list[Item], comp: Scores, base: FusionParams, th: Thresholds) -> tuple[FusionParams, Thresholds]:
    tune_items = [i for i, it in enumerate(items) if it.half == "tune"]
    sub = comp.subset(tune_items)
    its = [items[i] for i in tune_items]
    want = np.array([comp.index.by_id.get(it.want, -1) if it.want else -1 for it in its])
    answerable = want >= 0
    best, best_key = base, (-1.0,)
    dense_grid = [
        (dw, lo, hi) for dw in (0.3, 0.45, 0.6, 0.75) for lo, hi in ((0.78, 0.94), (0.82, 0.95), (0.86, 0.96))
    ]
    a_grid = np.arange(0.20, 0.90, 0.02)[:, None, None]
    g_grid = np.array([0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.14])[None, :, None]
    for bw, gw, oov, (dw, lo, hi) in itertools.product(
        (0.3, 0.5, 0.7, 1.0, 1.4),
        (0.3, 0.6, 1.0, 1.5),
        (0.3, 0.6, 1.0),
        dense_grid if sub.comp.dense is not None else [(0, 0.8, 0.9)],
    ):
        p = replace(base, body_weight=bw, gram_weight=gw, oov_weight=oov, dense_weight=dw, dense_lo=lo, dense_hi=hi)
        fused = sub.fused(p)
        order = ranking(fused, 3)
        rows = np.arange(len(its))
        top, second = fused[rows, order[:, 0]], fused[rows, order[:, 1]]
        correct = order[:, 0] == want
        top1, top3 = correct[answerable].mean(), (order == want[:, None]).any(axis=1)[answerable].mean()
        answer = (top >= a_grid) & (top - second >= g_grid)  # thresholds x gaps x questions
        wrong = (answer & ~correct).mean(axis=2)
        right = (answer & correct).sum(axis=2) / max(1, answerable.sum())
        safe = float(np.where(wrong <= MAX_TUNE_WRONG, right, 0.0).max())
        if (key := (round(top1 + 0.5 * top3 + safe, 6),)) > best_key:
            best, best_key = p, key
    print(f"fusion chosen on the tuning half: {best}")
    fused = sub.fused(best)
    order = ranking(fused)
    top = fused[np.arange(len(its)), order[:, 0]]
    second = fused[np.arange(len(its)), order[:, 1]]
    correct = order[:, 0] == want
    best_th, best_u = th, -1e9
    for a_min, gap, c_min, window in itertools.product(
        np.arange(0.20, 0.90, 0.02),
        (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.14),
        np.arange(0.12, 0.70, 0.04),
        (0.06, 0.1, 0.15, 0.2),
    ):
        if c_min > a_min or window < gap:
            continue
        answer = (top >= a_min) & (top - second >= gap)
        wrong = answer & ~correct
        choose = ~answer & (top >= c_min) & (top - second <= window)
        declined = ~answer & ~choose
        utility = (
            (answer & correct).sum()
            - 6 * wrong.sum()
            + 0.5 * (choose & answerable).sum()
            - 0.3 * (choose & ~answerable).sum()
            + (declined & ~answerable).sum()
        )
        if wrong.mean() <= MAX_TUNE_WRONG and utility > best_u:
            best_th, best_u = Thresholds(round(float(a_min), 2), gap, round(float(c_min), 2), window), utility
    print(f"thresholds chosen on the tuning half: {best_th}")
    return best, best_th


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tune", action="store_true", help="grid-search fusion and thresholds on the tuning half")
    ap.add_argument("--bm25-only", action="store_true", help="measure without the dense model")
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args()
    started = time.perf_counter()
    kb = KnowledgeBase(
        ROOT / "knowledge_base" / "articles", cache_dir=ROOT / "var" / "cache" / "kb", dense=not args.bm25_only
    )
    snap = kb.reload()
    print(
        f"knowledge base: {len(snap.index)} articles ({len(snap.errors)} bad files), dense={snap.index.dense}, "
        f"built in {time.perf_counter() - started:.1f} s"
    )
    for path, reason in snap.errors:
        print(f"  ! {path}: {reason}")
    items = load_eval(EVAL_DIR, set(snap.index.by_id) | set(snap.known))
    mask = snap.index.in_force_mask(beijing_today(utcnow()))
    comp = Scores(snap.index, items, snap.index.dense, mask)
    print(
        f"{len(items)} eval questions ({sum(i.half == 'tune' for i in items)} tuning, "
        f"{sum(i.half == 'held-out' for i in items)} held-out); scoring took {comp.seconds:.1f} s"
    )
    params, th = snap.index.params, (HYBRID if snap.index.dense else LEXICAL)
    if args.tune:
        params, th = tune(items, comp, params, th)
    print(f"\nfusion: {params}\nthresholds: {th}")
    print_report(evaluate(items, comp, params, th), args.show_errors)


if __name__ == "__main__":
    main()
