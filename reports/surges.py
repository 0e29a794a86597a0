"""Surges (未诉先办): one problem at one place rising above its own baseline.

A work order's key is (district, place, category): the place is the one its address or
description names (reports/place_words.py: an estate, a road, a school …), else its street; the
problem is its category code (orders without one are not watched). Every `scan(now)`:

1. counts the orders of each key created in the window [now - window, now);
2. for the keys with at least `min_count` orders, counts the same key's orders over the
   `baseline_days` before the window and turns that into an expected count per window
   (λ, at least `floor_per_day` per day, so that a key never seen before needs a real cluster);
3. raises an alert when P(X ≥ count | Poisson(λ)) < `alpha`.

An alert is stored once in `surge_alert` (one per key and Beijing day, whatever the number of
gateways scanning: the dedup key is unique) together with an outbox event (`surge.detected`,
target `supervisors`, attached to the latest order of the surge) in the same transaction; then
`alert_callback(alert)` is awaited (the closed loop publishes it to the supervisors' consoles).
"""

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.clock import utcnow
from reports.models import SurgeAlert
from reports.place_words import tokenize
from reports.service import beijing_today
from tickets.category_catalog import CategoryCatalog
from tickets.models import OutboxMessage, WorkOrder

log = logging.getLogger(__name__)
WO = WorkOrder.__table__
AlertCallback = Callable[[dict[str, Any]], Awaitable[None]]
Key = tuple[str | None, str, str]  # (district, place key, category code)


@dataclass(frozen=True)
class _Order:
    id: int
    number: str
    key: Key
    place: str
    created_at: datetime


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite


class SurgeWatch:
    def __init__(
        self,
        engine: Engine,
        alert_callback: AlertCallback | None = None,
        catalog: CategoryCatalog | None = None,
        window: timedelta = timedelta(hours=3),
        baseline_days: int = 7,
        min_count: int = 3,
        alpha: float = 1e-3,
        floor_per_day: float = 0.5,
    ) -> None:
        self.engine, self.alert_callback = engine, alert_callback
        self.catalog = catalog or CategoryCatalog.load()
        self.window, self.baseline_days, self.min_count = window, baseline_days, min_count
        self.alpha, self.floor_per_day = alpha, floor_per_day
        self._keys: dict[int, tuple[Key, str] | None] = {}  # order id -> (key, place) of the window's orders

    async def run(self, interval_s: float) -> None:
        """Scan every interval_s seconds until cancelled (the first after one interval: a
        starting gateway has other work); tell the callback of each new alert."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                alerts = await asyncio.to_thread(self.scan)
            except Exception:
                log.exception("surge watch: scan failed")
                alerts = []
            for alert in alerts:
                log.info(
                    "surge: %s %s %s: %d orders (baseline %.2f)",
                    alert["district"],
                    alert["place"],
                    alert["category_code"],
                    alert["count"],
                    alert["baseline"],
                )
                if self.alert_callback is not None:
                    await self.alert_callback(alert)

    def scan(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """The new alerts (already stored) of the window ending at now."""
        from scipy.stats import poisson

        now = now or utcnow()
        start = now - self.window
        recent, seen = self._orders(start, now)
        self._keys = {i: self._keys[i] for i in seen}  # older orders are keyed again only when needed
        groups: dict[Key, list[_Order]] = defaultdict(list)
        for order in recent:
            groups[order.key].append(order)
        alerts = []
        for key, orders in groups.items():
            if len(orders) < self.min_count:
                continue
            before, _ = self._orders(start - timedelta(days=self.baseline_days), start, key[2], key[0])
            past = [o for o in before if o.key == key]
            windows = self.baseline_days * timedelta(days=1) / self.window
            expected = max(len(past) / windows, self.floor_per_day * self.window / timedelta(days=1))
            if poisson.sf(len(orders) - 1, expected) >= self.alpha:
                continue
            alert = self._store(key, orders, len(past) / windows, start, now)
            if alert is not None:
                alerts.append(alert)
        return alerts

    def _orders(
        self, start: datetime, end: datetime, category: str | None = None, district: str | None = None
    ) -> tuple[list[_Order], list[int]]:
        """The keyed orders created in [start, end) (of one category and district when given),
        and the ids of all the orders read."""
        query = select(
            WO.c.id,
            WO.c.number,
            WO.c.description,
            WO.c.address,
            WO.c.street,
            WO.c.district,
            WO.c.category_code,
            WO.c.created_at,
        ).where(WO.c.created_at >= start, WO.c.created_at < end, WO.c.category_code.is_not(None))
        if category is not None:
            query = query.where(WO.c.category_code == category)
            query = query.where(WO.c.district == district if district else WO.c.district.is_(None))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        out = []
        for row in rows:
            if row.id not in self._keys:
                text = "。".join(part for part in (row.address, row.description) if part)
                tokens = tokenize(text, row.street)
                self._keys[row.id] = (
                    ((row.district, tokens.place_key, row.category_code), tokens.place) if tokens.place_key else None
                )
            known = self._keys[row.id]
            if known is not None:
                out.append(_Order(row.id, row.number, known[0], known[1], _aware(row.created_at)))
        return out, [row.id for row in rows]

    def _store(
        self, key: Key, orders: list[_Order], baseline: float, start: datetime, end: datetime
    ) -> dict[str, Any] | None:
        district, place_key, code = key
        day = beijing_today(end).isoformat()
        digest = hashlib.sha256("|".join((district or "", place_key, code)).encode()).hexdigest()[:40]
        orders = sorted(orders, key=lambda o: (o.created_at, o.number))
        places = [o.place for o in orders]
        alert = SurgeAlert(
            dedup_key=f"{day}:{digest}",
            district=district,
            place=max(set(places), key=places.count),
            category_code=code,
            category=" / ".join(self.catalog.path_of(code)) or None,
            count=len(orders),
            baseline=round(baseline, 3),
            window_start=start,
            window_end=end,
            work_orders=[o.number for o in orders],
        )
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                if session.exec(select(SurgeAlert.id).where(SurgeAlert.dedup_key == alert.dedup_key)).first():
                    return None  # alerted already today
                session.add(alert)
                session.flush()
                body = alert.to_json()
                session.add(
                    OutboxMessage(
                        work_order_id=orders[-1].id,
                        idempotency_key=f"surge:{alert.dedup_key}"[:64],
                        event="surge.detected",
                        target="supervisors",
                        payload=body,
                    )
                )
                session.commit()
        except IntegrityError:
            return None  # another gateway stored it first
        return body


def recent_surges(engine: Engine, since: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """The stored alerts raised since `since`, newest first."""
    query = (
        select(SurgeAlert)
        .where(SurgeAlert.created_at >= since)
        .order_by(SurgeAlert.created_at.desc(), SurgeAlert.id.desc())
        .limit(limit)
    )
    with Session(engine) as session:
        return [alert.to_json() for alert in session.exec(query)]
