"""`GET /api/tts?text=...&rate=normal|slow`: a chat reply read aloud for the web page, as WAV, from
the gateway's TextToSpeech chain (edge-tts, cache, espeak-ng). `slow` is 长辈模式's rate. When
this answers an error the page falls back to the browser's own speech synthesis."""

import asyncio
import io
import logging
import wave
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from starlette.requests import HTTPConnection

from api.deps import SettingsDep
from normalize.text import has_control_characters
from voice.audio import AudioFormat, convert
from voice.tts import SynthesisError, TextToSpeech

log = logging.getLogger(__name__)

MAX_CHARS = 500
TIMEOUT_S = 20.0


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


router = APIRouter()


async def get_tts(conn: HTTPConnection) -> TextToSpeech | None:
    """The gateway's TextToSpeech chain (the phone's: one prompt cache); None when not configured."""
    return conn.app.state.tts


TtsDep = Annotated[TextToSpeech | None, Depends(get_tts)]


@router.get("/api/tts", response_model=None)
async def read_aloud(
    tts: TtsDep,
    settings: SettingsDep,
    text: str = Query(min_length=1, max_length=MAX_CHARS),
    speed: Literal["normal", "slow"] = Query("normal", alias="rate"),
) -> Response | JSONResponse:
    text = text.strip()
    if not text or has_control_characters(text):
        return _refuse(400, "invalid_text", "text must be non-empty and free of control characters")
    if tts is None:
        return _refuse(503, "tts_unavailable", "speech synthesis is not configured on this gateway")
    rate = settings.tts_elder_rate if speed == "slow" else settings.tts_rate
    try:
        audio = await asyncio.wait_for(tts.synthesize_all(text, rate=rate), TIMEOUT_S)
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
