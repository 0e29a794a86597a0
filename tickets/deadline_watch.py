"""Deadlines watched: a unit is warned before an order's deadline and alerted when it passed,
and so are the supervisors (and the external ticket system, through the outbox). Each warning
and each alert happens once per deadline (an extension or a reopening sets a new one), even
with several gateways watching."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import utcnow
from tickets.handling import Actor, Outcome, WorkOrderHandling
from tickets.models import Status, WorkOrder

log = logging.getLogger(__name__)
WATCHED = (Status.DISPATCHED.value, Status.IN_PROGRESS.value)
LOOK_AHEAD = timedelta(days=4)  # no warning comes earlier than this before a deadline
WATCHER = Actor("system", "deadlines")
WarningAt = Callable[[str, datetime, datetime], datetime]  # (urgency, dispatched, deadline) -> when to warn


class DeadlineWatch:
    def __init__(
        self,
        engine: Engine,
        handling: WorkOrderHandling,
        warning_at: WarningAt,
        on_change: Callable[[Outcome], Awaitable[None]],
        batch: int = 200,
    ) -> None:
        self.engine, self.handling, self.warning_at, self.on_change, self.batch = (
            engine,
            handling,
            warning_at,
            on_change,
            batch,
        )

    async def run(self, every_s: float = 60.0) -> None:
        """Check until cancelled."""
        while True:
            try:
                await self.check()
            except Exception as exc:  # noqa: BLE001  (the next round tries again)
                log.error("deadline check failed: %s", exc)
            await asyncio.sleep(every_s)

    async def check(self, now: datetime | None = None) -> list[Outcome]:
        """Warn and alert what is due now; returns the events written."""
        now = now or utcnow()
        warn, late = await asyncio.to_thread(self._due, now)
        marked: list[Outcome | None] = []
        for number, when in warn:
            outcome = await asyncio.to_thread(
                self.handling.mark,
                number,
                "deadline_warning",
                WATCHER,
                f"deadline {when}",
                {"deadline_warned_at": now},
                "deadline_warned_at",
                True,
            )
            marked.append(outcome)
        for number in late:
            outcome = await asyncio.to_thread(
                self.handling.mark,
                number,
                "overdue",
                WATCHER,
                None,
                {"overdue_alerted_at": now},
                "overdue_alerted_at",
                True,
            )
            marked.append(outcome)
        done = [o for o in marked if o is not None]
        for outcome in done:
            await self.on_change(outcome)
        if done:
            log.info(
                "deadlines: %d warnings, %d overdue alerts",
                sum(o.action == "deadline_warning" for o in done),
                sum(o.action == "overdue" for o in done),
            )
        return done

    def _due(self, now: datetime) -> tuple[list[tuple[str, str]], list[str]]:
        with Session(self.engine) as session:
            open_orders = col(WorkOrder.status).in_(WATCHED)
            late = session.exec(
                select(WorkOrder.number)
                .where(open_orders, WorkOrder.deadline < now, col(WorkOrder.overdue_alerted_at).is_(None))
                .limit(self.batch)
            ).all()
            soon = session.exec(
                select(WorkOrder)
                .where(
                    open_orders,
                    WorkOrder.deadline >= now,
                    WorkOrder.deadline < now + LOOK_AHEAD,
                    col(WorkOrder.deadline_warned_at).is_(None),
                )
                .limit(self.batch * 5)
            ).all()
        warn = [
            (o.number, o.deadline.isoformat())
            for o in soon
            if self.warning_at(o.urgency, _aware(o.dispatched_at or o.created_at), _aware(o.deadline)) <= now
        ]
        return warn, list(late)


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone (they are UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
