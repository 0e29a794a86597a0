"""ConversationRouter: routes each citizen message to the bot or to the human side, persisting
every message before anything is answered."""

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conversation.engine import DialogueEngine, EngineUnavailable
from conversation.messages import Button, InboundMessage, Mode, Reply
from conversation.store import ConversationStore
from core.clock import iso_utc
from core.metrics import Metrics

log = logging.getLogger(__name__)

REQUEST_HUMAN = "/request_human"
BACK_TO_BOT = "/back_to_bot"

HUMAN_BUTTON = Button(title="转人工", payload=REQUEST_HUMAN)
BACK_BUTTON = Button(title="返回智能客服", payload=BACK_TO_BOT)

ENGINE_DOWN = "抱歉，智能客服暂时无法应答，您的留言已记录。需要的话可以为您转接人工客服。"
HANDING_OFF = "正在为您转接人工客服，请稍候…"
STILL_QUEUED = "您正在等待人工客服，留言已记录，客服接入后会看到。"
BACK_WITH_BOT = "已转回智能客服，请问还有什么可以帮您？"


Enricher = Callable[[str], dict[str, Any]]


class ConversationRouter:
    def __init__(
        self, store: ConversationStore, engine: DialogueEngine, metrics: Metrics, enrich: Enricher | None = None
    ) -> None:
        self.store = store
        self.engine = engine
        self.metrics = metrics
        # Recognises details (place, time, phone …) in a text; passed to the engine as metadata.
        self.enrich = enrich
        # One lock per live conversation: turns of one conversation never interleave.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def open(self, conversation_id: str, channel: str, user_id: str) -> Mode:
        conv = await asyncio.to_thread(self.store.get_or_create, conversation_id, channel, user_id)
        return Mode(conv.mode)

    async def reject(self, msg: InboundMessage, error_code: str) -> None:
        """Keep a citizen message that was refused (too long, bad characters) for the record."""
        await asyncio.to_thread(self.store.add_inbound, msg, error_code)

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        """Persist the message, get the replies for the conversation's mode, persist them."""
        started = time.perf_counter()
        lock = self._locks.get(msg.conversation_id)
        if lock is None:
            lock = self._locks[msg.conversation_id] = asyncio.Lock()
        async with lock:
            mode = await asyncio.to_thread(self.store.add_inbound, msg)
            self.metrics.messages.labels(msg.channel, "in").inc()
            if mode is Mode.BOT:
                replies = await self._bot_turn(msg)
            elif mode is Mode.QUEUED:
                replies = await self._queued_turn(msg)
            else:  # AGENT: nothing reaches the bot; the agent desk sees the stored message.
                replies = []
            if replies:
                await asyncio.to_thread(self.store.add_outbound, msg.conversation_id, replies)
                self.metrics.messages.labels(msg.channel, "out").inc(len(replies))
        self.metrics.turn_seconds.labels(msg.channel).observe(time.perf_counter() - started)
        return replies

    async def _bot_turn(self, msg: InboundMessage) -> list[Reply]:
        if self.enrich is not None:
            msg = replace(msg, metadata={**msg.metadata, "extracted": self.enrich(msg.text)})
        try:
            replies = await self.engine.handle(msg)
        except EngineUnavailable as exc:
            log.error("dialogue engine unavailable for %s: %s", msg.conversation_id, exc)
            replies = []
        if not replies:
            self.metrics.engine_failures.inc()
            if msg.text.strip() == REQUEST_HUMAN:
                return await self._handoff(msg.conversation_id, {"reason": "requested", "engine": "down"})
            return [Reply(text=ENGINE_DOWN, buttons=(HUMAN_BUTTON,), sender="system")]
        out: list[Reply] = []
        for reply in replies:
            if isinstance(reply.data.get("handoff"), dict):
                out += await self._handoff(msg.conversation_id, reply.data["handoff"])
            else:
                out.append(reply)
        return out

    async def _queued_turn(self, msg: InboundMessage) -> list[Reply]:
        if msg.text.strip() == BACK_TO_BOT:
            await asyncio.to_thread(self.store.set_mode, msg.conversation_id, Mode.BOT)
            return [Reply(text=BACK_WITH_BOT, data={"mode": Mode.BOT.value}, sender="system")]
        return [Reply(text=STILL_QUEUED, buttons=(BACK_BUTTON,), sender="system")]

    async def _handoff(self, conversation_id: str, summary: dict) -> list[Reply]:
        reason = str(summary.get("reason", "requested"))
        await asyncio.to_thread(self.store.set_mode, conversation_id, Mode.QUEUED, summary)
        self.metrics.handoffs.labels(reason).inc()
        log.info("conversation %s queued for a human agent (reason=%s)", conversation_id, reason)
        return [
            Reply(
                text=HANDING_OFF,
                buttons=(BACK_BUTTON,),
                data={"mode": Mode.QUEUED.value, "handoff_reason": reason},
                sender="system",
            )
        ]


def history_entries(store: ConversationStore, conversation_id: str) -> list[dict]:
    """A conversation's stored messages as channel-neutral dicts (for resuming a session)."""
    entries = []
    for row in store.history(conversation_id):
        if row.error_code:
            continue
        payload = row.payload or {}
        entries.append(
            {
                "sender": row.sender,
                "text": (payload.get("title") or row.text) if row.direction == "in" else row.text,
                "buttons": payload.get("buttons", []) if row.direction == "out" else [],
                "ts": iso_utc(row.created_at),
            }
        )
    return entries

