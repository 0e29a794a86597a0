"""Create, change and query work orders. Each write is one transaction that also appends to the
work order's event log."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.db import saved_id
from tickets.handling import RESPONSE_LIMITS
from tickets.lifecycle import OPEN_STATUSES, WorkOrderNotFound
from tickets.models import Open311Submission, OutboxMessage, Status, WorkOrder, WorkOrderEvent
from tickets.numbering import next_number
from tickets.schemas import WorkOrderCreate, clock_deadline

COUNT_CAP = 10_000


@dataclass(frozen=True)
class WorkOrderFilter:
    status: list[str] | None = None
    district: str | None = None
    category: str | None = None  # a code prefix: "01" matches all of 城乡建设
    request_type: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    overdue: bool | None = None
    phone: str | None = None
    conversation_id: str | None = None
    numbers: list[str] | None = None
    categories: list[str] | None = None  # any of these code prefixes
    unit: str | None = None  # a handling unit's code
    extension_requested: bool | None = None  # a unit asked for more time


class WorkOrderRepository:
    def __init__(
        self,
        engine: Engine,
        assign_unit: Callable[[WorkOrderCreate], str | None] | None = None,
        deadline_for: Callable[[str, datetime], datetime] = clock_deadline,
    ) -> None:
        """assign_unit: the handling unit of a new order (its code), or None when a supervisor
        must dispatch it by hand; deadline_for: (urgency, received) -> deadline."""
        self.engine, self.assign_unit, self.deadline_for = engine, assign_unit, deadline_for

    def create(self, data: WorkOrderCreate, actor: str, submission: Open311Submission | None = None) -> WorkOrder:
        """The work order, its first event, its outbox row (and what an Open311 POST carried
        besides), in one transaction."""
        now = utcnow()
        attempts_left = 3
        while True:
            try:
                return self._insert(data, actor, next_number(self.engine, now), now, submission)
            except IntegrityError:  # a number handed out twice (counter lost after a crash): take the next
                attempts_left -= 1
                if not attempts_left:
                    raise

    def _insert(
        self, data: WorkOrderCreate, actor: str, number: str, now: datetime, submission: Open311Submission | None
    ) -> WorkOrder:
        unit = self.assign_unit(data) if self.assign_unit is not None else None
        with Session(self.engine, expire_on_commit=False) as session:
            order = WorkOrder(
                **data.model_dump(),
                number=number,
                deadline=self.deadline_for(data.urgency, now),
                created_at=now,
                updated_at=now,
            )
            if unit is not None:  # dispatched at once to the unit the rules name
                order.status, order.unit_code, order.dispatched_at = Status.DISPATCHED.value, unit, now
                order.response_due_at = now + RESPONSE_LIMITS[data.urgency]
            session.add(order)
            session.flush()
            session.add(
                WorkOrderEvent(
                    work_order_id=saved_id(order),
                    kind="created",
                    to_status=Status.ACCEPTED.value,
                    actor=actor,
                    created_at=now,
                )
            )
            if unit is not None:
                session.add(
                    WorkOrderEvent(
                        work_order_id=saved_id(order),
                        kind="dispatch",
                        from_status=Status.ACCEPTED.value,
                        to_status=order.status,
                        actor="system:dispatch",
                        data={"unit": unit},
                        created_at=now,
                    )
                )
            snapshot = order.to_json()  # delivered as it was filed
            session.add(
                OutboxMessage(work_order_id=saved_id(order), idempotency_key=f"work-order-{number}", payload=snapshot)
            )
            if order.emergency:  # 12345+110: the emergency services hear of it at once
                session.add(
                    OutboxMessage(
                        work_order_id=saved_id(order),
                        idempotency_key=f"emergency-{number}",
                        target="emergency",
                        payload=snapshot,
                    )
                )
            if submission is not None:
                session.add(
                    Open311Submission(
                        **submission.model_dump(exclude={"id", "work_order_id"}), work_order_id=saved_id(order)
                    )
                )
            session.commit()
            return order

    def submissions(self, work_order_ids: list[int]) -> dict[int, Open311Submission]:
        """The Open311 extras of these work orders, by work-order id (orders without any are absent)."""
        if not work_order_ids:
            return {}
        with Session(self.engine) as session:
            rows = session.exec(
                select(Open311Submission).where(col(Open311Submission.work_order_id).in_(work_order_ids))
            ).all()
            return {row.work_order_id: row for row in rows}

    def get(self, number: str) -> WorkOrder:
        with Session(self.engine) as session:
            order = session.exec(select(WorkOrder).where(WorkOrder.number == number)).first()
            if order is None:
                raise WorkOrderNotFound(number)
            return order

    def events(self, number: str) -> list[WorkOrderEvent]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(WorkOrderEvent)
                    .join(WorkOrder, col(WorkOrder.id) == WorkOrderEvent.work_order_id)
                    .where(WorkOrder.number == number)
                    .order_by(col(WorkOrderEvent.id))
                ).all()
            )

    def search(
        self, flt: WorkOrderFilter, offset: int = 0, limit: int = 50, order_by: str = "created"
    ) -> tuple[int, list[WorkOrder]]:
        """A page of matching work orders, newest first (or the nearest deadline first), and
        their number (counted up to COUNT_CAP: beyond that an exact total costs more than it tells)."""
        query = select(WorkOrder)
        if flt.unit:
            query = query.where(WorkOrder.unit_code == flt.unit)
        if flt.extension_requested is not None:
            pending = col(WorkOrder.extension).is_not(None)
            query = query.where(pending if flt.extension_requested else ~pending)
        if flt.status:
            query = query.where(col(WorkOrder.status).in_(flt.status))
        if flt.district:
            query = query.where(WorkOrder.district == flt.district)
        if flt.category:  # a code prefix, as a range so that the index serves it
            query = query.where(_code_prefix(flt.category))
        if flt.categories:
            query = query.where(or_(*(_code_prefix(c) for c in flt.categories)))
        if flt.numbers:
            query = query.where(col(WorkOrder.number).in_(flt.numbers))
        if flt.request_type:
            query = query.where(WorkOrder.request_type == flt.request_type)
        if flt.created_from:
            query = query.where(WorkOrder.created_at >= flt.created_from)
        if flt.created_to:
            query = query.where(WorkOrder.created_at < flt.created_to)
        if flt.phone:
            query = query.where(WorkOrder.contact_phone == flt.phone)
        if flt.conversation_id:
            query = query.where(WorkOrder.conversation_id == flt.conversation_id)
        if flt.overdue is not None:
            is_open = col(WorkOrder.status).in_([s.value for s in OPEN_STATUSES])
            late = is_open & (WorkOrder.deadline < utcnow())
            query = query.where(late if flt.overdue else ~late)
        with Session(self.engine) as session:
            total = session.exec(select(func.count()).select_from(query.limit(COUNT_CAP).subquery())).one()
            ordering = (
                (col(WorkOrder.deadline), col(WorkOrder.id))
                if order_by == "deadline"
                else (col(WorkOrder.created_at).desc(), col(WorkOrder.id).desc())
            )
            rows = session.exec(query.order_by(*ordering).offset(offset).limit(limit)).all()
            return total, list(rows)


def _code_prefix(prefix: str):
    """Category codes starting with `prefix`, as a range so that the index serves it."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    code = col(WorkOrder.category_code)
    return (code >= prefix) & (code < upper)
