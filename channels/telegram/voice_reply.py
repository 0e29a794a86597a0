"""Spoken replies for voice notes: the gateway's TextToSpeech output (PCM16) encoded as the
OGG/Opus that Telegram's sendVoice plays as a voice message."""

import asyncio
import io
import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MAX_SPOKEN_CHARS = 500  # a voice note is a summary; the full text was sent as a message
OPUS_RATE = 48000


def ogg_opus(pcm16: bytes, sample_rate: int, bitrate: int = 24000) -> bytes:
    """Mono PCM16 -> OGG/Opus (blocking: run it in a thread)."""
    import av  # PyAV: FFmpeg's libraries, from the wheel

    samples = np.frombuffer(pcm16[: len(pcm16) // 2 * 2], dtype="<i2").reshape(1, -1)
    buf = io.BytesIO()
    with av.open(buf, "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        stream.bit_rate = bitrate
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = sample_rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return buf.getvalue()


def make_speak(tts: Any, rate: str = "+0%"):
    """`async speak(text) -> OGG/Opus bytes | None` from a TextToSpeech (`synthesize_all`,
    `audio_format.sample_rate`); None when synthesis gives nothing."""

    async def speak(text: str) -> bytes | None:
        pcm16 = await tts.synthesize_all(text[:MAX_SPOKEN_CHARS], rate=rate)
        if not pcm16:
            return None
        return await asyncio.to_thread(ogg_opus, pcm16, tts.audio_format.sample_rate)

    return speak
