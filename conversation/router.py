"""ConversationRouter: routes each citizen message to the bot or to the human side, persisting
every message before anything is answered.

BOT: the message goes to the dialogue engine; a `handoff` payload in its replies queues the
conversation (or, outside the agents' working hours, offers a callback), an `alert` payload
alerts the agents without the citizen seeing it. The bot's replies are stored and returned only
if no agent took the conversation while the engine was thinking. QUEUED: the citizen is told
their place; /back_to_bot leaves the queue. AGENT: nothing reaches the bot; the agent desk shows
the message live. With an AgentDesk the desk hears about every message (live consoles)."""

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

from conversation.commands import (
    BACK_BUTTON,
    BACK_TO_BOT,
    CALLBACK_BUTTON,
    HUMAN_BUTTON,
    REQUEST_HUMAN,
)
from conversation.distress import MoodSignal
from conversation.engine import DialogueEngine, EngineUnavailable
from conversation.messages import Button, InboundMessage, Mode, Reply
from conversation.models import Conversation, Message
from conversation.replies import (
    BACK_WITH_BOT,
    DISTRESS_CARE,
    ENGINE_DOWN,
    HANDING_OFF as HANDING_OFF,  # re-exported: the channels and tests know them from here
    OUT_OF_HOURS as OUT_OF_HOURS,
    STILL_QUEUED,
    handoff_notice,
    mood_handoff,
)
from conversation.store import ConversationStore, TurnState
from conversation.transcript import for_record, inbound_entry, reply_entry, without
from core.db import saved_id
from core.log_ids import short_id
from core.metrics import Metrics
from core.phone_proof import PhoneProof
from desk.agent_desk import URGENT_REASONS, AgentDesk
from desk.callback import callback_turn, wants_callback
from normalize.text import is_unreadable
from safety.advice import DEFAULT_SERVICES, advice_reply, emergency_numbers
from safety.detector import EmergencyDecision, EmergencyDetector

log = logging.getLogger(__name__)


Enricher = Callable[[str], dict[str, Any]]


class SurveyAnswers(Protocol):
    async def answer(self, msg: InboundMessage) -> list[Reply] | None:
        """The replies when `msg` answers a survey question, else None."""


MoodDetector = Callable[[str], MoodSignal | None]
# Receives replies that must reach the citizen before the rest of the turn (emergency advice).
ReplySink = Callable[[list[Reply]], Awaitable[None]]
# What the dialogue engine is told when the safety net found an emergency (Rasa's intent syntax).
EMERGENCY_INTENT = "/emergency"
# What it is told for text its Chinese NLU cannot read (latin gibberish): not understood.
NOT_UNDERSTOOD_INTENT = "/nlu_fallback"


class ConversationRouter:
    def __init__(
        self,
        store: ConversationStore,
        engine: DialogueEngine,
        metrics: Metrics,
        enrich: Enricher | None = None,
        desk: AgentDesk | None = None,
        mood: MoodDetector | None = None,
        safety: EmergencyDetector | None = None,
        phone_proof: PhoneProof | None = None,
        followup: SurveyAnswers | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.metrics = metrics
        # Recognises details (place, time, phone …) in a text; passed to the engine as metadata.
        self.enrich = enrich
        # The human side (queue, alerts, callbacks); None: handoffs are only marked in the store.
        self.desk = desk
        # Anger or distress in a citizen's message hands the conversation to a person.
        self.mood = mood
        # Looks at every citizen message, in every mode, before anything else answers it.
        self.safety = safety
        # Signs the number a channel verified (caller ID, own Telegram contact) for phone lookups.
        self.phone_proof = phone_proof
        # Reads answers to the survey (回访) about a resolved work order before the dialogue does.
        self.followup = followup
        # One lock per live conversation: turns of one conversation never interleave.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def open(self, conversation_id: str, channel: str, user_id: str, resume_hash: str | None = None) -> Mode:
        conv = await asyncio.to_thread(self.store.get_or_create, conversation_id, channel, user_id, resume_hash)
        return Mode(conv.mode)

    async def reject(self, msg: InboundMessage, error_code: str, original_length: int | None = None) -> None:
        """Keep a citizen message that was refused (too long, bad characters) for the record."""
        await asyncio.to_thread(self.store.receive, msg, error_code, original_length)

    async def find(self, conversation_id: str) -> Conversation | None:
        """The stored conversation (mode, channel, resume hash …), None if there is none."""
        return await asyncio.to_thread(self.store.get, conversation_id)

    async def history(self, conversation_id: str) -> list[Message]:
        """The conversation's stored messages, oldest first (the latest 200)."""
        return await asyncio.to_thread(self.store.history, conversation_id)

    async def record(
        self,
        conversation_id: str,
        replies: list[Reply],
        inbound: InboundMessage | None = None,
        error_code: str | None = None,
    ) -> None:
        """Keep in the history what a channel said by itself, without the dialogue: its `replies`
        (a status list, a spoken prompt) and, when given, the citizen message they answer
        (`error_code` if the channel refused it), so agents and resumed sessions see everything."""
        if inbound is not None:
            await asyncio.to_thread(self.store.add_inbound, inbound, error_code)
        await asyncio.to_thread(self.store.add_outbound, conversation_id, replies)

    def count_refused_frame(self, code: str) -> None:
        """Count a client frame a channel refused before it became a message (by error code)."""
        self.metrics.frame_errors.labels(code).inc()

    async def accept(self, msg: InboundMessage) -> TurnState:
        """Store a citizen message before it is answered (channels that acknowledge messages);
        `handle` with the same `client_id` then answers it, once."""
        return await asyncio.to_thread(self.store.receive, msg, None, None, True)

    async def unanswered(self, conversation_id: str, skip: str | None = None) -> list[InboundMessage]:
        """Stored messages the bot never answered (a stopped gateway, the engine down), to be
        handled again (not the one with client id `skip`, being handled now); only those with a
        client id, which `handle` recognises. Once the conversation is queued or with an agent
        they are no longer the bot's to answer (the agents see them in the history)."""
        rows = [r for r in await asyncio.to_thread(self.store.unanswered, conversation_id) if r.client_id != skip]
        conv = await asyncio.to_thread(self.store.get, conversation_id) if rows else None
        if conv is not None and conv.mode != Mode.BOT.value:  # people have it: they see the messages
            for row in rows:
                await asyncio.to_thread(self.store.settle, saved_id(row))
            return []
        return [
            InboundMessage(
                conversation_id,
                conv.channel,
                conv.user_id,
                row.text,
                {**(row.payload or {}), "client_id": row.client_id},
            )
            for row in rows
            if row.client_id is not None and conv is not None
        ]

    async def handle(self, msg: InboundMessage, urgent: ReplySink | None = None) -> list[Reply]:
        """Persist the message, get the replies for the conversation's mode, persist them.

        An emergency is answered first, whatever the mode: the advice is stored and handed to
        `urgent` (the channel sends it at once) before the dialogue engine, the work order and the
        agents' alert; without `urgent` it is the first of the returned replies."""
        started = time.perf_counter()
        lock = self._locks.get(msg.conversation_id)
        if lock is None:
            lock = self._locks[msg.conversation_id] = asyncio.Lock()
        async with lock:
            state = await asyncio.to_thread(self.store.receive, for_record(msg))
            if state.answered:  # a resent message: its replies are not produced again
                return []
            self.metrics.messages.labels(msg.channel, "in").inc()
            await self._observe(msg.conversation_id, [inbound_entry(msg)])
            decision = await self._screen(msg)
            first: list[Reply] = []
            if decision is not None:  # with the bot, the message stays pending until the dialogue answered
                first = await self._advise(msg, decision, urgent, None if state.mode is Mode.BOT else state.message_id)
            replies = None
            if decision is None and self.desk is not None and wants_callback(msg, state):
                replies = await callback_turn(self.desk, msg, state)
                if replies:
                    await asyncio.to_thread(
                        self.store.add_outbound, msg.conversation_id, replies, None, state.message_id
                    )
            if replies is None and decision is None and self.followup is not None:
                replies = await self.followup.answer(msg)
                if replies:
                    await asyncio.to_thread(
                        self.store.add_outbound, msg.conversation_id, replies, None, state.message_id
                    )
            if replies is None:
                if state.mode is Mode.BOT:
                    replies = await self._bot_turn(msg, state, decision)
                elif decision is not None:  # queued or with an agent: the agents are alerted at once
                    replies = await self._emergency_with_people(msg.conversation_id, state.mode, decision)
                elif state.mode is Mode.QUEUED:
                    replies = await self._queued_turn(msg)
                else:  # AGENT: nothing reaches the bot; the agent desk sees the stored message.
                    replies = []
            if replies:
                self.metrics.messages.labels(msg.channel, "out").inc(len(replies))
                await self._observe(msg.conversation_id, [reply_entry(r) for r in replies])
        self.metrics.turn_seconds.labels(msg.channel).observe(time.perf_counter() - started)
        return [*first, *replies]

    async def _screen(self, msg: InboundMessage) -> EmergencyDecision | None:
        """The safety net's decision on a citizen's words (None: not an emergency)."""
        if self.safety is None or msg.metadata.get("kind") == "button":
            return None
        decision = await asyncio.to_thread(self.safety, msg.text)
        return decision if decision.emergency else None

    async def _advise(
        self, msg: InboundMessage, decision: EmergencyDecision, urgent: ReplySink | None, answered: int | None
    ) -> list[Reply]:
        """Store and deliver the advice; returns it when the caller must still deliver it."""
        advice = [advice_reply(decision.services)]
        await asyncio.to_thread(self.store.add_outbound, msg.conversation_id, advice, None, answered)
        self.metrics.messages.labels(msg.channel, "out").inc()
        log.warning(
            "conversation %s: emergency (%s) %s",
            short_id(msg.conversation_id),
            ",".join(decision.services),
            decision.reason(),
        )
        await self._observe(msg.conversation_id, [reply_entry(r) for r in advice])
        if urgent is None:
            return advice
        await urgent(advice)
        return []

    async def _emergency_with_people(
        self, conversation_id: str, mode: Mode, decision: EmergencyDecision
    ) -> list[Reply]:
        """An emergency while queued or with an agent: alert every console (and move a queued
        conversation to the head of the queue); the advice was already given."""
        if mode is Mode.QUEUED:
            await asyncio.to_thread(self.store.set_fields, conversation_id, priority=1)
        await self._alert(conversation_id, {"reason": "emergency", "detection": decision.to_dict()})
        return []

    async def _observe(self, conversation_id: str, entries: list[dict[str, Any]]) -> None:
        if self.desk is not None:
            await self.desk.observe(conversation_id, entries)

    async def _bot_turn(self, msg: InboundMessage, state: TurnState, decision: EmergencyDecision | None) -> list[Reply]:
        metadata = dict(msg.metadata)
        if self.enrich is not None:
            metadata["extracted"] = self.enrich(msg.text)
        metadata.pop("verified_phone_proof", None)  # only ever made here
        if metadata.get("verified_phone") and self.phone_proof is not None:
            metadata["verified_phone_proof"] = self.phone_proof.issue(str(metadata["verified_phone"]))
        if decision is not None:  # the dialogue takes the emergency path whatever its NLU thinks
            numbers = [n["number"] for n in emergency_numbers(decision.services)]
            metadata |= {"text": msg.text, "safety": {**decision.to_dict(), "numbers": numbers}}
            msg = replace(msg, text=EMERGENCY_INTENT)
        elif is_unreadable(msg.text):
            metadata["text"] = msg.text
            msg = replace(msg, text=NOT_UNDERSTOOD_INTENT)
        msg = replace(msg, metadata=metadata)
        try:
            replies = await self.engine.handle(msg)
        except EngineUnavailable as exc:
            log.error("dialogue engine unavailable for %s: %s", short_id(msg.conversation_id), exc)
            replies = []
        detection = decision.to_dict() if decision is not None else None
        if not replies:
            self.metrics.engine_failures.inc()
            if decision is not None:  # advised already: straight to the head of the agents' queue
                return await self._commit(
                    msg.conversation_id, state, [], {"reason": "emergency", "engine": "down", "detection": detection}
                )
            if msg.text.strip() == REQUEST_HUMAN:
                return await self._commit(msg.conversation_id, state, [], {"reason": "requested", "engine": "down"}, 0)
            state = replace(state, message_id=None)  # not passed on: stays pending until the engine is back
            return await self._commit(
                msg.conversation_id, state, [Reply(ENGINE_DOWN, (HUMAN_BUTTON,), sender="system")]
            )
        out: list[Reply] = []
        handoff, handoff_at = None, 0
        for reply in replies:
            if "emergency" in reply.data:  # the dialogue's own emergency advice
                if decision is not None:
                    reply = without(reply, "emergency", text=True)  # the net advised already
                else:  # the dialogue recognised what the net did not: its advice, with the right numbers
                    detection = await self._dialogue_detection(msg)
                    advice, rest = advice_reply(tuple(detection["services"])), without(reply, "emergency")
                    reply = replace(advice, data={**rest.data, **advice.data})
                if not reply.text and not reply.buttons and not reply.data:
                    continue
            if isinstance(reply.data.get("alert"), dict):  # for the agents only
                alert = reply.data["alert"]
                if detection is not None and alert.get("reason") == "emergency":
                    alert = {**alert, "detection": detection}
                await self._alert(msg.conversation_id, alert)
                reply = without(reply, "alert")
                if not reply.text and not reply.buttons and not reply.data:
                    continue
            if isinstance(reply.data.get("handoff"), dict):
                if handoff is None:
                    handoff, handoff_at = reply.data["handoff"], len(out)
                    if detection is not None and handoff.get("reason") == "emergency":
                        handoff = {**handoff, "detection": detection}
                continue
            out.append(reply)
        if handoff is None and self.mood is not None and (signal := self.mood(msg.text)) is not None:
            handoff, handoff_at = mood_handoff(signal), len(out)
            if signal.label == "distress":
                out.append(Reply(DISTRESS_CARE, sender="system"))
            log.info(
                "conversation %s: %s detected (%s, %.2f)",
                short_id(msg.conversation_id),
                signal.label,
                signal.by,
                signal.score,
            )
        return await self._commit(msg.conversation_id, state, out, handoff, handoff_at)

    async def _dialogue_detection(self, msg: InboundMessage) -> dict[str, Any]:
        services = await asyncio.to_thread(self.safety.services_for, msg.text) if self.safety else ()
        services = services or DEFAULT_SERVICES
        log.warning(
            "conversation %s: emergency (%s) recognised by the dialogue, not the safety net",
            short_id(msg.conversation_id),
            ",".join(services),
        )
        return {"services": list(services), "by": "dialogue", "reason": "by dialogue intent"}

    async def _alert(self, conversation_id: str, alert: dict[str, Any]) -> None:
        if self.desk is not None:
            await self.desk.alert(conversation_id, alert)
        else:
            log.warning("alert %s on %s (no agent desk)", alert.get("reason"), short_id(conversation_id))

    async def _commit(
        self, conversation_id: str, state: TurnState, out: list[Reply], handoff: dict | None = None, handoff_at: int = 0
    ) -> list[Reply]:
        """Store the turn's replies (queuing the conversation on a handoff) unless an agent took
        the conversation while the engine was thinking: then nothing is delivered."""
        queue = False
        desk = self.desk
        if handoff is not None:
            reason = str(handoff.get("reason", "requested"))
            queue = desk is None or desk.accepting(reason)
            notice = handoff_notice(reason, None if queue or desk is None else desk.hours_label())
            out = [*out[:handoff_at], notice, *out[handoff_at:]]
        priority = 1 if handoff is not None and handoff.get("reason") in URGENT_REASONS else 0
        current = await asyncio.to_thread(
            self.store.finish_bot_turn, conversation_id, state.seq, out, handoff, queue, priority, state.message_id
        )
        if not current:
            log.info(
                "bot replies for %s dropped: an agent took the conversation during the turn", short_id(conversation_id)
            )
            return []
        if queue and handoff is not None:
            self.metrics.handoffs.labels(str(handoff.get("reason", "requested"))).inc()
            log.info(
                "conversation %s queued for a human agent (reason=%s)", short_id(conversation_id), handoff.get("reason")
            )
            if desk is not None:
                extra = await desk.on_queued(conversation_id, handoff)
                stored = bool(extra) and await asyncio.to_thread(
                    self.store.add_outbound, conversation_id, extra, Mode.QUEUED
                )
                if stored:
                    out = [*out, *extra]
        return out

    async def _queued_turn(self, msg: InboundMessage) -> list[Reply]:
        cid = msg.conversation_id
        if msg.text.strip() == BACK_TO_BOT:
            before = await self.desk.queue_ids() if self.desk is not None else []
            reply = Reply(BACK_WITH_BOT, data={"mode": Mode.BOT.value}, sender="system")
            left = await asyncio.to_thread(
                self.store.change_mode,
                cid,
                Mode.BOT,
                (Mode.QUEUED,),
                values={"callback": None},
                replies=[reply],
                event={"kind": "left"},
            )
            if left is None:  # an agent took it meanwhile: the citizen is with them now
                return []
            if self.desk is not None:
                await self.desk.left_queue(cid, before)
            return [reply]
        text = STILL_QUEUED
        buttons: tuple[Button, ...] = (BACK_BUTTON,)
        if self.desk is not None and (place := await self.desk.place_text(cid)):
            text, buttons = text + place, (CALLBACK_BUTTON, BACK_BUTTON)
        reply = Reply(text, buttons=buttons, sender="system")
        if not await asyncio.to_thread(self.store.add_outbound, cid, [reply], Mode.QUEUED):
            return []
        return [reply]
