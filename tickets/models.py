"""Tables of the ticket system: work orders, their event log, departments, daily number counters."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, get_args

from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from core.clock import iso_utc, utcnow


class Status(StrEnum):
    ACCEPTED = "accepted"  # 已受理
    DISPATCHED = "dispatched"  # 已派单
    IN_PROGRESS = "in_progress"  # 办理中
    RETURNED = "returned"  # 退单 (a department sent it back)
    RESOLVED = "resolved"  # 已办结
    VISITED = "visited"  # 已回访
    CLOSED = "closed"  # 已关闭


STATUS_LABELS = {
    Status.ACCEPTED: "已受理",
    Status.DISPATCHED: "已派单",
    Status.IN_PROGRESS: "办理中",
    Status.RETURNED: "退单",
    Status.RESOLVED: "已办结",
    Status.VISITED: "已回访",
    Status.CLOSED: "已关闭",
}

RequestType = Literal["consult", "complain", "report", "seek_help", "suggest", "praise"]
Urgency = Literal["2h", "24h", "7d", "15d"]
REQUEST_TYPES: tuple[str, ...] = get_args(RequestType)
# What citizens, agents and reports call each request type.
REQUEST_TYPE_WORDS: dict[str, str] = {
    "consult": "咨询",
    "complain": "投诉",
    "report": "举报",
    "seek_help": "求助",
    "suggest": "建议",
    "praise": "表扬",
}


class WorkOrder(SQLModel, table=True):
    __tablename__ = "work_order"
    # Filtered lists are ordered by creation time: one composite index per common filter.
    __table_args__ = (
        Index("ix_work_order_district_created", "district", "created_at"),
        Index("ix_work_order_status_created", "status", "created_at"),
        Index("ix_work_order_category_created", "category_code", "created_at"),
        # A unit's inbox: its open orders by deadline.
        Index("ix_work_order_unit_status_deadline", "unit_code", "status", "deadline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, index=True, max_length=16)
    request_type: str = Field(max_length=12)
    description: str = Field(sa_column=Column(Text, nullable=False))
    district: str | None = Field(default=None, index=True, max_length=20)
    street: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = None
    lon: float | None = None
    occurred_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    ongoing: bool = False
    contact_name: str | None = Field(default=None, max_length=40)
    contact_phone: str | None = Field(default=None, max_length=20, index=True)
    category_code: str | None = Field(default=None, index=True, max_length=8)
    category_path: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    department: str | None = Field(default=None, max_length=80)
    urgency: str = Field(default="15d", max_length=4)
    deadline: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    emergency: bool = Field(default=False, index=True)
    status: str = Field(default=Status.ACCEPTED.value, index=True, max_length=12)
    channel: str = Field(default="web", max_length=10)
    conversation_id: str | None = Field(default=None, index=True, max_length=80)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    # The closed loop (接诉 → 派单 → 办理 → 回访). Projections of the event log, kept in the same
    # transaction as the event, so that inboxes and reports need no scan of the events.
    unit_code: str | None = Field(default=None, max_length=24)  # the handling unit (承办单位)
    dispatched_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    response_due_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))
    responded_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))
    result: str | None = Field(default=None, sa_column=Column(Text))  # 办理结果, from the last resolve
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))
    reopen_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    extension: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True))
    )  # a unit's pending request
    deadline_warned_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    overdue_alerted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    survey_asked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    survey_resolved: bool | None = None
    survey_satisfaction: str | None = Field(default=None, max_length=8)
    survey_answered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))

    def to_json(self, unit: dict | None = None) -> dict:
        """The work order for APIs and deliveries: timestamps as UTC ISO-8601 with Z; `unit` is
        {code, name, level} from the registry (the code alone when the registry lacks it); the
        survey as {resolved, satisfaction, answered_at}."""
        body = self.model_dump(mode="json", exclude={"id", *SURVEY_COLUMNS, "unit_code"})
        for key in TIMESTAMPS:
            if getattr(self, key) is not None:
                body[key] = iso_utc(getattr(self, key))
        body["unit"] = unit or ({"code": self.unit_code, "name": None, "level": None} if self.unit_code else None)
        answered = self.survey_answered_at
        body["survey"] = {
            "resolved": self.survey_resolved,
            "satisfaction": self.survey_satisfaction,
            "answered_at": iso_utc(answered) if answered else None,
        }
        body["status_label"] = STATUS_LABELS[Status(self.status)]
        return body

    def card(self) -> dict:
        """What a citizen's channel shows of the order (no personal data): the same fields as the
        bot's card (bot/actions/intake.py `work_order_card`, the engine's own runtime)."""
        body = self.to_json()
        card = {k: body[k] for k in CARD_FIELDS if body.get(k) is not None}
        if self.category_path:
            card["category"] = "/".join(self.category_path)
        return card


CARD_FIELDS = ("number", "status", "deadline", "urgency", "request_type", "district", "street", "department")
SURVEY_COLUMNS = ("survey_asked_at", "survey_resolved", "survey_satisfaction", "survey_answered_at")
TIMESTAMPS = ("created_at", "updated_at", "deadline", "occurred_at", "dispatched_at", "response_due_at",
              "responded_at", "resolved_at", "deadline_warned_at", "overdue_alerted_at")  # fmt: skip


class WorkOrderEvent(SQLModel, table=True):
    """Every status change, dispatch, reply or note on a work order: who, what, when."""

    __tablename__ = "work_order_event"

    id: int | None = Field(default=None, primary_key=True)
    work_order_id: int = Field(foreign_key="work_order.id", index=True)
    # created | status | dispatch | accept | return | reply | resolve | extension_requested | extended
    # | close | reopened | survey | visited | deadline_warning | overdue | notified | callback | note
    kind: str = Field(max_length=24)
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str | None = Field(default=None, max_length=12)
    actor: str = Field(max_length=80)
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # e.g. {"unit": ...}


class TicketCounter(SQLModel, table=True):
    """Per-day sequence behind work order numbers (row-locked increments)."""

    __tablename__ = "ticket_counter"

    day: str = Field(primary_key=True, max_length=6)
    value: int = 0


class OutboxMessage(SQLModel, table=True):
    """A work order to deliver to the external ticket system; written in the same transaction as
    the work order (transactional outbox), delivered at least once with an idempotency key."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    work_order_id: int = Field(foreign_key="work_order.id", index=True)
    idempotency_key: str = Field(unique=True, max_length=64)
    # What happened (work_order.created | work_order.updated) and for whom: the external ticket
    # system, or the emergency services' webhook (12345+110).
    event: str = Field(
        default="work_order.created", sa_column=Column(String(32), nullable=False, server_default="work_order.created")
    )
    target: str = Field(default="tickets", sa_column=Column(String(12), nullable=False, server_default="tickets"))
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # the order as it was then
    status: str = Field(default="pending", index=True, max_length=10)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    last_error: str | None = Field(default=None, max_length=300)
    delivered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class Open311Submission(SQLModel, table=True):
    """What a GeoReport v2 POST carries beyond the work order itself (a table of its own, so that
    older databases need no new columns). email and device_id are personal: never shown publicly."""

    __tablename__ = "open311_submission"

    id: int | None = Field(default=None, primary_key=True)
    work_order_id: int = Field(foreign_key="work_order.id", unique=True, index=True)
    email: str | None = Field(default=None, max_length=254)
    media_url: str | None = Field(default=None, max_length=2000)
    device_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)
