"""Builds the closed loop for the gateway: the handling-unit directory (dispatch at filing, names
for every screen), the actions and their HTTP routes, the follow-up on the citizen's channel,
the deadline watch, the surge watch (未诉先办), and the outbox deliveries (ticket system,
emergency webhook); every change and every surge is told to the supervisors' consoles (the desk
bus)."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from conversation.bus import DESK_TOPIC, BusEvent, EventBus
from conversation.messages import Reply
from conversation.store import ConversationStore
from core.settings import Settings
from followup import routes as followup_routes
from followup.service import FollowUp, PhoneSurveyCalls
from reports import routes as report_routes
from reports.routes import ReportBook
from reports.surges import SurgeWatch
from tickets import handling_routes
from tickets.category_catalog import Category, CategoryCatalog
from tickets.crud import WorkOrderRepository
from tickets.deadline_watch import DeadlineWatch
from tickets.deadlines import add_working_days, deadline_for, warning_at
from tickets.handling import Actor, Outcome, WorkOrderHandling
from tickets.handling_routes import ActorDependency
from tickets.models import OutboxMessage, WorkOrder
from tickets.outbox import OutboxDeliverer, OutboxTarget
from tickets.schemas import WorkOrderCreate
from tickets.units import HandlingUnit, UnitRegistry

log = logging.getLogger(__name__)
# Events the supervisors' consoles hear of (the dispatcher view refreshes on them).
FOR_SUPERVISORS = {"return", "reopened", "extension_requested", "overdue", "deadline_warning", "resolve", "visited",
                   "notified"}  # fmt: skip
NAME_CACHE_S = 300.0


class UnitDirectory:
    """The registry as the gateway uses it: the unit of a new order, and a unit's public form
    ({code, name, level}) for work-order JSON, cached for a few minutes."""

    def __init__(self, registry: UnitRegistry, catalog: CategoryCatalog) -> None:
        self.registry, self.catalog = registry, catalog
        self._cache: dict[str, tuple[float, dict | None]] = {}

    def assign(self, data: WorkOrderCreate) -> str | None:
        category = self.catalog.get(data.category_code) if data.category_code else None
        unit = self.registry.for_order(category, data.district, data.street) if category is not None else None
        return unit.code if unit is not None else None

    def unit_for(self, category: Category, district: str | None, street: str | None) -> dict | None:
        """The public form of the unit the dispatch rule gives a category at a place (referrals)."""
        unit = self.registry.for_order(category, district, street)
        return {"code": unit.code, "name": unit.name, "level": unit.level} if unit is not None else None

    def public(self, code: str) -> dict | None:
        if not code:
            return None
        hit = self._cache.get(code)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        unit = self.registry.get(code)
        value = {"code": unit.code, "name": unit.name, "level": unit.level} if unit is not None else None
        self._cache[code] = (time.monotonic() + NAME_CACHE_S, value)
        return value

    def search(self, q: str | None, level: str | None, district: str | None) -> list[dict]:
        units = self.registry.all(level=level, district=district, active=True)
        return [u.as_dict() for u in units if not q or q in u.code or q in u.name]

    def category_path(self, code: str) -> tuple[str, ...] | None:
        category = self.catalog.get(code)
        return tuple(category.path) if category is not None else None

    def adopt_existing_orders(self) -> int:
        """Orders filed before the registry (only a `department` text) get the unit of that name."""
        unit = (
            select(HandlingUnit.code)
            .where(HandlingUnit.name == WorkOrder.department, col(HandlingUnit.active))
            .limit(1)
            .scalar_subquery()
        )
        known = select(HandlingUnit.name).where(col(HandlingUnit.active))
        stmt = (
            update(WorkOrder)
            .where(col(WorkOrder.unit_code).is_(None), col(WorkOrder.department).in_(known))
            .values(unit_code=unit)
        )
        with Session(self.registry.engine) as session:
            changed = session.exec(stmt).rowcount  # type: ignore[call-overload]
            session.commit()
        return changed

    def exists(self, code: str) -> bool:
        unit = self.registry.get(code)
        return unit is not None and unit.active


def work_orders_with_units(db: Engine, directory: UnitDirectory) -> WorkOrderRepository:
    """The repository every channel files through: dispatched at once to the rules' unit, with
    deadlines in working days."""
    return WorkOrderRepository(db, assign_unit=directory.assign, deadline_for=deadline_for)


class ClosedLoopWiring:
    def __init__(
        self,
        settings: Settings,
        db: Engine,
        http: httpx.AsyncClient,
        bus: EventBus,
        store: ConversationStore,
        deliver: Callable[[str, list[Reply]], Awaitable[None]],
        directory: UnitDirectory,
        work_orders: WorkOrderRepository,
        phone_calls: PhoneSurveyCalls | None = None,
    ) -> None:
        self.settings, self.db, self.http, self.bus = settings, db, http, bus
        self.directory, self.work_orders = directory, work_orders
        self.handling = WorkOrderHandling(db, directory.exists, deadline_for, add_working_days, directory.category_path)
        self.followup = FollowUp(self.handling, store, deliver, directory.public, phone_calls, on_change=self.tell)
        self.watch = DeadlineWatch(db, self.handling, warning_at, self.changed)
        self.surges = SurgeWatch(db, self.surge, directory.catalog)
        self._tasks: list[asyncio.Task] = []

    async def changed(self, outcome: Outcome) -> None:
        """After any action: the follow-up (a resolve tells the citizen), then the consoles."""
        await self.followup.changed(outcome)
        await self.tell(outcome)

    async def tell(self, outcome: Outcome) -> None:
        if outcome.event.kind not in FOR_SUPERVISORS:
            return
        order = outcome.order
        await self.bus.publish(
            DESK_TOPIC,
            {
                "type": BusEvent.WORK_ORDER,
                "event": outcome.event.kind,
                "work_order": order.number,
                "status": order.status,
                "unit": self.directory.public(order.unit_code or ""),
                "conversation_id": order.conversation_id,
            },
        )

    async def surge(self, alert: dict) -> None:
        """A new surge alert: to the supervisors' consoles (the hub forwards it to them only)."""
        await self.bus.publish(DESK_TOPIC, {"type": BusEvent.SURGE, **alert})

    def include(self, app: FastAPI, actor_of: ActorDependency) -> None:
        # What the closed loop's routes read (tickets/handling_routes.py); the orders and units are
        # create_app's (app.state.work_orders, app.state.unit_of).
        app.state.handling, app.state.on_work_order_change = self.handling, self.changed
        app.state.list_units = self.directory.search
        app.include_router(handling_routes.router)
        app.state.db, app.state.on_survey_answer = self.db, self.tell  # /api/followup
        app.include_router(followup_routes.router)

        async def supervisor(authorization: str | None) -> Actor | None:
            try:
                caller = await actor_of(authorization)
            except HTTPException:
                return None  # not a token of ours: the API key may still open the reports
            if caller.kind not in ("supervisor", "api"):
                raise HTTPException(403, "reports need a supervisor account or the API key")
            return caller

        app.state.reports_supervisor = supervisor
        app.state.reports = ReportBook(
            self.db, self.directory.catalog, lambda code: (self.directory.public(code) or {}).get("name")
        )
        app.include_router(report_routes.router)

    async def start(self) -> None:
        """After the tables exist: the built-in units, the deadline watch, the deliveries."""
        added = await asyncio.to_thread(UnitRegistry.ensure_builtin, self.directory.registry)
        if added:
            log.info("handling units: %d built-in units added", added)
        adopted = await asyncio.to_thread(self.directory.adopt_existing_orders)
        if adopted:
            log.info("handling units: %d earlier work orders matched to their unit by name", adopted)
        self._spawn(self.watch.run(self.settings.deadline_check_s), "deadline-watch")
        self._spawn(self.surges.run(self.settings.surge_check_s), "surge-watch")
        s = self.settings
        if s.outbox_url:
            target = OutboxTarget(s.outbox_url, s.outbox_format, api_key=s.outbox_api_key)
            self._spawn(OutboxDeliverer(self.db, target, self.http).run(), "outbox")
            log.info("delivering work-order events to %s (%s)", s.outbox_url, s.outbox_format)
        if s.emergency_webhook:
            target = OutboxTarget(
                s.emergency_webhook,
                "json",
                name="emergency",
                api_key=s.emergency_webhook_key,
                base_backoff_s=0.5,
                max_backoff_s=30.0,
            )
            self._spawn(
                OutboxDeliverer(self.db, target, self.http, on_attempt=self._emergency_attempt).run(0.2),
                "emergency-webhook",
            )
            log.info("pushing emergency work orders to %s", s.emergency_webhook)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def _spawn(self, coro: Any, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    async def _emergency_attempt(self, message: OutboxMessage, order: WorkOrder, error: str | None) -> None:
        """The agents see whether the emergency services got the order."""
        await self.bus.publish(
            DESK_TOPIC,
            {
                "type": BusEvent.EMERGENCY_DELIVERY,
                "work_order": order.number,
                "conversation_id": order.conversation_id,
                "delivered": error is None,
                "error": error,
                "attempts": message.attempts + 1,
            },
        )
