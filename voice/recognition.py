"""Speech recognition for calls.

`Recognition` is one call's recogniser, fed by the audio loop without ever blocking it:
utterances are queued (start with pre-roll, audio, end of turn) and decoded in order by one
task, so VAD, barge-in and DTMF stay real-time even when decoding lags behind. It emits the
`stt-*` events of each utterance.

`StreamPool` lends recognition streams per utterance. A fresh Vosk recogniser decodes its first
utterance several times slower than later ones (its decoding graph is expanded lazily, per
recogniser: 2.5 s of CPU for a 5.5 s clip when fresh, 0.35 s when warm, with one 200 ms step
taking 0.9 s) and keeps tens of MB after decoding; lending warm streams keeps turns fast and
memory proportional to the callers speaking at the same moment, not to the calls connected.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from voice import events as ev
from voice.asr.base import RecognitionStream, SpeechToText
from voice.audio import StreamResampler, chunk, resample_pcm16
from voice.endpointing import sounds_finished
from voice.spoken import SlotPhrases, clean_transcript

log = logging.getLogger(__name__)
# At a pause the partial transcript is trusted only when decoding is at most this far behind the
# caller's audio (the pause is 500 ms of silence, so the speech itself has then been decoded).
MAX_BEHIND_MS = 400


@dataclass
class Lease:
    stream: RecognitionStream
    slot: str | None = None  # the phrase list in force on this stream


class StreamPool:
    def __init__(self, stt: SpeechToText, max_idle: int = 4) -> None:
        self.stt, self.max_idle = stt, max_idle
        self._idle: list[Lease] = []
        self.opened = 0  # streams opened over the pool's life
        self._closed = False

    @property
    def idle(self) -> int:
        return len(self._idle)

    async def acquire(self) -> Lease:
        if self._idle:
            return self._idle.pop()  # the most recently used: the warmest
        self.opened += 1
        return Lease(await self.stt.open_stream())

    async def release(self, lease: Lease, *, reusable: bool = True) -> None:
        if reusable and not self._closed and len(self._idle) < self.max_idle:
            self._idle.append(lease)
            return
        await _close(lease.stream)

    async def warm(self, speech_pcm: bytes, rate: int, count: int | None = None) -> None:
        """Open `count` streams (default: as many as the pool keeps) and decode some speech with
        each, so that callers speaking at the same moment all get warm ones."""
        pcm = resample_pcm16(speech_pcm, rate, self.stt.audio_format.sample_rate)
        leases = [await self.acquire() for _ in range(self.max_idle if count is None else count)]
        for lease in leases:
            for piece in chunk(pcm, self.stt.audio_format.frame_bytes(100), pad=False):
                await lease.stream.accept(piece)
            await lease.stream.finish()
        for lease in leases:
            await self.release(lease)

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            await _close(self._idle.pop().stream)


async def _close(stream: RecognitionStream) -> None:
    try:
        await stream.close()
    except Exception as exc:  # noqa: BLE001  (closing must not fail a hang-up)
        log.warning("closing a recognition stream failed: %s", exc)


class Recognition:
    def __init__(
        self,
        pool: StreamPool,
        in_rate: int,
        chunk_bytes: int,
        stages: ev.StageTracker,
        heard: Callable[[str | None], None],
        phrases: SlotPhrases | None = None,
        name: str = "",
    ) -> None:
        self.pool, self.in_rate, self.chunk_bytes = pool, in_rate, chunk_bytes
        self.stt_rate = pool.stt.audio_format.sample_rate
        self.stages, self.heard, self.phrases = stages, heard, phrases
        self._ops: asyncio.Queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name=f"voice-stt-{name}")
        self._lease: Lease | None = None
        self._pending = bytearray()
        self._resampler: StreamResampler | None = None
        self.queued = 0  # operations not yet processed
        self.partial = ""  # the current utterance's latest partial transcript
        self._queued_bytes = 0  # caller audio in queued operations

    # --- from the audio loop (never block) ------------------------------------------------------
    def start(self, preroll: bytes, expect: str | None) -> None:
        self._queued_bytes += len(preroll)
        self._put(("start", preroll, expect))

    def audio(self, frame: bytes) -> None:
        self._queued_bytes += len(frame)
        self._put(("audio", frame))

    @property
    def behind_ms(self) -> float:
        """How much of the caller's audio has not been through the recogniser yet."""
        return (self._queued_bytes + len(self._pending)) * 1000 / (2 * self.in_rate)

    def sounds_finished(self, expect: str | None) -> bool:
        """At a pause: whether the utterance so far sounds like a finished turn (a stale partial,
        when decoding lags, never does)."""
        return self.behind_ms <= MAX_BEHIND_MS and sounds_finished(self.partial, expect)

    def end(self, trailing_silence_ms: int, detected_ms: int) -> None:
        """End of the caller's turn, detected at `detected_ms` of the run (real time)."""
        self._put(("end", trailing_silence_ms, detected_ms))

    @property
    def busy(self) -> bool:
        return self.queued > 0 or self.stages.is_open(ev.PipelineStage.STT)

    def _put(self, op: tuple) -> None:
        self.queued += 1
        self._ops.put_nowait(op)

    async def close(self) -> None:
        await ev.stop_task(self._task)
        if self._lease is not None:  # hung up mid-utterance: this stream's state is unknown
            lease, self._lease = self._lease, None
            await self.pool.release(lease, reusable=False)

    # --- the decoding task ----------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            op = await self._ops.get()
            if op[0] in ("start", "audio"):
                self._queued_bytes -= len(op[1])
            try:
                if op[0] == "start":
                    await self._start(op[1], op[2])
                elif self._lease is None:
                    pass  # the rest of a failed utterance is dropped
                elif op[0] == "audio":
                    self._pending += op[1]
                    if len(self._pending) >= self.chunk_bytes:
                        await self._feed()
                else:
                    ends = {"trailing_silence_ms": op[1], "detected_ms": op[2]}
                    self.stages.emit(ev.PipelineEventType.STT_VAD_END, ends)
                    await self._finish()
            except Exception as exc:  # noqa: BLE001  (a recogniser failure ends the utterance, not the call)
                log.error("recogniser failed: %s: %s", type(exc).__name__, exc)
                if self._lease is not None:
                    lease, self._lease = self._lease, None
                    await self.pool.release(lease, reusable=False)
                self.stages.error(ev.PipelineStage.STT, ev.PipelineErrorCode.STT_FAILED, f"{type(exc).__name__}: {exc}")
                self.heard(None)
            finally:
                self.queued -= 1

    async def _start(self, preroll: bytes, expect: str | None) -> None:
        self._resampler = StreamResampler(self.in_rate, self.stt_rate)
        self._pending = bytearray(preroll)
        self.partial = ""
        phrases = self.phrases.for_slot(expect) if self.phrases else None
        slot = expect if phrases else None
        self.stages.start(ev.PipelineStage.STT, {"expect": slot})
        self._lease = await self.pool.acquire()
        if slot != self._lease.slot:
            self._lease.stream.set_grammar(phrases)  # the provider falls back to free recognition itself
            self._lease.slot = slot

    async def _feed(self, final: bool = False) -> None:
        assert self._resampler is not None and self._lease is not None
        pcm = self._resampler.process(bytes(self._pending)) + (self._resampler.flush() if final else b"")
        self._pending.clear()
        partial = await self._lease.stream.accept(pcm) if pcm else None
        if partial:
            self.partial = partial
            self.stages.emit(ev.PipelineEventType.STT_PARTIAL, {"text": partial})

    async def _finish(self) -> None:
        await self._feed(final=True)
        assert self._lease is not None
        text = clean_transcript(await self._lease.stream.finish())
        lease, self._lease = self._lease, None
        await self.pool.release(lease)
        if not text:
            self.stages.error(ev.PipelineStage.STT, ev.PipelineErrorCode.STT_NO_TEXT, "the recogniser returned no text")
            self.heard(None)
            return
        self.stages.end(ev.PipelineStage.STT, {"text": text, "expect": lease.slot})
        self.heard(text)
