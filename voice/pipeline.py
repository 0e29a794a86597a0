"""VoicePipeline: one per phone call. Caller audio → VAD/end-of-turn → speech recognition →
ConversationRouter → reply text → TTS → the transport, with barge-in, silence time-outs, DTMF and
a keypad-only mode when no recogniser is available. Every stage emits paired events
(voice/events.py) so a test can assert the whole sequence of a call.

A transport (AudioSocket, media-stream WebSocket, …) feeds `feed_audio` / `feed_dtmf` /
`caller_hangup` and implements `CallTransport` (paced playback, flush, end of the call leg).
"""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from conversation.messages import InboundMessage, Mode, Reply
from conversation.router import REQUEST_HUMAN, ConversationRouter
from voice import events as ev
from voice.call import (
    CHANNEL, FRAME_MS, GOODBYE_SILENT, GREETING, GREETING_KEYPAD, INVALID_KEYS, KEYPAD_HINT, NOT_HEARD, REPROMPT,
    REPROMPT_KEYPAD, SYSTEM_APOLOGY, CallInfo, CallTransport, InputOverflow, PipelineConfig,
)  # fmt: skip
from voice.asr.base import RecognitionStream, SpeechToText, SpeechUnavailable
from voice.audio import StreamConverter, StreamResampler
from voice.spoken import SlotPhrases, clean_transcript, expected_slot, sentences, spoken_reply
from voice.tts.base import SynthesisError, TextToSpeech
from voice.turns import DtmfCollector, KeyAction, KeyResult, SilenceAction, TurnTaking
from voice.vad import VoiceActivityDetector

log = logging.getLogger(__name__)


@dataclass
class _Say:
    replies: list[Reply]
    interruptible: bool = True
    record: bool = True
    then: str | None = None  # end the call afterwards with this reason


@dataclass
class _Turn:
    text: str
    source: str  # speech | dtmf


class VoicePipeline:
    def __init__(
        self,
        call: CallInfo,
        transport: CallTransport,
        router: ConversationRouter,
        stt: SpeechToText | None,
        tts: TextToSpeech,
        phrases: SlotPhrases | None = None,
        config: PipelineConfig | None = None,
        listeners: list[Callable[[ev.PipelineEvent], None]] | None = None,
    ) -> None:
        self.call, self.transport, self.router = call, transport, router
        self.stt, self.tts, self.phrases = stt, tts, phrases
        self.config = config or PipelineConfig()
        self.listeners = list(listeners or ())
        rate = transport.audio_format.sample_rate
        self._frame_bytes = transport.audio_format.frame_bytes(FRAME_MS)
        self._vad = VoiceActivityDetector(sample_rate=rate, frame_ms=FRAME_MS, **self.config.vad)
        self._turns = TurnTaking(self.config.silence_timeout_s, self.config.max_reprompts)
        self._keys = DtmfCollector(self.config.dtmf_timeout_s)
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._jobs: asyncio.Queue = asyncio.Queue()
        self._pending = b""  # inbound bytes short of a whole frame
        self._received_ms = 0
        self._t0 = time.monotonic()
        self._open: list[str] = []
        self._stream: RecognitionStream | None = None
        self._speech = False
        self._recording = False
        self._preroll: deque[bytes] = deque(maxlen=max(1, self.config.preroll_ms // FRAME_MS))
        self._to_stt: StreamResampler | None = None
        self._stt_pending = bytearray()
        self._expect: str | None = None
        self._grammar_slot: str | None = None
        self._playing = False
        self._interrupt = asyncio.Event()
        self._ended = False
        self.end_reason: str | None = None

    # --- inputs from the transport (non-blocking) ---------------------------------------------
    def feed_audio(self, pcm16: bytes) -> None:
        if self._ended:
            return
        self._received_ms += len(pcm16) * 1000 // self.transport.audio_format.bytes_per_second
        ahead = self._received_ms - (time.monotonic() - self._t0) * 1000
        if ahead > self.config.max_ahead_ms:
            raise InputOverflow(f"audio arrives faster than real time ({ahead:.0f} ms ahead of the clock)")
        data = self._pending + pcm16
        whole = len(data) - len(data) % self._frame_bytes
        for i in range(0, whole, self._frame_bytes):
            self._inbox.put_nowait(data[i : i + self._frame_bytes])
        self._pending = data[whole:]

    def feed_dtmf(self, key: str) -> None:
        self._inbox.put_nowait(("dtmf", key))

    def caller_hangup(self) -> None:
        self._inbox.put_nowait(("end", "caller-hangup", None))

    def abort(self, code: str, message: str) -> None:
        """The transport gives up on the call (bad input): error event, then the run ends."""
        self._emit(ev.ERROR, {"code": code, "message": message})
        self._inbox.put_nowait(("end", code, None))

    def say(self, replies: list[Reply]) -> None:
        """Speak replies that did not come from a caller turn (an agent's messages)."""
        self._jobs.put_nowait(_Say(list(replies), record=False))

    # --- the run ------------------------------------------------------------------------------
    async def run(self) -> str:
        self._t0 = time.monotonic()
        self._turns.start(self._t0)
        worker: asyncio.Task | None = None
        reason = "error"
        self._stage_start("run", {"call_id": self.call.call_id, "transport": self.transport.name})
        try:
            await self.router.open(self.call.conversation_id, CHANNEL, self.call.user_id)
            await self._open_recognition()
            worker = asyncio.create_task(self._worker(), name=f"voice-worker-{self.call.call_id}")
            greeting = GREETING if self._speech else GREETING_KEYPAD
            self._jobs.put_nowait(_Say([Reply(greeting)]))
            reason, disposition = await self._loop()
            if disposition is not None:
                await self.transport.end(disposition)
        except Exception as exc:  # noqa: BLE001  (a broken call must not take the server down)
            log.exception("call %s failed: %s", self.call.call_id, exc)
            self._emit(ev.ERROR, {"code": ev.ENGINE_UNAVAILABLE, "message": str(exc)})
            reason = "error"
        finally:
            self._ended = True
            if worker is not None:
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
            code = ev.HANGUP if reason == "caller-hangup" else reason
            for stage in [s for s in reversed(self._open) if s != "run"]:
                self._stage_error(stage, code, f"call ended ({reason}) during {stage}")
            if self._stream is not None:
                with contextlib.suppress(Exception):
                    await self._stream.close()
                self._stream = None
            self.transport.clear()
            self.end_reason = reason
            self._stage_end("run", {"reason": reason})
        return reason

    async def _open_recognition(self) -> None:
        if self.stt is None or not self.stt.available():
            self._emit(ev.ERROR, {"code": ev.STT_UNAVAILABLE, "message": "no speech recogniser: keypad-only call"})
            return
        try:
            self._stream = await self.stt.open_stream()
        except SpeechUnavailable as exc:
            self._emit(ev.ERROR, {"code": ev.STT_UNAVAILABLE, "message": str(exc)})
            return
        self._speech = True

    async def _loop(self) -> tuple[str, str | None]:
        while True:
            try:
                async with asyncio.timeout(0.05):
                    item = await self._inbox.get()
            except TimeoutError:
                item = None
            now = time.monotonic()
            if isinstance(item, bytes):
                await self._on_frame(item, now)
            elif item is not None and item[0] == "dtmf":
                self._on_key(item[1], now)
            elif item is not None and item[0] == "end":
                return item[1], item[2]
            if (keys := self._keys.check_timeout(now)) is not None:
                self._on_keys(keys)
            if self._jobs.empty() and not self._busy:
                self._on_silence(self._turns.check_silence(now))

    @property
    def _busy(self) -> bool:
        return self._recording or bool({"intent", "tts"} & set(self._open))

    # --- caller audio ---------------------------------------------------------------------------
    async def _on_frame(self, frame: bytes, now: float) -> None:
        event = self._vad.process(frame)
        self._preroll.append(frame)
        if event is not None and event.kind == "speech_start":
            if self._turns.speech_started(now, allow_barge_in=self._speech):
                self._barge_in()
            if self._speech:
                self._start_utterance()
        elif self._recording:
            self._stt_pending += frame
        if self._recording and len(self._stt_pending) >= self._frame_bytes * self.config.stt_chunk_ms // FRAME_MS:
            await self._feed_stt()
        if event is not None and event.kind == "speech_end":
            self._turns.speech_ended(now)
            if self._recording:
                self._emit(ev.STT_VAD_END, {"trailing_silence_ms": event.t_ms - event.edge_ms})
                await self._end_utterance()
            elif not self._speech and self._jobs.empty() and not self._busy:
                self._emit(ev.ERROR, {"code": ev.STT_UNAVAILABLE, "message": "caller spoke on a keypad-only call"})
                self._jobs.put_nowait(_Say([Reply(KEYPAD_HINT)]))

    def _start_utterance(self) -> None:
        assert self._stream is not None
        if self._expect != self._grammar_slot:
            phrases = self.phrases.for_slot(self._expect) if self.phrases else None
            self._stream.set_grammar(phrases)
            self._grammar_slot = self._expect if phrases else None
        self._recording = True
        self._to_stt = StreamResampler(self.transport.audio_format.sample_rate, self.stt.audio_format.sample_rate)
        self._stt_pending = bytearray(b"".join(self._preroll))
        self._stage_start("stt", {"expect": self._grammar_slot})

    async def _feed_stt(self, final: bool = False) -> bool:
        assert self._stream is not None and self._to_stt is not None
        pcm = self._to_stt.process(bytes(self._stt_pending)) + (self._to_stt.flush() if final else b"")
        self._stt_pending.clear()
        try:
            partial = await self._stream.accept(pcm) if pcm else None
        except Exception as exc:  # noqa: BLE001  (recogniser failures end the utterance, not the call)
            log.error("call %s: recogniser failed: %s", self.call.call_id, exc)
            self._recording = False
            self._stage_error("stt", ev.STT_FAILED, str(exc))
            self._jobs.put_nowait(_Say([Reply(NOT_HEARD)], record=False))
            return False
        if partial:
            self._emit(ev.STT_PARTIAL, {"text": partial})
        return True

    async def _end_utterance(self) -> None:
        assert self._stream is not None
        if not await self._feed_stt(final=True):
            return
        self._recording = False
        try:
            # A provider with a phrase list falls back to free recognition by itself.
            text = clean_transcript(await self._stream.finish())
        except Exception as exc:  # noqa: BLE001
            log.error("call %s: recogniser failed: %s", self.call.call_id, exc)
            self._stage_error("stt", ev.STT_FAILED, str(exc))
            self._jobs.put_nowait(_Say([Reply(NOT_HEARD)], record=False))
            return
        if not text:
            self._stage_error("stt", ev.STT_NO_TEXT, "the recogniser returned no text")
            self._jobs.put_nowait(_Say([Reply(NOT_HEARD)], record=False))
            return
        self._stage_end("stt", {"text": text, "expect": self._grammar_slot})
        self._jobs.put_nowait(_Turn(text, "speech"))

    # --- keys -----------------------------------------------------------------------------------
    def _on_key(self, key: str, now: float) -> None:
        self._emit(ev.DTMF, {"digit": key})
        self._turns.key_pressed(now)
        self._barge_in()
        if (result := self._keys.press(key, now)) is not None:
            self._on_keys(result)

    def _on_keys(self, result: KeyResult) -> None:
        if result.action is KeyAction.HUMAN:
            self._jobs.put_nowait(_Turn(REQUEST_HUMAN, "dtmf"))
        elif result.action is KeyAction.NUMBER and self._expect in ("phone", "ticket_number"):
            self._jobs.put_nowait(_Turn(result.digits, "dtmf"))
        elif result.action is KeyAction.NUMBER and result.ticket:
            self._jobs.put_nowait(_Turn(f"查询工单 {result.ticket}", "dtmf"))
        else:
            self._emit(ev.ERROR, {"code": ev.DTMF_INVALID, "message": f"{len(result.digits)} digits are no work-order number"})
            self._jobs.put_nowait(_Say([Reply(INVALID_KEYS)], record=False))

    # --- silence --------------------------------------------------------------------------------
    def _on_silence(self, action: SilenceAction | None) -> None:
        if action is SilenceAction.REPROMPT:
            self._jobs.put_nowait(_Say([Reply(REPROMPT if self._speech else REPROMPT_KEYPAD)]))
        elif action is SilenceAction.GIVE_UP:
            self._emit(ev.ERROR, {"code": ev.CALLER_SILENT, "message": "no caller input after the re-prompt"})
            self._jobs.put_nowait(_Say([Reply(GOODBYE_SILENT)], interruptible=False, then=ev.CALLER_SILENT))

    # --- dialogue and speech (the worker task) ----------------------------------------------------
    async def _worker(self) -> None:
        while True:
            job = await self._jobs.get()
            self._turns.bot_busy(interruptible=not isinstance(job, _Say) or job.interruptible)
            if isinstance(job, _Turn):
                replies = await self._intent(job)
                await self._speak(replies, interruptible=True)
                if self._after_turn(replies):
                    return
            else:
                if job.record:
                    await asyncio.to_thread(self.router.store.add_outbound, self.call.conversation_id, job.replies)
                await self._speak(job.replies, interruptible=job.interruptible)
                if job.then is not None:
                    self._inbox.put_nowait(("end", job.then, "hangup"))
                    return
            if self._jobs.empty():
                self._turns.bot_done(time.monotonic())

    async def _intent(self, turn: _Turn) -> list[Reply]:
        self._stage_start("intent", {"text": turn.text, "source": turn.source})
        msg = InboundMessage(
            self.call.conversation_id, CHANNEL, self.call.user_id, turn.text,
            {"kind": turn.source, "transport": self.transport.name},
        )  # fmt: skip
        try:
            replies = await self.router.handle(msg)
        except Exception as exc:  # noqa: BLE001  (database or engine failure: apologise, keep the call)
            log.error("call %s: dialogue failed: %s: %s", self.call.call_id, type(exc).__name__, exc)
            self._stage_error("intent", ev.ENGINE_UNAVAILABLE, f"{type(exc).__name__}: {exc}")
            return [Reply(SYSTEM_APOLOGY, sender="system")]
        self._stage_end("intent", {"replies": [r.to_dict() for r in replies]})
        self._expect = expected_slot(replies) if replies else self._expect
        return replies

    def _after_turn(self, replies: list[Reply]) -> bool:
        """Act on mode changes in the replies; True when the call leaves the line (transfer)."""
        for reply in replies:
            mode = reply.data.get("mode")
            if mode == Mode.QUEUED.value:
                action = "transfer" if self.config.handoff == "transfer" else "hold"
                self._emit(ev.HANDOFF, {"reason": reply.data.get("handoff_reason", "requested"), "action": action})
                if action == "transfer":
                    self._inbox.put_nowait(("end", "transfer", "transfer"))
                    return True
                self._turns.waiting_for_agent = True
            elif mode == Mode.BOT.value:
                self._turns.waiting_for_agent = False
        return False

    async def _speak(self, replies: list[Reply], *, interruptible: bool) -> None:
        for reply in replies:
            text = spoken_reply(reply)
            if text and not await self._speak_one(text, interruptible):
                return  # barge-in: the rest of this turn is dropped

    async def _speak_one(self, text: str, interruptible: bool) -> bool:
        """Synthesise and queue one reply, sentence by sentence; False when interrupted."""
        self._stage_start("tts", {"text": text})
        self._interrupt.clear()
        self._playing, self._turns.interruptible = True, interruptible
        started, first_ms, audio_bytes = time.monotonic(), None, 0
        out = StreamConverter(self.tts.audio_format, self.transport.audio_format)
        carry = b""
        try:
            for sentence in sentences(text):
                async with contextlib.aclosing(self.tts.synthesize(sentence, rate=self.config.tts_rate)) as chunks:
                    async for chunk in chunks:
                        if self._interrupt.is_set():
                            break
                        data = carry + chunk
                        carry = data[len(data) - len(data) % 2 :] if self.tts.audio_format.sample_width == 2 else b""
                        pcm = out.process(data[: len(data) - len(carry)])
                        if pcm:
                            first_ms = first_ms if first_ms is not None else round((time.monotonic() - started) * 1000)
                            self.transport.play(pcm)
                            audio_bytes += len(pcm)
                if self._interrupt.is_set():
                    break
            if not self._interrupt.is_set():
                if tail := out.flush():
                    self.transport.play(tail)
                await self._wait_drained()
        except SynthesisError as exc:
            log.error("call %s: speech synthesis failed: %s", self.call.call_id, exc)
            self._stage_error("tts", ev.TTS_FAILED, str(exc))
            return True
        finally:
            self._playing = False
        interrupted = self._interrupt.is_set()
        audio_ms = audio_bytes * 1000 // self.transport.audio_format.bytes_per_second
        self._stage_end("tts", {"interrupted": interrupted, "first_audio_ms": first_ms, "audio_ms": audio_ms})
        return not interrupted

    async def _wait_drained(self) -> None:
        drained = asyncio.ensure_future(self.transport.drained())
        interrupted = asyncio.ensure_future(self._interrupt.wait())
        try:
            await asyncio.wait({drained, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            drained.cancel()
            interrupted.cancel()

    def _barge_in(self) -> None:
        if self._playing and self._turns.interruptible and not self._interrupt.is_set():
            self._interrupt.set()
            self.transport.clear()
            self._emit(ev.BARGE_IN, {})

    # --- events ---------------------------------------------------------------------------------
    def _emit(self, kind: str, data: dict) -> None:
        event = ev.PipelineEvent(kind, data, round((time.monotonic() - self._t0) * 1000))
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # noqa: BLE001  (a broken listener must not break the call)
                log.exception("event listener failed on %s", kind)

    def _stage_start(self, stage: str, data: dict) -> None:
        self._open.append(stage)
        self._emit(f"{stage}-start", data)

    def _stage_end(self, stage: str, data: dict) -> None:
        if stage in self._open:
            self._open.remove(stage)
        self._emit(f"{stage}-end", data)

    def _stage_error(self, stage: str, code: str, message: str) -> None:
        if stage in self._open:
            self._open.remove(stage)
        self._emit(ev.ERROR, {"code": code, "stage": stage, "message": message})
