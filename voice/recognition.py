"""The call's recogniser, fed by the audio loop without ever blocking it: utterances are queued
(start with pre-roll, audio, end of turn) and decoded in order by one task, so VAD, barge-in and
DTMF stay real-time even when decoding lags behind. Emits the `stt-*` events of each utterance.
"""

import asyncio
import logging
from collections.abc import Callable

from voice import events as ev
from voice.asr.base import RecognitionStream
from voice.audio import StreamResampler
from voice.spoken import SlotPhrases, clean_transcript

log = logging.getLogger(__name__)


class Recognition:
    def __init__(
        self,
        stream: RecognitionStream,
        in_rate: int,
        stt_rate: int,
        chunk_bytes: int,
        stages: ev.StageTracker,
        heard: Callable[[str | None], None],
        phrases: SlotPhrases | None = None,
        name: str = "",
    ) -> None:
        self.stream, self.in_rate, self.stt_rate, self.chunk_bytes = stream, in_rate, stt_rate, chunk_bytes
        self.stages, self.heard, self.phrases = stages, heard, phrases
        self._ops: asyncio.Queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name=f"voice-stt-{name}")
        self._grammar_slot: str | None = None
        self._pending = bytearray()
        self._resampler: StreamResampler | None = None
        self._failed = False
        self.queued = 0  # operations not yet processed

    # --- from the audio loop (never block) ------------------------------------------------------
    def start(self, preroll: bytes, expect: str | None) -> None:
        self._put(("start", preroll, expect))

    def audio(self, frame: bytes) -> None:
        self._put(("audio", frame))

    def end(self, trailing_silence_ms: int, detected_ms: int) -> None:
        """End of the caller's turn, detected at `detected_ms` of the run (real time)."""
        self._put(("end", trailing_silence_ms, detected_ms))

    @property
    def busy(self) -> bool:
        return self.queued > 0 or self.stages.is_open("stt")

    def _put(self, op: tuple) -> None:
        self.queued += 1
        self._ops.put_nowait(op)

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.stream.close()
        except Exception as exc:  # noqa: BLE001  (closing must not fail a hang-up)
            log.warning("closing a recognition stream failed: %s", exc)

    # --- the decoding task ----------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            op = await self._ops.get()
            try:
                if op[0] == "start":
                    self._start(op[1], op[2])
                elif self._failed:
                    pass  # the rest of a failed utterance is dropped
                elif op[0] == "audio":
                    self._pending += op[1]
                    if len(self._pending) >= self.chunk_bytes:
                        await self._feed()
                else:
                    self.stages.emit(ev.STT_VAD_END, {"trailing_silence_ms": op[1], "detected_ms": op[2]})
                    await self._finish()
            except Exception as exc:  # noqa: BLE001  (a recogniser failure ends the utterance, not the call)
                log.error("recogniser failed: %s: %s", type(exc).__name__, exc)
                self._failed = True
                self.stages.error("stt", ev.STT_FAILED, f"{type(exc).__name__}: {exc}")
                self.heard(None)
            finally:
                self.queued -= 1

    def _start(self, preroll: bytes, expect: str | None) -> None:
        if expect != self._grammar_slot:
            phrases = self.phrases.for_slot(expect) if self.phrases else None
            self.stream.set_grammar(phrases)  # the provider falls back to free recognition by itself
            self._grammar_slot = expect if phrases else None
        self._failed = False
        self._resampler = StreamResampler(self.in_rate, self.stt_rate)
        self._pending = bytearray(preroll)
        self.stages.start("stt", {"expect": self._grammar_slot})

    async def _feed(self, final: bool = False) -> None:
        assert self._resampler is not None
        pcm = self._resampler.process(bytes(self._pending)) + (self._resampler.flush() if final else b"")
        self._pending.clear()
        partial = await self.stream.accept(pcm) if pcm else None
        if partial:
            self.stages.emit(ev.STT_PARTIAL, {"text": partial})

    async def _finish(self) -> None:
        await self._feed(final=True)
        text = clean_transcript(await self.stream.finish())
        if not text:
            self.stages.error("stt", ev.STT_NO_TEXT, "the recogniser returned no text")
            self.heard(None)
            return
        self.stages.end("stt", {"text": text, "expect": self._grammar_slot})
        self.heard(text)
