"""Speaking on a call: each reply synthesised sentence by sentence, converted to the line's
audio format and played at the transport's pace; barge-in (caller speech or a key while an
interruptible reply plays) stops and flushes it at once. Used by voice/pipeline.py."""

import asyncio
import logging
import time

from conversation.messages import Reply
from core.log_ids import short_id
from voice import events as ev
from voice.audio import StreamConverter
from voice.call import CallTransport
from voice.spoken import sentences, spoken_reply
from voice.synthesis import ReplySynthesis
from voice.tts.base import SynthesisError, TextToSpeech
from voice.turns import TurnTaking

log = logging.getLogger(__name__)


class CallSpeaker:
    def __init__(
        self,
        call_id: str,
        tts: TextToSpeech,
        transport: CallTransport,
        stages: ev.StageTracker,
        turns: TurnTaking,
        tts_rate: str,
    ) -> None:
        self.call_id, self.tts, self.transport, self.stages, self.turns = call_id, tts, transport, stages, turns
        self.tts_rate = tts_rate
        self.playing = False
        self.interrupt = asyncio.Event()
        self._stats: dict = {}
        self._synthesis: ReplySynthesis | None = None
        self.synth_tasks: set[asyncio.Task] = set()  # sentences still draining after a barge-in

    async def speak(self, replies: list[Reply], *, interruptible: bool) -> None:
        for reply in replies:
            text = spoken_reply(reply)
            if text and not await self._speak_one(text, interruptible):
                return  # barge-in: the rest of this turn is dropped

    async def _speak_one(self, text: str, interruptible: bool) -> bool:
        """Synthesise and queue one reply, sentence by sentence; False when interrupted."""
        self.stages.start(ev.PipelineStage.TTS, {"text": text})
        self.interrupt.clear()
        self.playing, self.turns.interruptible = True, interruptible
        stats = self._stats = {"started": time.monotonic(), "first_audio_ms": None, "bytes": 0}
        out = StreamConverter(self.tts.audio_format, self.transport.audio_format)
        big = self.tts.audio_format.bytes_per_second // 5  # convert chunks over 200 ms off the loop
        carry = b""
        synthesis = self._synthesis = ReplySynthesis(self.tts, sentences(text), self.tts_rate, self.call_id)
        self.synth_tasks.add(synthesis.task)
        synthesis.task.add_done_callback(self.synth_tasks.discard)
        try:
            async for chunk in synthesis.chunks():
                data = carry + chunk
                carry = data[len(data) - len(data) % 2 :] if self.tts.audio_format.sample_width == 2 else b""
                data = data[: len(data) - len(carry)]
                pcm = await asyncio.to_thread(out.process, data) if len(data) > big else out.process(data)
                if pcm and not self.interrupt.is_set():
                    self._play(pcm, stats)
            if not self.interrupt.is_set():
                if tail := out.flush():
                    self._play(tail, stats)
                await self._wait_drained()
        except SynthesisError as exc:
            log.error("call %s: speech synthesis failed: %s", short_id(self.call_id), exc)
            self.stages.error(ev.PipelineStage.TTS, ev.PipelineErrorCode.TTS_FAILED, str(exc))
            return True
        finally:
            self.playing = False
            synthesis.stop()
        self._end_tts(interrupted=self.interrupt.is_set())
        return not self.interrupt.is_set()

    def _play(self, pcm: bytes, stats: dict) -> None:
        if stats["first_audio_ms"] is None:
            stats["first_audio_ms"] = round((time.monotonic() - stats["started"]) * 1000)
        stats["bytes"] += len(pcm)
        self.transport.play(pcm)

    def _end_tts(self, *, interrupted: bool) -> None:
        stats = self._stats
        audio_ms = stats.get("bytes", 0) * 1000 // self.transport.audio_format.bytes_per_second
        self.stages.end(
            ev.PipelineStage.TTS,
            {"interrupted": interrupted, "first_audio_ms": stats.get("first_audio_ms"), "audio_ms": audio_ms},
        )

    async def _wait_drained(self) -> None:
        drained = asyncio.ensure_future(self.transport.drained())
        interrupted = asyncio.ensure_future(self.interrupt.wait())
        try:
            await asyncio.wait({drained, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            drained.cancel()
            interrupted.cancel()

    def barge_in(self) -> None:
        """Caller speech or a key while we play: stop at once, flush, close the tts stage now."""
        if self.playing and self.turns.interruptible and not self.interrupt.is_set():
            self.interrupt.set()
            self.transport.clear()
            if self._synthesis is not None:
                self._synthesis.stop()
            self.stages.emit(ev.PipelineEventType.BARGE_IN, {})
            self._end_tts(interrupted=True)
