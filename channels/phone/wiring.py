"""Builds the phone channel for the gateway from settings: PhoneChannel (registered with the
channel registry), the AudioSocket TCP server started/stopped with the app, /ws/media and the
phone HTTP routes, and the /healthz entries `phone` and `speech_recognition`."""

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import FastAPI

from channels.phone import media_stream
from channels.phone.audiosocket import AudioSocketServer
from channels.phone.calls import PhoneChannel
from channels.phone.outbound import OutboundCalls
from channels.phone.routes import build_phone_routes
from conversation.messages import Reply
from conversation.router import ConversationRouter
from core.settings import Settings
from places.gazetteer import Gazetteer
from voice import call as prompts
from voice.asr.base import SpeechToText
from voice.asr.vosk_provider import INSTALL_HINT
from voice.call import PipelineConfig
from voice.spoken import SlotPhrases, sentences, spoken_reply
from voice.tts import create_text_to_speech

log = logging.getLogger(__name__)
WARM_UP_SPEECH = "你好，我要投诉，朝阳区望京街道，电话幺三八一二三四五六七八。"


class PhoneWiring:
    def __init__(
        self,
        settings: Settings,
        router: ConversationRouter,
        stt: SpeechToText,
        gazetteer: Gazetteer,
        registry: Any = None,
        outbound: OutboundCalls | None = None,
    ) -> None:
        """`outbound`: the registry the survey calls (followup/pbx) are placed into, shared with
        FollowUp's `survey_calls_from(settings, outbound)`."""
        self.settings, self.stt = settings, stt
        self.tts = tts = create_text_to_speech(settings)
        config = PipelineConfig(
            silence_timeout_s=settings.phone_silence_timeout_s,
            tts_rate=settings.tts_rate,
            handoff=settings.phone_handoff,
        )
        self.channel = PhoneChannel(router, stt, tts, SlotPhrases(gazetteer), config, outbound)
        if registry is not None:
            self.channel.attach_registry(registry)
        self.server = AudioSocketServer(self.channel, settings.host, settings.audiosocket_port)
        self.listen_error: str | None = None
        self._warming: asyncio.Task | None = None

    def include(self, app: FastAPI) -> None:
        token = self.settings.twilio_auth_token  # signed webhooks when set
        app.state.phone = self.channel  # /ws/media; its send() speaks agent replies into live phone: calls
        app.include_router(media_stream.router)
        app.include_router(build_phone_routes(self.channel, self.settings.phone_agent_queue, token))

    async def start(self) -> None:
        if not self.channel.speech_available():
            log.warning("speech recognition unavailable: phone calls run keypad-only (%s)", self._hint())
        try:
            await self.server.start()
        except OSError as exc:
            self.listen_error = (
                f"cannot listen on {self.settings.host}:{self.settings.audiosocket_port}: {exc.strerror}"
            )
            log.error("AudioSocket server not started: %s (set HOTLINE_AUDIOSOCKET_PORT)", self.listen_error)
        self._warming = asyncio.create_task(self._warm_up(), name="phone-tts-warm-up")

    async def _warm_up(self) -> None:
        """Synthesise the fixed prompts once (cached before the first caller), then let the pooled
        recognisers decode some speech: a fresh Vosk recogniser is several times slower at first."""
        texts = (
            prompts.GREETING,
            prompts.GREETING_KEYPAD,
            prompts.NOT_HEARD,
            prompts.REPROMPT,
            prompts.KEYPAD_HINT,
            prompts.SURVEY_GOODBYE,
        )
        try:
            for sentence in (s for text in texts for s in sentences(spoken_reply(Reply(text)))):
                await self.tts.synthesize_all(sentence, rate=self.settings.tts_rate)
            pool = self.channel.pool
            if pool is not None and self.stt.name == "vosk" and self.channel.speech_available():
                speech = await self.tts.synthesize_all(WARM_UP_SPEECH, rate=self.settings.tts_rate)
                await pool.warm(speech, self.tts.audio_format.sample_rate)
                log.info("phone: %d warm recognition streams ready", pool.idle)
        except Exception as exc:  # noqa: BLE001  (a cold start only costs the first callers time)
            log.warning("phone warm-up failed: %s", exc)

    async def stop(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warming
        await self.server.stop()  # ends live AudioSocket calls
        await self.channel.stop()  # and media-stream calls
        await self.tts.aclose()

    def health(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "ok": self.listen_error is None,
            "live_calls": len(self.channel.calls),
            "calls_total": self.channel.calls_total,
            "media_stream": "/ws/media",
        }
        if self.listen_error:
            state["error"] = self.listen_error
        else:
            state["audiosocket"] = f"{self.server.host}:{self.server.port}"
        return state

    def speech_health(self) -> dict[str, Any]:
        """Unavailable speech recognition is a reduced mode (keypad-only calls), not an outage."""
        if self.channel.speech_available():
            return {"ok": True, "available": True, "provider": self.stt.name}
        return {
            "ok": True,
            "available": False,
            "provider": self.stt.name,
            "fallback": "keypad-only",
            "hint": self._hint(),
        }

    def _hint(self) -> str:
        if self.stt.name == "vosk":
            return f"no Vosk model at {self.settings.vosk_model_dir}: {INSTALL_HINT}"
        return f"the {self.stt.name} recognizer is not available"
