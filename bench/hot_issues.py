"""Hot-issue mining (每月一题) benchmark: wall time and peak memory (RSS of the miner and of its
worker processes) on

- 4,326 real messages: the 2,816 dated messages of ../shared/data/gov_messages/teddy2020_replies.csv
  and the first 1,510 of teddy2020_dev.csv (undated: they get times spread over the replies'
  period, seeded), the size of the contest's hot-issue attachment (附件3, not in shared/data);
- 100,000 generated messages (reports/synthetic.py) with three planted issues, checked to come
  out on top with exactly their messages;

each in a fresh process pinned to at most 2 cores; then the top 10 issues of the replies file
alone, for a person to judge.

Usage: bench/hot_issues.py [--synthetic 100000] [--real-only] [--top 10]
"""

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reports.issue_mining import Message, mine
from reports.synthetic import Planted, stream

DATA = ROOT / ".." / "shared" / "data" / "gov_messages"
REPLIES, DEV = DATA / "teddy2020_replies.csv", DATA / "teddy2020_dev.csv"
REAL_SIZE = 4326
END = datetime(2026, 3, 31, 12, 0)
PLANTED = [
    Planted("丽发新城小区", "mixing_noise", 120, days=10),
    Planted("丽发新城小区", "water_cut", 80, days=2),
    Planted("金帆小学", "tuition", 60, days=20),
]


def replies() -> list[Message]:
    with REPLIES.open(encoding="utf-8") as handle:
        return [
            Message(
                id=r["id"],
                text=f"{r['subject']}。{r['detail']}",
                person=f"id:{r['id']}",
                time=datetime.fromisoformat(r["time"].strip()),
            )
            for r in csv.DictReader(handle)
        ]


def real_messages() -> list[Message]:
    dated = replies()
    first, last = min(m.time for m in dated), max(m.time for m in dated)
    rng = random.Random(4326)
    with DEV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[: REAL_SIZE - len(dated)]
    undated = [
        Message(
            id=f"dev-{r['id']}",
            text=f"{r['subject']}。{r['detail']}",
            person=f"dev:{r['id']}",
            time=first + (last - first) * rng.random(),
        )
        for r in rows
    ]
    return dated + undated


def measure(kind: str, size: int) -> dict:
    """Runs in a child process: build the input, mine it, report time and peak RSS."""
    messages = real_messages() if kind == "real" else stream(size, PLANTED, END, days=30).messages
    started = time.perf_counter()
    issues = mine(messages, top=10)
    seconds = time.perf_counter() - started
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "kind": kind,
        "messages": len(messages),
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_self),
        "worker_peak_rss_mb": round(peak_workers),
        "issues": len(issues),
    }
    if kind == "synthetic":
        planted = stream(size, PLANTED, END, days=30).planted
        tops = [set(i["message_ids"]) for i in issues[: len(PLANTED)]]
        result["planted_on_top"] = sum(set(ids) in tops for ids in planted.values())
    return result


def child(kind: str, size: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(size)],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", type=int, default=100_000, help="generated messages (default 100000)")
    parser.add_argument("--real-only", action="store_true", help="skip the generated stream")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))[:2]
    os.sched_setaffinity(0, cores)  # children inherit it
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]))))
        return 0
    if not REPLIES.exists() or not DEV.exists():
        print(f"skipped: {DATA} is absent (the shared contest data; see its README)")
        return 0
    print(f"hot-issue mining on {len(cores)} cores (jieba, scikit-learn TF-IDF, SciPy average linkage)")
    runs = [("real", REAL_SIZE)] + ([] if args.real_only else [("synthetic", args.synthetic)])
    for kind, size in runs:
        r = child(kind, size)
        extra = f", planted issues on top {r['planted_on_top']}/{len(PLANTED)}" if "planted_on_top" in r else ""
        print(
            f"  {kind:9} {r['messages']:>7,} messages: {r['seconds']:6.1f} s, peak RSS {r['peak_rss_mb']} MB "
            f"(workers {r['worker_peak_rss_mb']} MB){extra}"
        )
    print(f"\ntop {args.top} issues of {REPLIES.name} (2,816 dated messages), for a person to judge:")
    for issue in mine(replies(), top=args.top):
        ids = ", ".join(issue["message_ids"][:6]) + (" …" if issue["count"] > 6 else "")
        print(f"{issue['rank']:>3}. [{issue['heat']:6.2f}] {issue['title']}")
        print(
            f"       地点 {issue['place']} · {issue['count']} 条 · {issue['first']:%Y-%m-%d} – {issue['last']:%Y-%m-%d}"
            f" · 关键词 {'、'.join(issue['keywords'])} · 编号 {ids}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
