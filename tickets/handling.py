"""What happens to a work order after it is filed (派单 → 办理 → 回访): the actions of DESIGN's
closed loop, who may take each, from which status, and what each changes. One action is one
transaction: the row is locked, checked, changed, its event appended (with the actor) and a
`work_order.updated` row put in the outbox. Sync: async callers use to_thread."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session, select

from core.clock import utcnow
from core.db import saved_id
from normalize.text import has_control_characters
from tickets.lifecycle import IllegalTransition, WorkOrderNotFound
from tickets.models import OutboxMessage, Status, WorkOrder, WorkOrderEvent

ActorKind = Literal["unit", "supervisor", "agent", "api", "citizen", "system"]
# A unit's first answer (accept, progress note or result) is due this long after dispatch.
RESPONSE_LIMITS = {
    "2h": timedelta(minutes=30),
    "24h": timedelta(hours=4),
    "7d": timedelta(hours=24),
    "15d": timedelta(hours=24),
}
ESCALATE_AFTER_REOPENINGS = 3  # the third reopening goes to a supervisor instead of the unit
RESOLVED_ANSWERS = {"已解决": True, "未解决": False}
SATISFACTION_ANSWERS = ("满意", "基本满意", "不满意")
DeadlineFn = Callable[[str, datetime], datetime]  # (urgency, start) -> deadline
ExtendFn = Callable[[datetime, int], datetime]  # (deadline, working days) -> later deadline


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    name: str
    unit_code: str | None = None  # a unit account's unit

    @property
    def label(self) -> str:
        """How the event log names the actor: `unit:wangjing_ops`, `api`, `citizen`."""
        return self.kind if self.kind in ("api", "citizen") else f"{self.kind}:{self.name}"


class ActionForbidden(PermissionError):
    """The actor may not take this action on this order (403)."""


class ActionInvalid(ValueError):
    """The body of the action is wrong (422); the message says why, in English."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _clean(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("must not contain control characters")
    return value


class DispatchBody(_Body):
    unit: str = Field(min_length=1, max_length=24)
    category: str | None = Field(default=None, pattern=r"^\d{2,8}$")  # a supervisor's category override


class ReasonBody(_Body):
    reason: str = Field(min_length=2, max_length=500)
    _ok = field_validator("reason")(_clean)


class TextBody(_Body):
    text: str = Field(min_length=2, max_length=2000)
    _ok = field_validator("text")(_clean)


class ExtendBody(_Body):
    days: int = Field(ge=0, le=30)  # 0: a supervisor declines the unit's request
    reason: str = Field(min_length=2, max_length=500)
    _ok = field_validator("reason")(_clean)


class EmptyBody(_Body):
    pass


@dataclass(frozen=True)
class ActionRule:
    body: type[_Body]
    actors: frozenset[str]  # actor kinds allowed
    sources: frozenset[Status]
    target: Status | None  # None: the status stays


_OPEN_WORK = frozenset({Status.DISPATCHED, Status.IN_PROGRESS})
_UNIT_SIDE = frozenset({"unit", "api"})
_CENTRE_SIDE = frozenset({"supervisor", "api"})
RULES: dict[str, ActionRule] = {
    "dispatch": ActionRule(
        DispatchBody, _CENTRE_SIDE, frozenset({Status.ACCEPTED, Status.RETURNED, *_OPEN_WORK}), Status.DISPATCHED
    ),
    "accept": ActionRule(EmptyBody, _UNIT_SIDE, frozenset({Status.DISPATCHED}), Status.IN_PROGRESS),
    "return": ActionRule(ReasonBody, _UNIT_SIDE, _OPEN_WORK, Status.RETURNED),
    "reply": ActionRule(TextBody, _UNIT_SIDE, _OPEN_WORK, None),
    "resolve": ActionRule(TextBody, _UNIT_SIDE, _OPEN_WORK, Status.RESOLVED),
    "extend": ActionRule(ExtendBody, frozenset({"unit", "supervisor", "api"}), _OPEN_WORK, None),
    "close": ActionRule(ReasonBody, _CENTRE_SIDE, frozenset(Status) - {Status.CLOSED}, Status.CLOSED),
}
ACTIONS: tuple[str, ...] = tuple(RULES)


@dataclass(frozen=True)
class Outcome:
    order: WorkOrder
    event: WorkOrderEvent
    action: str


class WorkOrderHandling:
    def __init__(
        self,
        engine,
        unit_exists: Callable[[str], bool],
        deadline_for: DeadlineFn,
        extend_by: ExtendFn,
        category_path: Callable[[str], tuple[str, ...] | None] = lambda code: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """category_path: the names of a category code (None: unknown code)."""
        self.engine, self.category_path = engine, category_path
        self.unit_exists, self.deadline_for, self.extend_by, self.clock = unit_exists, deadline_for, extend_by, clock

    def perform(self, number: str, action: str, body: dict[str, Any] | None, actor: Actor) -> Outcome:
        """Take `action` on the order as `actor`. Raises WorkOrderNotFound, ActionForbidden,
        ActionInvalid or IllegalTransition (with the current status)."""
        rule = RULES.get(action)
        if rule is None:
            raise ActionInvalid(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
        if actor.kind not in rule.actors:
            raise ActionForbidden(f"{action} is not for the {actor.kind} role")
        try:
            data = rule.body.model_validate(body or {})
        except ValidationError as exc:
            raise ActionInvalid(
                "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
            ) from None
        if isinstance(data, DispatchBody) and action == "dispatch":
            if not self.unit_exists(data.unit):
                raise ActionInvalid(f"unknown unit {data.unit!r}")
            if data.category and not self.category_path(data.category):
                raise ActionInvalid(f"unknown category {data.category!r}")
        if isinstance(data, ExtendBody) and action == "extend" and actor.kind == "unit" and data.days == 0:
            raise ActionInvalid("days: a request asks for at least 1 working day")
        with Session(self.engine, expire_on_commit=False) as session:
            order = self._locked(session, number)
            if actor.kind == "unit" and order.unit_code != actor.unit_code:
                raise ActionForbidden("this work order belongs to another unit")
            current = Status(order.status)
            if current not in rule.sources:
                raise IllegalTransition(current, rule.target or current)
            now = self.clock()
            kind, note, extra = getattr(self, f"_{action}")(order, data, actor, now)
            event = self._record(session, order, kind, current, actor, note, extra, now)
            return Outcome(order, event, action)

    def answer_survey(self, number: str, question: str, answer: str, actor: Actor | None = None) -> Outcome:
        """The citizen's answer to 问题解决了吗 ("resolved") or 您对办理结果满意吗 ("satisfaction").
        未解决 or 不满意 reopens the order to the same unit (the third time: to a supervisor); a
        complete survey moves it to `visited`. `actor`: an agent who asked by phone (default: the citizen)."""
        with Session(self.engine, expire_on_commit=False) as session:
            order = self._locked(session, number)
            current = Status(order.status)
            now = self.clock()
            if question == "resolved" and answer in RESOLVED_ANSWERS and current is Status.RESOLVED:
                order.survey_resolved, order.survey_satisfaction = RESOLVED_ANSWERS[answer], None
            elif (
                question == "satisfaction"
                and answer in SATISFACTION_ANSWERS
                and current is Status.RESOLVED
                and order.survey_resolved
            ):
                order.survey_satisfaction = answer
            elif current is not Status.RESOLVED:
                raise IllegalTransition(current, Status.VISITED)
            else:
                raise ActionInvalid(f"{answer!r} is not an answer to the {question!r} question")
            order.survey_answered_at = now
            citizen = actor or Actor("citizen", "citizen")
            reopen, complete = answer in ("未解决", "不满意"), question == "satisfaction"
            survey = self._record(
                session,
                order,
                "survey",
                current,
                citizen,
                answer,
                {"question": question},
                now,
                commit=not (reopen or complete),
            )
            if not (reopen or complete):  # 已解决: the satisfaction question follows
                return Outcome(order, survey, "survey")
            if reopen:
                kind, note = self._reopen(order, now)
            else:
                order.status, kind, note = Status.VISITED.value, "visited", None
            event = self._record(session, order, kind, Status.RESOLVED, citizen, note, None, now)
            return Outcome(order, event, "survey")

    def mark(
        self,
        number: str,
        kind: str,
        actor: Actor,
        note: str | None = None,
        values: dict[str, Any] | None = None,
        once: str | None = None,
        outbox: bool = False,
    ) -> Outcome | None:
        """An event that changes no status (deadline warning, overdue alert, result notified,
        contact viewed), with the projection columns it sets. With `once` (a column name) nothing
        happens, and None is returned, when that column is set already (another gateway did it)."""
        with Session(self.engine, expire_on_commit=False) as session:
            order = self._locked(session, number)
            if once is not None and getattr(order, once) is not None:
                return None
            for key, value in (values or {}).items():
                setattr(order, key, value)
            current = Status(order.status)
            event = self._record(session, order, kind, current, actor, note, None, self.clock(), outbox=outbox)
            return Outcome(order, event, kind)

    # --- the actions: each changes the order and returns (event kind, note, event data) ---

    def _dispatch(self, order: WorkOrder, data: DispatchBody, actor: Actor, now: datetime) -> tuple:
        self._to_unit(order, data.unit, now)
        order.status = Status.DISPATCHED.value
        if data.category:
            order.category_code, order.category_path = (
                data.category,
                list(self.category_path(data.category) or ()),
            )  # checked in perform()
        return "dispatch", None, {"unit": data.unit, **({"category": data.category} if data.category else {})}

    def _accept(self, order: WorkOrder, _data: EmptyBody, actor: Actor, now: datetime) -> tuple:
        order.status, order.responded_at = Status.IN_PROGRESS.value, order.responded_at or now
        return "accept", None, None

    def _return(self, order: WorkOrder, data: ReasonBody, actor: Actor, now: datetime) -> tuple:
        order.status = Status.RETURNED.value
        return "return", data.reason, {"unit": order.unit_code}

    def _reply(self, order: WorkOrder, data: TextBody, actor: Actor, now: datetime) -> tuple:
        order.responded_at = order.responded_at or now
        return "reply", data.text, None

    def _resolve(self, order: WorkOrder, data: TextBody, actor: Actor, now: datetime) -> tuple:
        order.status, order.result, order.resolved_at = Status.RESOLVED.value, data.text, now
        order.responded_at = order.responded_at or now
        order.survey_asked_at = None
        return "resolve", data.text, None

    def _extend(self, order: WorkOrder, data: ExtendBody, actor: Actor, now: datetime) -> tuple:
        request = {"days": data.days, "reason": data.reason, "by": actor.label}
        if actor.kind == "unit":  # a request; a supervisor (or the ticket system) grants it
            order.extension = {**request, "at": now.isoformat()}
            return "extension_requested", data.reason, {"days": data.days}
        if data.days == 0:
            order.extension = None
            return "extension_declined", data.reason, None
        order.deadline = self.extend_by(order.deadline, data.days)
        order.extension, order.deadline_warned_at, order.overdue_alerted_at = None, None, None
        return "extended", data.reason, {"days": data.days, "deadline": order.deadline.isoformat()}

    def _close(self, order: WorkOrder, data: ReasonBody, actor: Actor, now: datetime) -> tuple:
        order.status = Status.CLOSED.value
        return "close", data.reason, None

    def _reopen(self, order: WorkOrder, now: datetime) -> tuple[str, str | None]:
        order.reopen_count += 1
        if order.reopen_count >= ESCALATE_AFTER_REOPENINGS:
            order.status = Status.RETURNED.value  # to the dispatchers: re-dispatch or close
            return "reopened", f"reopened {order.reopen_count} times: escalated to a supervisor"
        self._to_unit(order, order.unit_code, now)
        order.status = Status.DISPATCHED.value
        return "reopened", None

    def _to_unit(self, order: WorkOrder, unit_code: str | None, now: datetime) -> None:
        order.unit_code, order.dispatched_at = unit_code, now
        order.response_due_at, order.responded_at = now + RESPONSE_LIMITS[order.urgency], None
        order.deadline = self.deadline_for(order.urgency, now)
        order.extension, order.deadline_warned_at, order.overdue_alerted_at = None, None, None

    # --- storage ---

    @staticmethod
    def _locked(session: Session, number: str) -> WorkOrder:
        order = session.exec(select(WorkOrder).where(WorkOrder.number == number).with_for_update()).first()
        if order is None:
            raise WorkOrderNotFound(number)
        return order

    @staticmethod
    def _record(
        session: Session,
        order: WorkOrder,
        kind: str,
        before: Status,
        actor: Actor,
        note: str | None,
        data: dict | None,
        now: datetime,
        commit: bool = True,
        outbox: bool = True,
    ) -> WorkOrderEvent:
        order.updated_at = now
        session.add(order)
        event = WorkOrderEvent(
            work_order_id=saved_id(order),
            kind=kind,
            from_status=before.value,
            to_status=order.status,
            actor=actor.label,
            note=note,
            data=data,
            created_at=now,
        )
        session.add(event)
        session.flush()
        if outbox:
            session.add(
                OutboxMessage(
                    work_order_id=saved_id(order),
                    idempotency_key=f"work-order-{order.number}-{event.id}",
                    event="work_order.updated",
                    payload=order.to_json(),
                )
            )
        if commit:
            session.commit()
            session.refresh(order)
            session.refresh(event)
        return event
