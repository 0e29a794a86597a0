"""FollowUp: the result notice and the survey on the citizen's channel, and the citizen's answers.

- On `resolve` (any caller: unit console, API key), `notify` stores the notice and the first
  question in the conversation the order came from (so a web citizen who is away sees them on
  resume) and delivers them (ChannelRegistry: a connected web socket, Telegram). An order from a
  phone call gets an outbound survey call when a PBX is configured; anything else (no channel,
  no PBX, an order filed by API) goes on the agents' callback list.
- `answer` reads a survey button, or the same answer typed or spoken right after a question,
  and records it (tickets/handling.py): 未解决/不满意 reopen the order."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from conversation.messages import InboundMessage, Reply
from conversation.models import Message
from conversation.store import ConversationStore
from core.clock import utcnow
from core.log_ids import short_id
from followup.survey import (
    ESCALATED,
    REOPENED,
    STALE,
    THANKS,
    answer_in_text,
    parse_payload,
    question_reply,
    result_replies,
)
from tickets.handling import ActionInvalid, Actor, Outcome, WorkOrderHandling
from tickets.lifecycle import IllegalTransition, WorkOrderNotFound
from tickets.models import Status, WorkOrder

log = logging.getLogger(__name__)
Deliver = Callable[[str, list[Reply]], Awaitable[None]]
UnitLookup = Callable[[str], dict | None]
NO_ANSWER_AFTER = timedelta(hours=72)  # then the order goes on the callback list
SYSTEM = Actor("system", "followup")
ASKED_WITHIN = 100  # a survey button works while its question is among the conversation's last messages
RECENT_MESSAGES = 6  # a typed answer counts when a question is among the conversation's last messages


class PhoneSurveyCalls(Protocol):
    async def place(self, order: WorkOrder, replies: list[Reply]) -> bool:
        """Call the citizen back and play `replies` first; False when the call could not be placed."""


class FollowUp:
    def __init__(
        self,
        handling: WorkOrderHandling,
        store: ConversationStore,
        deliver: Deliver,
        unit_of: UnitLookup,
        phone_calls: PhoneSurveyCalls | None = None,
        on_change: Callable[[Outcome], Awaitable[None]] | None = None,
    ) -> None:
        self.handling, self.store, self.deliver, self.unit_of = handling, store, deliver, unit_of
        self.phone_calls = phone_calls
        self.on_change = on_change  # e.g. the unit console hears of a reopened order

    async def changed(self, outcome: Outcome) -> None:
        if outcome.action == "resolve":
            await self.notify(outcome.order)

    async def notify(self, order: WorkOrder) -> str:
        """Tell the citizen the result and ask the first question; returns the way it went
        (web, tg, phone, callback)."""
        replies = result_replies(order.to_json(self.unit_of(order.unit_code or "")))
        cid, how = order.conversation_id, "callback"
        channel = cid.split(":", 1)[0] if cid else None
        try:
            if channel in ("web", "tg") and await asyncio.to_thread(self.store.get, cid) is not None:
                await asyncio.to_thread(self.store.add_outbound, cid, replies)  # stored first: shown on resume
                await self.deliver(cid, replies)
                how = channel
            elif channel == "phone" and self.phone_calls is not None and order.contact_phone:
                how = "phone" if await self.phone_calls.place(order, replies) else "callback"
        except Exception as exc:  # noqa: BLE001  (a channel failing must not lose the survey: callback list)
            log.error("result notice for %s failed on %s: %s", order.number, channel, exc)
            how = "callback"
        values = {"survey_asked_at": utcnow()} if how != "callback" else {}
        await asyncio.to_thread(self.handling.mark, order.number, "notified", SYSTEM, how, values)
        log.info("result of %s told by %s", order.number, how)
        return how

    async def answer(self, msg: InboundMessage) -> list[Reply] | None:
        """The replies to a survey answer, or None when the message is not one."""
        parsed = parse_payload(msg.text) or await self._typed(msg)
        if parsed is None:
            return None
        number, question, answer = parsed
        if not await self._asked_here(msg.conversation_id, number):  # only the conversation that was asked answers
            log.warning("survey answer for an order not asked in %s", short_id(msg.conversation_id))
            return [_closing(STALE, number)]
        try:
            outcome = await asyncio.to_thread(self.handling.answer_survey, number, question, answer)
        except (IllegalTransition, WorkOrderNotFound):
            return [_closing(STALE, number)]
        except ActionInvalid:
            return [question_reply(number, question)]
        if self.on_change is not None:
            await self.on_change(outcome)
        status = Status(outcome.order.status)
        if status is Status.RETURNED:
            return [_closing(ESCALATED, number)]
        if status is Status.DISPATCHED:
            return [_closing(REOPENED, number)]
        if question == "resolved":
            return [question_reply(number, "satisfaction")]
        return [_closing(THANKS, number)]

    async def _asked_here(self, conversation_id: str, number: str) -> bool:
        history = await asyncio.to_thread(self.store.history, conversation_id, ASKED_WITHIN)
        return any(_survey_of(m) and _survey_of(m)["work_order"] == number for m in history if m.direction == "out")

    async def _typed(self, msg: InboundMessage) -> tuple[str, str, str] | None:
        """A typed or spoken answer to the question the conversation was asked last."""
        if msg.text.startswith("/") or len(msg.text) > 20:
            return None
        history = await asyncio.to_thread(self.store.history, msg.conversation_id, RECENT_MESSAGES)
        for message in reversed(history):
            if message.direction == "in" and message.text == msg.text:
                continue  # the message itself, stored before this turn
            survey = _survey_of(message)
            if message.direction == "in" or not survey:
                return None  # the last exchange was not the survey's question
            answer = answer_in_text(msg.text, survey["question"])
            return (survey["work_order"], survey["question"], answer) if answer else None
        return None


def _closing(text: str, number: str) -> Reply:
    """The survey's last word (thanks, reopened, escalated, no longer asked): `data.survey_end`
    tells a survey phone call to say goodbye and hang up."""
    return Reply(text, sender="system", data={"survey_end": number})


def _survey_of(message: Message) -> dict | None:
    return ((message.payload or {}).get("data") or {}).get("survey")


def callback_list(engine: Engine, now: datetime, limit: int = 200) -> list[WorkOrder]:
    """Resolved orders for the agents to call back, oldest result first: nobody could be told the
    result, or nobody answered the survey within 72 hours."""
    unasked = col(WorkOrder.survey_asked_at).is_(None)
    unanswered = (WorkOrder.survey_asked_at < now - NO_ANSWER_AFTER) & (
        col(WorkOrder.survey_answered_at).is_(None) | (WorkOrder.survey_answered_at < WorkOrder.survey_asked_at)
    )
    with Session(engine) as session:
        query = (
            select(WorkOrder)
            .where(WorkOrder.status == Status.RESOLVED.value, unasked | unanswered)
            .order_by(col(WorkOrder.resolved_at))
            .limit(limit)
        )
        return list(session.exec(query).all())
