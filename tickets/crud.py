"""Create, change and query work orders. Each write is one transaction that also appends to the
work order's event log."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tickets.lifecycle import OPEN_STATUSES, check_transition
from core.clock import utcnow
from tickets.models import Open311Submission, OutboxMessage, Status, WorkOrder, WorkOrderEvent
from tickets.numbering import next_number
from tickets.schemas import DEADLINES, WorkOrderCreate


COUNT_CAP = 10_000


class WorkOrderNotFound(LookupError):
    pass


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


class WorkOrderRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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

    def _insert(self, data: WorkOrderCreate, actor: str, number: str, now: datetime,
                submission: Open311Submission | None) -> WorkOrder:  # fmt: skip
        with Session(self.engine, expire_on_commit=False) as session:
            order = WorkOrder(**data.model_dump(), number=number, deadline=now + DEADLINES[data.urgency],
                              created_at=now, updated_at=now)  # fmt: skip
            session.add(order)
            session.flush()
            session.add(WorkOrderEvent(work_order_id=order.id, kind="created", to_status=order.status, actor=actor))
            session.add(OutboxMessage(work_order_id=order.id, idempotency_key=f"work-order-{number}"))
            if submission is not None:
                session.add(Open311Submission(**submission.model_dump(exclude={"id", "work_order_id"}),
                                              work_order_id=order.id))  # fmt: skip
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
                    .join(WorkOrder, WorkOrder.id == WorkOrderEvent.work_order_id)
                    .where(WorkOrder.number == number)
                    .order_by(WorkOrderEvent.id)
                ).all()
            )

    def transition(self, number: str, target: Status, actor: str, note: str | None = None,
                   department: str | None = None) -> WorkOrder:  # fmt: skip
        """Move a work order to `target` (row-locked on PostgreSQL); illegal moves raise."""
        with Session(self.engine) as session:
            order = session.exec(select(WorkOrder).where(WorkOrder.number == number).with_for_update()).first()
            if order is None:
                raise WorkOrderNotFound(number)
            current = Status(order.status)
            check_transition(current, target)
            order.status = target.value
            order.updated_at = utcnow()
            kind = "status"
            if department is not None:
                order.department, kind = department, "dispatch"
            session.add(order)
            session.add(
                WorkOrderEvent(work_order_id=order.id, kind=kind, from_status=current.value, to_status=target.value,
                               actor=actor, note=note)  # fmt: skip
            )
            session.commit()
            session.refresh(order)
            return order

    def search(self, flt: WorkOrderFilter, offset: int = 0, limit: int = 50) -> tuple[int, list[WorkOrder]]:
        """A page of matching work orders, newest first, and their number (counted up to
        COUNT_CAP: beyond that an exact total costs more than it tells)."""
        query = select(WorkOrder)
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
            rows = session.exec(
                query.order_by(col(WorkOrder.created_at).desc(), col(WorkOrder.id).desc()).offset(offset).limit(limit)
            ).all()
            return total, list(rows)


def _code_prefix(prefix: str):  # noqa: ANN202  (an SQL condition)
    """Category codes starting with `prefix`, as a range so that the index serves it."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return (WorkOrder.category_code >= prefix) & (WorkOrder.category_code < upper)
