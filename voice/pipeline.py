"""VoicePipeline: one per phone call. Caller audio → VAD/end-of-turn → speech recognition →
ConversationRouter → reply text → TTS → the transport, with barge-in, silence time-outs, DTMF and
a keypad-only mode when no recogniser is available. Every stage emits paired events
(voice/events.py) so a test can assert the whole sequence of a call.

A transport (AudioSocket, media-stream WebSocket, …) feeds `feed_audio` / `feed_dtmf` /
`caller_hangup` and implements `CallTransport` (paced playback, flush, end of the call leg).

A call we placed (the survey 回访, channels/phone/outbound.py) gets its `opening` replies at
construction: they are stored in the conversation and spoken instead of the greeting. While a
survey question (a reply with `data.survey`) is open, keys 1, 2, 3 … press its buttons (the
payload goes to the router as a button press); spoken answers go to the router as usual. The
survey's closing reply (`data.survey_end`) is followed by a goodbye and the hang-up.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from conversation.messages import InboundMessage, Mode, Reply
from conversation.router import REQUEST_HUMAN, ConversationRouter
from core.log_ids import short_id
from voice import events as ev
from voice.asr.base import SpeechToText, SpeechUnavailable
from voice.call import (
    CHANNEL,
    FRAME_MS,
    GOODBYE_SILENT,
    GREETING,
    GREETING_KEYPAD,
    INVALID_KEYS,
    KEYPAD_HINT,
    NOT_HEARD,
    REPROMPT,
    REPROMPT_KEYPAD,
    SURVEY_DONE,
    SURVEY_GOODBYE,
    SURVEY_REPROMPT,
    SURVEY_SILENT,
    SYSTEM_APOLOGY,
    CallInfo,
    CallTransport,
    InputOverflow,
    PipelineConfig,
)
from voice.recognition import Recognition, StreamPool
from voice.speaker import CallSpeaker
from voice.spoken import SlotPhrases, expected_slot
from voice.tts.base import TextToSpeech
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
        pool: StreamPool | None = None,
        opening: list[Reply] | None = None,
    ) -> None:
        self.call, self.transport, self.router = call, transport, router
        self.pool = pool  # recognition streams lent per utterance (shared by the calls of a channel)
        self._own_pool: StreamPool | None = None
        self.stt, self.tts, self.phrases = stt, tts, phrases
        self.config = config or PipelineConfig()
        self.stages = ev.StageTracker(list(listeners or ()))
        rate = transport.audio_format.sample_rate
        self._frame_bytes = transport.audio_format.frame_bytes(FRAME_MS)
        self._vad = VoiceActivityDetector(sample_rate=rate, frame_ms=FRAME_MS, **self.config.vad)
        self._turns = TurnTaking(self.config.silence_timeout_s, self.config.max_reprompts)
        self._keys = DtmfCollector(self.config.dtmf_timeout_s)
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._jobs: asyncio.Queue = asyncio.Queue()
        self._pending = b""  # inbound bytes short of a whole frame
        self._received_ms = 0
        self._rec: Recognition | None = None
        self._recording = False
        self._preroll: deque[bytes] = deque(maxlen=max(1, self.config.preroll_ms // FRAME_MS))
        self._expect: str | None = None
        # The caller ID proves the caller's number: the dialogue may look up work orders by it.
        self._verified = {"verified_phone": call.verified_phone} if call.verified_phone else {}
        self._speaker = CallSpeaker(call.call_id, tts, transport, self.stages, self._turns, self.config.tts_rate)
        self._ended = self._aborted = False
        self.end_reason: str | None = None
        # A call we placed opens with these replies instead of the greeting (the survey 回访).
        self._opening = list(opening or ())
        self._question = _survey_question(self._opening)  # the open survey question: keys answer it
        self.survey_call = self._question is not None

    # --- inputs from the transport (non-blocking) ---------------------------------------------
    def feed_audio(self, pcm16: bytes) -> None:
        if self._ended:
            return
        self._received_ms += len(pcm16) * 1000 // self.transport.audio_format.bytes_per_second
        ahead = self._received_ms - (time.monotonic() - self.stages.t0) * 1000
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

    def abort(self, code: ev.PipelineErrorCode, message: str) -> None:
        """The transport gives up on the call (bad input): error event, then the run ends."""
        if self._ended or self._aborted:
            return
        self._aborted = True
        self.stages.error(None, code, message)
        self._inbox.put_nowait(("end", code, None))

    def say(self, replies: list[Reply]) -> None:
        """Speak replies that did not come from a caller turn (an agent's messages)."""
        self._jobs.put_nowait(_Say(list(replies), record=False))

    # --- the run ------------------------------------------------------------------------------
    async def run(self) -> str:
        self.stages.t0 = time.monotonic()
        self._turns.start(self.stages.t0)
        worker: asyncio.Task | None = None
        reason = "error"
        self.stages.start(ev.PipelineStage.RUN, {"call_id": self.call.call_id, "transport": self.transport.name})
        try:
            await self.router.open(self.call.conversation_id, CHANNEL, self.call.user_id)
            await self._open_recognition()
            worker = asyncio.create_task(self._worker(), name=f"voice-worker-{self.call.call_id}")
            greeting = GREETING if self._rec is not None else GREETING_KEYPAD
            self._jobs.put_nowait(_Say(self._opening or [Reply(greeting)]))
            reason, disposition = await self._loop()
            if disposition is not None:
                await self.transport.end(disposition)
        except Exception as exc:
            log.exception("call %s failed: %s", short_id(self.call.call_id), exc)
            self.stages.error(None, ev.PipelineErrorCode.ENGINE_UNAVAILABLE, str(exc))
            reason = "error"
        finally:
            self._ended = True
            self._speaker.interrupt.set()  # a reply still playing stops waiting for its end
            if worker is not None:
                await ev.stop_task(worker)
            for task in list(self._speaker.synth_tasks):
                await ev.stop_task(task)
            if self._rec is not None:
                await self._rec.close()
            if self._own_pool is not None:
                await self._own_pool.close()
            code = ev.PipelineErrorCode.HANGUP if reason == "caller-hangup" else reason
            for stage in [s for s in reversed(self.stages.open) if s is not ev.PipelineStage.RUN]:
                self.stages.error(stage, code, f"call ended ({reason}) during {stage}")
            self.transport.clear()
            self.end_reason = reason
            self.stages.end(ev.PipelineStage.RUN, {"reason": reason})
        return reason

    async def _open_recognition(self) -> None:
        """Speech when a recogniser works (a stream can be had), else a keypad-only call."""
        if self.stt is None or not self.stt.available():
            self.stages.error(None, ev.PipelineErrorCode.STT_UNAVAILABLE, "no speech recogniser: keypad-only call")
            return
        if self.pool is None:
            self.pool = self._own_pool = StreamPool(self.stt, max_idle=1)
        try:
            await self.pool.release(await self.pool.acquire())
        except SpeechUnavailable as exc:
            self.stages.error(None, ev.PipelineErrorCode.STT_UNAVAILABLE, str(exc))
            return
        chunk = self._frame_bytes * self.config.stt_chunk_ms // FRAME_MS
        self._rec = Recognition(
            self.pool,
            self.transport.audio_format.sample_rate,
            chunk,
            self.stages,
            self._heard,
            self.phrases,
            self.call.call_id,
        )

    async def _loop(self) -> tuple[str, str | None]:
        while True:
            try:
                async with asyncio.timeout(0.05):
                    item = await self._inbox.get()
            except TimeoutError:
                item = None
            now = time.monotonic()
            if isinstance(item, bytes):
                self._on_frame(item, now)
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
        recognising = self._rec is not None and self._rec.busy
        speaking = self.stages.is_open(ev.PipelineStage.INTENT) or self.stages.is_open(ev.PipelineStage.TTS)
        return self._recording or recognising or speaking

    # --- caller audio (never awaits: decoding happens in the Recognition task) -----------------
    def _on_frame(self, frame: bytes, now: float) -> None:
        event = self._vad.process(frame)
        self._preroll.append(frame)
        if event is not None and event.kind == "speech_pause":
            finished = self._recording and self._rec.sounds_finished(self._expect)
            event = self._vad.end_turn() if finished else None  # else wait for the full end silence
        if event is not None and event.kind == "speech_start":
            if self._turns.speech_started(now, allow_barge_in=self._rec is not None):
                self._speaker.barge_in()
            if self._rec is not None:
                self._recording = True
                self._rec.start(b"".join(self._preroll), self._expect)
        elif self._recording:
            self._rec.audio(frame)
        if event is not None and event.kind == "speech_end":
            self._turns.speech_ended(now)
            if self._recording:
                self._recording = False
                self._rec.end(event.t_ms - event.edge_ms, round((now - self.stages.t0) * 1000))
            elif self._rec is None and self._jobs.empty() and not self._busy:
                self.stages.error(None, ev.PipelineErrorCode.STT_UNAVAILABLE, "caller spoke on a keypad-only call")
                self._jobs.put_nowait(_Say([Reply(KEYPAD_HINT)]))

    def _heard(self, text: str | None) -> None:
        """The Recognition task's result for one utterance (None: nothing usable)."""
        self._jobs.put_nowait(_Turn(text, "speech") if text else _Say([Reply(NOT_HEARD)], record=False))

    # --- keys -----------------------------------------------------------------------------------
    def _on_key(self, key: str, now: float) -> None:
        self.stages.emit(ev.PipelineEventType.DTMF, {"digit": key})
        self._turns.key_pressed(now)
        self._speaker.barge_in()
        if self._survey_key(key):
            return
        if (result := self._keys.press(key, now)) is not None:
            self._on_keys(result)

    def _survey_key(self, key: str) -> bool:
        """Keys 1…9 while a survey question is open: the matching button (1 = the first), or the
        question again for a key it has no button for. 0 still asks for a person."""
        question = self._question
        if question is None or self._keys.pending or key not in "123456789":
            return False
        index = int(key) - 1
        if index >= len(question.buttons):
            self._jobs.put_nowait(_Say([question], record=False))
            return True
        self._question = None  # answered: the router's reply brings the next question, or the end
        self._jobs.put_nowait(_Turn(question.buttons[index].payload, "button"))
        return True

    def _on_keys(self, result: KeyResult) -> None:
        if result.action is KeyAction.HUMAN:
            self._jobs.put_nowait(_Turn(REQUEST_HUMAN, "dtmf"))
        elif result.action is KeyAction.NUMBER and self._expect in ("phone", "ticket_number"):
            self._jobs.put_nowait(_Turn(result.digits, "dtmf"))
        elif result.action is KeyAction.NUMBER and result.ticket:
            self._jobs.put_nowait(_Turn(f"查询工单 {result.ticket}", "dtmf"))
        else:
            digits = len(result.digits)
            self.stages.error(None, ev.PipelineErrorCode.DTMF_INVALID, f"{digits} digits are no work-order number")
            self._jobs.put_nowait(_Say([Reply(INVALID_KEYS)], record=False))

    # --- silence --------------------------------------------------------------------------------
    def _on_silence(self, action: SilenceAction | None) -> None:
        if action is SilenceAction.REPROMPT and self._question is not None:
            self._jobs.put_nowait(_Say([Reply(SURVEY_REPROMPT), self._question], record=False))
        elif action is SilenceAction.REPROMPT:
            self._jobs.put_nowait(_Say([Reply(REPROMPT if self._rec is not None else REPROMPT_KEYPAD)]))
        elif action is SilenceAction.GIVE_UP:
            self.stages.error(None, ev.PipelineErrorCode.CALLER_SILENT, "no caller input after the re-prompt")
            goodbye = SURVEY_SILENT if self.survey_call else GOODBYE_SILENT
            self._jobs.put_nowait(_Say([Reply(goodbye)], interruptible=False, then=ev.PipelineErrorCode.CALLER_SILENT))

    # --- dialogue and speech (the worker task) ----------------------------------------------------
    async def _worker(self) -> None:
        while True:
            job = await self._jobs.get()
            self._turns.bot_busy(interruptible=not isinstance(job, _Say) or job.interruptible)
            if isinstance(job, _Turn):
                replies = await self._intent(job)
                await self._speaker.speak(replies, interruptible=True)
            else:
                if job.record:
                    await self.router.record(self.call.conversation_id, job.replies)
                replies = job.replies
                await self._speaker.speak(replies, interruptible=job.interruptible)
                if job.then is not None:
                    self._inbox.put_nowait(("end", job.then, "hangup"))
                    return
            if self._after_turn(replies):  # agents' messages may change the mode too
                return
            if self._jobs.empty():
                self._turns.bot_done(time.monotonic())

    async def _intent(self, turn: _Turn) -> list[Reply]:
        self.stages.start(ev.PipelineStage.INTENT, {"text": turn.text, "source": turn.source})
        msg = InboundMessage(
            self.call.conversation_id,
            CHANNEL,
            self.call.user_id,
            turn.text,
            {"kind": turn.source, "transport": self.transport.name, **self._verified},
        )
        try:
            replies = await self.router.handle(msg, urgent=self._say_first)
        except Exception as exc:  # noqa: BLE001  (database or engine failure: apologise, keep the call)
            log.error("call %s: dialogue failed: %s: %s", short_id(self.call.call_id), type(exc).__name__, exc)
            error = f"{type(exc).__name__}: {exc}"
            self.stages.error(ev.PipelineStage.INTENT, ev.PipelineErrorCode.ENGINE_UNAVAILABLE, error)
            return [Reply(SYSTEM_APOLOGY, sender="system")]
        self.stages.end(ev.PipelineStage.INTENT, {"replies": [r.to_dict() for r in replies]})
        self._expect = expected_slot(replies) if replies else self._expect
        self._question = _survey_question(replies) or self._question
        return replies

    async def _say_first(self, replies: list[Reply]) -> None:
        """Emergency advice: read out at once, before the dialogue answers, without barge-in."""
        await self._speaker.speak(replies, interruptible=False)

    def _after_turn(self, replies: list[Reply]) -> bool:
        """Act on mode changes in the replies; True when the call leaves the line (transfer)."""
        for reply in replies:
            if reply.data.get("survey_end"):  # the survey is over: goodbye, then hang up
                self._question = None
                self._jobs.put_nowait(_Say([Reply(SURVEY_GOODBYE)], interruptible=False, then=SURVEY_DONE))
            mode = reply.data.get("mode")
            if mode == Mode.QUEUED.value:
                action = "transfer" if self.config.handoff == "transfer" else "hold"
                reason = reply.data.get("handoff_reason", "requested")
                self.stages.emit(ev.PipelineEventType.HANDOFF, {"reason": reason, "action": action})
                if action == "transfer":
                    self._inbox.put_nowait(("end", "transfer", "transfer"))
                    return True
                self._turns.waiting_for_agent = True
            elif mode == Mode.BOT.value:
                self._turns.waiting_for_agent = False
        return False


def _survey_question(replies: list[Reply]) -> Reply | None:
    """The last survey question (a reply with data.survey and buttons) among `replies`."""
    return next((r for r in reversed(replies) if r.data.get("survey") and r.buttons), None)
