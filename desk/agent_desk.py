"""The agent desk: the queue of conversations waiting for a person, and what agents do with
them — take, reply, hand back to the bot, close (creating or updating the work order). Every
transition is one conditional UPDATE in the database (see ConversationStore.change_mode), so
the outcome of a race is decided there, whichever gateway the agents are connected to.

Events for agent consoles go out on the bus (topic DESK_TOPIC); messages for citizens go through
`deliver` (the ChannelRegistry), which finds the gateway and channel the citizen is on."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from conversation.bus import DESK_TOPIC, BusEvent, EventBus
from conversation.commands import BACK_BUTTON, CALLBACK_BUTTON
from conversation.messages import Mode, Reply
from conversation.models import Conversation
from conversation.store import ConversationStore
from core.clock import iso_utc, utcnow
from core.log_ids import short_id
from desk.errors import Actor, Conflict, DeskError, Forbidden, Invalid, NotFound
from desk.orders import DEADLINE_WORDS, DeskOrders, DraftPatch, apply_patch, draft_from_summary
from desk.payloads import aware, conversation_detail, desk_overview, held_item, queue_item
from desk.views import (
    Extract,
    prefill,
    unanswered,
)
from desk.waiting import RECENT, WorkingHours, estimate_minutes, position_text
from normalize.text import has_control_characters

log = logging.getLogger(__name__)

# Handoffs queued at any hour and ahead of the others.
URGENT_REASONS = frozenset({"emergency", "distress"})

TAKEN = "人工客服已接入，请问有什么可以帮您？"
RELEASED = "已转回智能客服，请问还有什么可以帮您？"
CLOSED = "本次人工服务已结束，感谢您的耐心。如还有其他问题，可以继续留言。"
AGENTS_ONLINE = "agents"  # bus group of online agent consoles: member "<username>/<socket id>"


@dataclass(frozen=True)
class DeskConfig:
    hours: WorkingHours
    avg_handle_s: int = 180
    max_text_chars: int = 2000


def number_text(number: str, channel: str) -> str:
    """A work-order number in a citizen's reply: grouped for reading aloud on the phone, else
    written as on the card."""
    return f"{number[:6]} {number[6:]}" if channel == "phone" else number


class AgentDesk:
    def __init__(
        self,
        store: ConversationStore,
        bus: EventBus,
        deliver: Callable[[str, list[Reply]], Awaitable[None]],
        orders: DeskOrders,
        config: DeskConfig,
        reset_dialogue: Callable[[str], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] = utcnow,
        extract: Extract | None = None,
    ) -> None:
        """`extract` is the router's intake extractor (tickets.intake): it pre-fills the draft."""
        self.store, self.bus, self.deliver, self.orders = store, bus, deliver, orders
        self.config, self.clock, self.extract = config, clock, extract
        # Forgets the bot's dialogue state (e.g. a half-filled form) once an agent owns the case:
        # what it collected lives on in the draft; back with the bot, the citizen starts afresh.
        self.reset_dialogue = reset_dialogue

    async def publish(self, event: dict[str, Any]) -> None:
        await self.bus.publish(DESK_TOPIC, {**event, "ts": iso_utc(self.clock())})

    # ---- queue and waiting ----

    def accepting(self, reason: str | None) -> bool:
        """Whether a handoff is queued now: within working hours, and emergencies and distress always."""
        return reason in URGENT_REASONS or self.config.hours.open_at(self.clock())

    def hours_label(self) -> str:
        return self.config.hours.label()

    async def online_agents(self) -> set[str]:
        return {m.split("/", 1)[0] for m in await self.bus.members(AGENTS_ONLINE)}

    async def queue(self) -> list[dict[str, Any]]:
        rows = await asyncio.to_thread(self.store.queued)
        previews = await asyncio.to_thread(self.store.last_citizen_texts, [c.id for c in rows])
        now = self.clock()
        return [
            queue_item(conv, position, previews.get(conv.id) or "", self.extract, now)
            for position, conv in enumerate(rows, 1)
        ]

    async def estimate(self, ahead: int) -> int:
        now = self.clock()
        takes = await asyncio.to_thread(self.store.takes_since, now - RECENT)
        times = [aware(t.created_at) for t in takes]
        return estimate_minutes(ahead, times, now, self.config.avg_handle_s, len(await self.online_agents()))

    async def place_text(self, conversation_id: str) -> str | None:
        """您前面还有N位，预计等待约M分钟。 for a queued conversation (None if not queued)."""
        ids = await self._queue_ids()
        if conversation_id not in ids:
            return None
        ahead = ids.index(conversation_id)
        return position_text(ahead, await self.estimate(ahead))

    async def _tell_queue_moved(self, before: list[str], gone: str) -> None:
        """Everyone behind a conversation that left the queue moved up: tell them where they are."""
        if gone not in before:
            return
        behind = before[before.index(gone) + 1 :]
        if not behind:
            return
        current = await self._queue_ids()
        for conversation_id in behind[:50]:
            if conversation_id in current:
                ahead = current.index(conversation_id)
                text = position_text(ahead, await self.estimate(ahead))
                await self.deliver(conversation_id, [Reply(text, sender="system", data={"queue": {"ahead": ahead}})])

    async def _queue_ids(self) -> list[str]:
        return await asyncio.to_thread(self.store.queue_ids)

    # ---- hooks called by the ConversationRouter ----

    async def on_queued(self, conversation_id: str, summary: dict[str, Any]) -> list[Reply]:
        """A handoff was committed: tell the agents, tell the citizen their place."""
        reason = str(summary.get("reason", "requested"))
        await self.publish(
            {"type": BusEvent.HANDOFF, "conversation_id": conversation_id, "reason": reason, "summary": summary}
        )
        if reason == "emergency":
            await self.alert(conversation_id, {"reason": "emergency", "source": "handoff"})
        text = await self.place_text(conversation_id)
        if text is None:
            return []
        return [Reply(text, buttons=(CALLBACK_BUTTON, BACK_BUTTON), sender="system")]

    async def alert(self, conversation_id: str, alert: dict[str, Any]) -> None:
        reason = str(alert.get("reason", "alert"))[:40]
        await asyncio.to_thread(self.store.set_fields, conversation_id, alert=reason)
        await asyncio.to_thread(self.store.add_desk_event, conversation_id, "alert", note=reason)
        await self.publish(
            {"type": BusEvent.ALERT, "conversation_id": conversation_id, "reason": reason, "detail": alert}
        )
        log.warning("agents alerted: %s on %s", reason, short_id(conversation_id))

    async def observe(self, conversation_id: str, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            await self.publish({"type": BusEvent.MESSAGE, "conversation_id": conversation_id, "message": entry})

    async def left_queue(self, conversation_id: str, before: list[str], kind: BusEvent = BusEvent.LEFT) -> None:
        await self.publish({"type": kind, "conversation_id": conversation_id})
        await self._tell_queue_moved(before, conversation_id)

    async def queue_ids(self) -> list[str]:
        return await self._queue_ids()

    # ---- agents ----

    async def _get(self, conversation_id: str) -> Conversation:
        conv = await asyncio.to_thread(self.store.get, conversation_id)
        if conv is None:
            raise NotFound("conversation_not_found", f"no conversation {conversation_id}")
        return conv

    def _held_conflict(self, conv: Conversation, actor: Actor) -> DeskError:
        if conv.mode == Mode.AGENT.value and conv.agent != actor.username:
            return Conflict("taken_by_other", f"{conv.agent} holds this conversation", agent=conv.agent)
        return Conflict("not_held", f"the conversation is {conv.mode}, not held by {actor.username}", mode=conv.mode)

    async def take(self, conversation_id: str, actor: Actor) -> dict[str, Any]:
        conv = await self._get(conversation_id)
        if conv.mode == Mode.AGENT.value:
            if conv.agent == actor.username:
                return {"conversation_id": conversation_id, "mode": "agent", "agent": actor.username}
            raise self._held_conflict(conv, actor)
        # Agents take queued conversations, and alerted ones from the bot; supervisors any.
        allowed = (Mode.QUEUED, Mode.BOT) if actor.role == "supervisor" or conv.alert else (Mode.QUEUED,)
        if conv.mode not in allowed:
            raise Conflict("not_queued", "only queued or alerted conversations can be taken", mode=conv.mode)
        before = await self._queue_ids()
        reply = Reply(TAKEN, sender="system", data={"mode": Mode.AGENT.value, "agent": actor.display_name})
        taken = await asyncio.to_thread(
            self.store.change_mode,
            conversation_id,
            Mode.AGENT,
            allowed,
            values={"agent": actor.username, "taken_at": utcnow(), "callback": None},
            replies=[reply],
            event={"kind": "taken", "agent": actor.username},
        )
        if taken is None:  # somebody else was quicker
            raise self._held_conflict(await self._get(conversation_id), actor)
        log.info("conversation %s taken by %s", short_id(conversation_id), actor.username)
        if self.reset_dialogue is not None:
            await self.reset_dialogue(conversation_id)
        await self.deliver(conversation_id, [reply])
        await self.publish(
            {
                "type": BusEvent.TAKEN,
                "conversation_id": conversation_id,
                "agent": actor.username,
                "agent_name": actor.display_name,
            }
        )
        await self.observe(conversation_id, [_entry(reply)])
        await self._tell_queue_moved(before, conversation_id)
        return {"conversation_id": conversation_id, "mode": "agent", "agent": actor.username}

    async def send(self, conversation_id: str, actor: Actor, text: str) -> dict[str, Any]:
        text = (text or "").strip()
        if not text:
            raise Invalid("empty_text", "text is empty")
        if len(text) > self.config.max_text_chars:
            raise Invalid(
                "text_too_long", f"text has {len(text)} characters; the limit is {self.config.max_text_chars}"
            )
        if has_control_characters(text):
            raise Invalid("control_characters", "text contains control characters")
        reply = Reply(text, sender="agent", data={"agent": actor.display_name})
        if not await asyncio.to_thread(self.store.update_held, conversation_id, actor.username, None, [reply]):
            raise self._held_conflict(await self._get(conversation_id), actor)
        await self.deliver(conversation_id, [reply])
        entry = _entry(reply)
        await self.observe(conversation_id, [entry])
        return {"conversation_id": conversation_id, "message": entry}

    async def release(self, conversation_id: str, actor: Actor) -> dict[str, Any]:
        """Back to the bot; a supervisor may also release a conversation another agent holds (an
        agent who went away)."""
        reply = Reply(RELEASED, sender="system", data={"mode": Mode.BOT.value})
        holder = None if actor.role == "supervisor" else actor.username
        done = await asyncio.to_thread(
            self.store.change_mode,
            conversation_id,
            Mode.BOT,
            (Mode.AGENT,),
            agent=holder,
            values={"agent": None},
            replies=[reply],
            event={"kind": "released", "agent": actor.username},
        )
        if done is None:
            raise self._held_conflict(await self._get(conversation_id), actor)
        await self.deliver(conversation_id, [reply])
        await self.observe(conversation_id, [_entry(reply)])  # while the agent's console still watches
        await self.publish({"type": BusEvent.RELEASED, "conversation_id": conversation_id, "agent": actor.username})
        return {"conversation_id": conversation_id, "mode": "bot"}

    async def draft_of(self, conv: Conversation, rows: list | None = None) -> dict[str, Any]:
        """The agent's saved draft, or the bot's summary completed from the citizen's own words."""
        if conv.draft:
            return dict(conv.draft)
        history = rows if rows is not None else await asyncio.to_thread(self.store.history, conv.id, 200)
        said = [r.text for r in history if r.sender == "citizen" and r.direction == "in" and r.text]
        return prefill(draft_from_summary(conv.handoff), said, self.extract, self.clock())

    async def edit_draft(self, conversation_id: str, actor: Actor, patch: DraftPatch) -> dict[str, Any]:
        conv = await self._get(conversation_id)
        draft = apply_patch(await self.draft_of(conv), patch)
        if not await asyncio.to_thread(self.store.update_held, conversation_id, actor.username, {"draft": draft}):
            raise self._held_conflict(await self._get(conversation_id), actor)
        await self.publish(
            {"type": BusEvent.DRAFT, "conversation_id": conversation_id, "agent": actor.username, "draft": draft}
        )
        return draft

    async def close(
        self, conversation_id: str, actor: Actor, patch: DraftPatch | None = None, work_order: bool = True
    ) -> dict[str, Any]:
        """Create (or update) the conversation's work order from the draft, then back to the bot."""
        conv = await self._get(conversation_id)
        if conv.mode != Mode.AGENT.value or conv.agent != actor.username:
            raise self._held_conflict(conv, actor)
        draft = await self.draft_of(conv)
        if patch is not None:
            draft = apply_patch(draft, patch)
        order, text, action = None, CLOSED, None
        if work_order:
            order, action = await self._file(conv, draft, actor)
            spoken = number_text(order.number, conv.channel)
            if action == "created":
                deadline = DEADLINE_WORDS.get(order.urgency, "规定时限内")
                text = f"本次人工服务已结束。已为您登记工单，编号{spoken}，承办单位会在{deadline}处理并答复您。"
            else:
                text = f"本次人工服务已结束，您的工单{spoken}已按沟通内容更新。感谢您的耐心。"
        data: dict[str, Any] = {"mode": Mode.BOT.value}
        if order is not None:
            data["work_order"] = order.card()
        reply = Reply(text, sender="system", data=data)
        values = {"agent": None, "draft": draft, **({"work_order": order.number} if order else {})}
        done = await asyncio.to_thread(
            self.store.change_mode,
            conversation_id,
            Mode.BOT,
            (Mode.AGENT,),
            agent=actor.username,
            values=values,
            replies=[reply],
            event={"kind": "closed", "agent": actor.username, "note": order.number if order else None},
        )
        if done is None:
            raise self._held_conflict(await self._get(conversation_id), actor)
        number = order.number if order else None
        await self.deliver(conversation_id, [reply])
        await self.observe(conversation_id, [_entry(reply)])  # while the agent's console still watches
        await self.publish(
            {
                "type": BusEvent.CLOSED,
                "conversation_id": conversation_id,
                "agent": actor.username,
                "work_order": number,
                "work_order_action": action,
            }
        )
        return {"conversation_id": conversation_id, "mode": "bot", "work_order": number, "work_order_action": action}

    async def _file(self, conv: Conversation, draft: dict[str, Any], actor: Actor) -> tuple[Any, str]:
        existing = await asyncio.to_thread(self.orders.of_conversation, conv.id)
        try:
            if existing is not None:
                order, _ = await asyncio.to_thread(
                    self.orders.update, existing.number, draft, f"agent:{actor.username}"
                )
                return order, "updated"
            order = await asyncio.to_thread(self.orders.create, draft, conv.channel, conv.id, f"agent:{actor.username}")
            return order, "created"
        except ValidationError as exc:
            errors = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
            raise Invalid(
                "invalid_work_order", "the draft work order is incomplete or invalid", errors=errors
            ) from None
        except ValueError as exc:
            raise Conflict("work_order_closed", str(exc)) from None

    # ---- reading ----

    def can_view(self, conv: Conversation, actor: Actor) -> bool:
        return (
            actor.role == "supervisor"
            or conv.mode == Mode.QUEUED.value
            or conv.agent == actor.username
            or conv.alert is not None
        )

    async def detail(self, conversation_id: str, actor: Actor) -> dict[str, Any]:
        conv = await self._get(conversation_id)
        if not self.can_view(conv, actor):
            raise Forbidden("not_allowed", "agents see queued, alerted and their own conversations")
        rows = await asyncio.to_thread(self.store.history, conversation_id, 1000)
        draft = await self.draft_of(conv, rows)
        category = await asyncio.to_thread(self.orders.category_words, draft.get("description"))
        return conversation_detail(conv, rows, draft, category)

    async def conversations(self, actor: Actor) -> list[dict[str, Any]]:
        rows = await asyncio.to_thread(self.store.held, None if actor.role == "supervisor" else actor.username)
        return [await self._held_item(c) for c in rows]

    async def _held_item(self, c: Conversation) -> dict[str, Any]:
        """One held conversation for the list: title, last citizen words, since when the citizen waits."""
        rows = await asyncio.to_thread(self.store.history, c.id, 40)
        return held_item(c, rows, await self.draft_of(c, rows), unanswered(rows, aware(c.taken_at)))

    async def overview(self, accounts: list[Actor]) -> dict[str, Any]:
        """The supervisor's view: every agent (online or not, what they hold) and the queue."""
        online = await self.online_agents()
        held = await asyncio.to_thread(self.store.held)
        queue = await self.queue()
        takes = await asyncio.to_thread(self.store.takes_since, self.clock() - timedelta(hours=1))
        return desk_overview(accounts, online, held, queue, takes)


def _entry(reply: Reply) -> dict[str, Any]:
    return {
        "sender": reply.sender,
        "text": reply.text,
        "direction": "out",
        "ts": iso_utc(utcnow()),
        "delivered": True,
        "kind": "reply",
    }
