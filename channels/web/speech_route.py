"""`GET /api/tts?text=...&rate=normal|slow`: a chat reply read aloud for the web page, as WAV, from
the gateway's TextToSpeech chain (edge-tts, cache, espeak-ng). `slow` is 长辈模式's rate. When
this answers an error the page falls back to the browser's own speech synthesis."""

import asyncio
import io
import logging
import wave
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from normalize.text import has_control_characters
from voice.audio import AudioFormat, convert
from voice.tts import SynthesisError, TextToSpeech

log = logging.getLogger(__name__)

MAX_CHARS = 500


def wav_bytes(audio: bytes, fmt: AudioFormat) -> bytes:
    """Any PCM16/G.711 audio in `fmt` as a PCM16 WAV file."""
    pcm_fmt = AudioFormat(fmt.sample_rate, "pcm16", fmt.channels)
    pcm = convert(audio, fmt, pcm_fmt) if fmt.encoding != "pcm16" else audio
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(fmt.channels)
        w.setsampwidth(2)
        w.setframerate(fmt.sample_rate)
        w.writeframes(pcm)
    return buf.getvalue()


def _refuse(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


def build_tts_router(
    tts: TextToSpeech | None, *, rate: str = "+0%", slow_rate: str = "-25%", timeout_s: float = 20.0
) -> APIRouter:
    api = APIRouter()
    rates = {"normal": rate, "slow": slow_rate}

    @api.get("/api/tts", response_model=None)
    async def read_aloud(
        text: str = Query(min_length=1, max_length=MAX_CHARS),
        speed: Literal["normal", "slow"] = Query("normal", alias="rate"),
    ) -> Response | JSONResponse:
        text = text.strip()
        if not text or has_control_characters(text):
            return _refuse(400, "invalid_text", "text must be non-empty and free of control characters")
        if tts is None:
            return _refuse(503, "tts_unavailable", "speech synthesis is not configured on this gateway")
        try:
            audio = await asyncio.wait_for(tts.synthesize_all(text, rate=rates[speed]), timeout_s)
        except (SynthesisError, TimeoutError) as exc:
            log.warning("read-aloud failed (%d characters): %s: %s", len(text), type(exc).__name__, exc)
            return _refuse(503, "tts_unavailable", f"speech synthesis failed ({type(exc).__name__})")
        if not audio:
            return _refuse(503, "tts_unavailable", "speech synthesis returned no audio")
        return Response(
            wav_bytes(audio, tts.audio_format),
            media_type="audio/wav",
            headers={"Cache-Control": "private, max-age=3600"},
        )

    return api
