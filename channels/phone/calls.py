"""PhoneChannel: the Channel for `phone:` conversations. It builds one VoicePipeline per call,
knows the live calls (an agent's messages are spoken into them), and remembers how each call
left the bot (`transfer` or `hangup`) for the PBX or provider that asks afterwards. A call we
placed (the survey 回访, `outbound`) opens with the replies it was placed for."""

import asyncio
import contextlib
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from channels.phone.outbound import OutboundCalls
from conversation.messages import Reply
from conversation.router import ConversationRouter
from core.log_ids import short_id
from core.pii import mask_phone
from voice.asr.base import SpeechToText
from voice.call import CHANNEL, CallInfo, CallTransport, PipelineConfig
from voice.events import PipelineErrorCode, PipelineEvent, PipelineEventType
from voice.pipeline import VoicePipeline
from voice.recognition import StreamPool
from voice.spoken import SlotPhrases
from voice.tts.base import TextToSpeech

log = logging.getLogger(__name__)

CallListener = Callable[[CallInfo, PipelineEvent], None]
DISPOSITION_TTL_S = 3600
CALLER_TTL_S = 60  # a caller number announced by the dialplan waits this long for its call
MAX_REMEMBERED = 10_000
STREAMS_PER_CORE = 6  # warm recognition streams kept per core (10+ calls on 2 cores: up to ~10 speak at once)


class PhoneChannel:
    name = CHANNEL

    def __init__(
        self,
        router: ConversationRouter,
        stt: SpeechToText | None,
        tts: TextToSpeech,
        phrases: SlotPhrases | None = None,
        config: PipelineConfig | None = None,
        outbound: OutboundCalls | None = None,
    ) -> None:
        self.router, self.stt, self.tts, self.phrases = router, stt, tts, phrases
        # Calls placed through the PBX (followup/pbx), waiting to be connected to this gateway.
        self.outbound = outbound if outbound is not None else OutboundCalls()
        self.config = config or PipelineConfig()
        self.listeners: list[CallListener] = []
        self.calls: dict[str, VoicePipeline] = {}  # conversation id -> live pipeline
        self._dispositions: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._callers: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.registry = None  # channels.registry.ChannelRegistry: who owns a live conversation
        self.calls_total = 0
        # Warm recognition streams lent per utterance, shared by every call of this channel: as
        # many as callers may speak at the same moment (a cold one costs seconds of CPU).
        self.pool = StreamPool(stt, max_idle=STREAMS_PER_CORE * (os.cpu_count() or 1)) if stt is not None else None

    def attach_registry(self, registry) -> None:
        """Deliveries for `phone:` conversations (agents' messages) come here while the call lasts."""
        self.registry = registry
        registry.register(self)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        """Server shutdown: every live call ends (its transport closes the leg), then the pool."""
        for pipeline in list(self.calls.values()):
            pipeline.abort(PipelineErrorCode.SHUTDOWN, "the gateway is shutting down")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                while self.calls:
                    await asyncio.sleep(0.05)
        if self.pool is not None:
            await self.pool.close()

    async def send(self, conversation_id: str, replies: list[Reply]) -> None:
        """Speak an agent's (or the system's) messages into a live call; no-op when it has ended."""
        pipeline = self.calls.get(conversation_id)
        if pipeline is None:
            log.info("no live call for %s; %d message(s) not spoken", short_id(conversation_id), len(replies))
            return
        pipeline.say(replies)

    def speech_available(self) -> bool:
        return self.stt is not None and self.stt.available()

    def open_call(self, call: CallInfo, transport: CallTransport) -> VoicePipeline:
        """Create and register the call's pipeline (run it with `finish_call`)."""
        if call.conversation_id in self.calls:
            raise ValueError(f"call {call.call_id} is already connected")
        placed = self.outbound.take(call.placed_id or call.call_id)
        if placed is not None:  # we dialled the number: it is the citizen's, as a caller ID would be
            call = replace(call, caller=call.caller or placed.phone)
            log.info(
                "call %s: survey call about %s to %s connected",
                short_id(call.call_id),
                placed.work_order,
                mask_phone(placed.phone),
            )
        pipeline = VoicePipeline(
            call,
            transport,
            self.router,
            self.stt,
            self.tts,
            self.phrases,
            self.config,
            listeners=[lambda event: self._notify(call, event)],
            pool=self.pool,
            opening=list(placed.replies) if placed is not None else None,
        )
        self.calls[call.conversation_id] = pipeline
        self.calls_total += 1
        if self.registry is not None:
            self.registry.connected(call.conversation_id, call.call_id)
        log.info("call %s connected over %s (%d live)", short_id(call.call_id), transport.name, len(self.calls))
        return pipeline

    async def finish_call(self, pipeline: VoicePipeline) -> None:
        """Run the pipeline to its end, then forget the call and remember how it ended."""
        call = pipeline.call
        started = time.monotonic()
        try:
            reason = await pipeline.run()
        finally:
            self.calls.pop(call.conversation_id, None)
            if self.registry is not None:
                self.registry.disconnected(call.conversation_id, call.call_id)
        disposition = "transfer" if reason == "transfer" else "hangup"
        self._remember(call.call_id, disposition)
        log.info(
            "call %s ended: %s after %.1f s (%d live)",
            short_id(call.call_id),
            reason,
            time.monotonic() - started,
            len(self.calls),
        )

    def disposition(self, call_id: str) -> str | None:
        """'active', 'transfer', 'hangup', or None for a call this gateway does not know."""
        if f"{CHANNEL}:{call_id}" in self.calls:
            return "active"
        entry = self._dispositions.get(call_id)
        if entry is None or time.monotonic() - entry[1] > DISPOSITION_TTL_S:
            return None
        return entry[0]

    def announce_caller(self, call_id: str, number: str) -> None:
        """The PBX tells us who is calling before the call's audio connects (AudioSocket)."""
        _remember(self._callers, call_id, number)

    def caller_of(self, call_id: str) -> str | None:
        entry = self._callers.pop(call_id, None)
        return entry[0] if entry is not None and time.monotonic() - entry[1] <= CALLER_TTL_S else None

    def _remember(self, call_id: str, disposition: str) -> None:
        _remember(self._dispositions, call_id, disposition)

    def _notify(self, call: CallInfo, event: PipelineEvent) -> None:
        if event.type == PipelineEventType.ERROR:
            log.info("call %s: %s (%s)", short_id(call.call_id), event.data.get("code"), event.data.get("message", ""))
        for listener in self.listeners:
            listener(call, event)


def _remember(table: OrderedDict[str, tuple[str, float]], key: str, value: str) -> None:
    table[key] = (value, time.monotonic())
    table.move_to_end(key)
    while len(table) > MAX_REMEMBERED:
        table.popitem(last=False)


async def run_to_end(phone: PhoneChannel, pipeline: VoicePipeline, reader: asyncio.Task) -> None:
    """Wait for the call to end; stop the transport's reader task either way."""
    try:
        await phone.finish_call(pipeline)
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
