"""Ticket-system load benchmark on PostgreSQL: work-order create throughput (the real create
path: numbering, event log, outbox row), then filtered-list latency with N work orders stored.

Usage: bench/tickets_load.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--rows 1000000]
The tables are dropped and recreated in that database.
"""

import argparse
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tickets.models  # noqa: F401
from core.db import make_engine, reset_db
from tickets.crud import WorkOrderFilter, WorkOrderRepository
from tickets.schemas import BEIJING_DISTRICTS, WorkOrderCreate

STATUSES = ["accepted", "dispatched", "in_progress", "resolved", "visited", "closed", "returned"]

SEED_SQL = """
INSERT INTO work_order (number, request_type, description, district, street, address, ongoing, contact_phone,
    category_code, category_path, department, urgency, deadline, emergency, status, channel, created_at, updated_at)
SELECT lpad(g::text, 11, '0'),
       (ARRAY['complain','report','seek_help','suggest','praise','consult'])[1 + g % 6],
       '历史工单 ' || g,
       (ARRAY[{districts}])[1 + g % 16],
       NULL, NULL, false, '139' || lpad((g % 100000000)::text, 8, '0'),
       lpad((1 + g % 12)::text, 2, '0') || lpad((1 + g % 4)::text, 2, '0') || '01',
       '[]', '派单中心', (ARRAY['2h','24h','7d','15d'])[1 + g % 4],
       now() - (g % 400) * interval '1 day' + interval '7 day',
       g % 97 = 0,
       (ARRAY[{statuses}])[1 + g % 7], 'web',
       now() - (g % 400) * interval '1 day' - (g % 86400) * interval '1 second',
       now() - (g % 400) * interval '1 day'
FROM generate_series(1, :rows) AS g
"""


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--creates", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    engine = make_engine(args.url)
    engine.pool.dispose()
    reset_db(engine)
    repo = WorkOrderRepository(engine)

    started = time.perf_counter()
    with engine.begin() as conn:
        sql = SEED_SQL.format(
            districts=",".join(f"'{d}'" for d in BEIJING_DISTRICTS), statuses=",".join(f"'{s}'" for s in STATUSES)
        )
        conn.execute(text(sql), {"rows": args.rows})
        conn.execute(text("ANALYZE work_order"))
    print(f"seeded {args.rows:,} work orders in {time.perf_counter() - started:.1f} s")

    def create(i: int) -> None:
        repo.create(
            WorkOrderCreate(
                request_type="complain",
                description=f"压测工单 {i} 楼下噪音扰民",
                district=random.choice(BEIJING_DISTRICTS),
                contact_phone="13812345678",
                category_code="030101",
                urgency="7d",
            ),
            actor="bench",
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        list(pool.map(create, range(args.creates)))
    elapsed = time.perf_counter() - started
    print(
        f"create: {args.creates} work orders with {args.threads} threads in {elapsed:.1f} s"
        f" = {args.creates / elapsed:.0f} creates/s (goal >= 300)"
    )

    filters = [
        lambda: WorkOrderFilter(district=random.choice(BEIJING_DISTRICTS)),
        lambda: WorkOrderFilter(status=["accepted", "dispatched"], district=random.choice(BEIJING_DISTRICTS)),
        lambda: WorkOrderFilter(category=f"{random.randint(1, 12):02d}"),
        lambda: WorkOrderFilter(overdue=True, district=random.choice(BEIJING_DISTRICTS)),
        lambda: WorkOrderFilter(phone=f"139{random.randint(0, 99_999_999):08d}"),
    ]
    latencies: list[float] = []
    for i in range(args.queries):
        flt = filters[i % len(filters)]()
        started = time.perf_counter()
        repo.search(flt, offset=random.choice([0, 50, 500]), limit=50)
        latencies.append(time.perf_counter() - started)
    print(
        f"filtered page of 50 (with total count), {args.queries} queries:"
        f" p50 {percentile(latencies, 50) * 1000:.1f} ms  p95 {percentile(latencies, 95) * 1000:.1f} ms"
        f"  max {max(latencies) * 1000:.1f} ms (goal p95 <= 50 ms)"
    )


if __name__ == "__main__":
    main()
