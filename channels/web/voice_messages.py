"""Voice messages on `/ws/chat`: an `audio` frame (base64 webm/wav/pcm16) is decoded to PCM16 mono
16 kHz, recognised by the injected speech-to-text, and becomes a citizen message whose text is the
transcript (metadata kind "voice"). The citizen gets an additive `transcript` frame first:
`{"type": "transcript", "text": "...", "duration_ms": 3200}`.

Nothing is stored when the audio is refused or recognition is unavailable: the citizen gets an
`error` frame (Chinese message, English detail) and can send it again or type instead.
"""

import asyncio
import base64
import binascii
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from channels.web.protocol import FrameError

log = logging.getLogger(__name__)

PCM16_16K_BYTES_PER_MS = 32  # 16,000 samples/s * 2 bytes
MIN_SPEECH_MS = 200

# (encoded audio, "webm" | "wav" | "pcm16") -> PCM16 mono 16 kHz little-endian; raises on bad audio
# (voice.decode.decode_upload in the gateway).
Decode = Callable[[bytes, str], bytes]


class SpeechToText(Protocol):
    def available(self) -> bool: ...

    def transcribe(self, pcm16: bytes) -> Awaitable[str]: ...


AUDIO_UNAVAILABLE = FrameError(
    "audio_unavailable", "暂时无法识别语音消息，请输入文字。", "voice messages are not enabled on this gateway"
)


@dataclass(frozen=True)
class VoiceMessage:
    text: str
    duration_ms: int
    audio_format: str
    recognised_ms: int  # time spent decoding + recognising

    def metadata(self) -> dict[str, Any]:
        return {"kind": "voice", "duration_ms": self.duration_ms, "format": self.audio_format}

    def frame(self) -> dict[str, Any]:
        return {"type": "transcript", "text": self.text, "duration_ms": self.duration_ms}


class VoiceMessages:
    """Turns audio frames into recognised text. `speech` is None when no recogniser is configured."""

    def __init__(
        self, speech: SpeechToText | None, decode: Decode, *, max_bytes: int, max_seconds: float = 60.0
    ) -> None:
        self.speech = speech
        self.decode = decode
        self.max_bytes = max_bytes
        self.max_ms = int(max_seconds * 1000)

    def enabled(self) -> bool:
        return self.speech is not None and self.speech.available()

    async def recognise(self, data: str, audio_format: str) -> VoiceMessage:
        """Decode and recognise one audio frame's payload, or raise FrameError (nothing stored)."""
        if not self.enabled():
            raise AUDIO_UNAVAILABLE
        started = time.perf_counter()
        encoded = self._base64(data)
        pcm = await asyncio.to_thread(self._pcm, encoded, audio_format)
        duration_ms = len(pcm) // PCM16_16K_BYTES_PER_MS
        if duration_ms > self.max_ms:
            raise FrameError(
                "audio_too_long",
                f"语音太长了，请分段发送，每段不超过{self.max_ms // 1000}秒。",
                f"audio lasts {duration_ms} ms; the limit is {self.max_ms} ms",
            )
        if duration_ms < MIN_SPEECH_MS:
            raise FrameError("asr_empty", "说话时间太短，请按住按钮说完再松开。", f"audio lasts only {duration_ms} ms")
        try:
            text = (await self.speech.transcribe(pcm)).strip()
        except Exception as exc:  # noqa: BLE001  (a failing recogniser must not close the citizen's socket)
            log.error("speech recognition failed: %s: %s", type(exc).__name__, exc)
            raise FrameError(
                "audio_unavailable", AUDIO_UNAVAILABLE.message, f"speech recognition failed ({type(exc).__name__})"
            ) from None
        if not text:
            raise FrameError(
                "asr_empty", "没有听清您说的话，请再说一遍，或直接输入文字。", "speech recognition returned no text"
            )
        elapsed = int((time.perf_counter() - started) * 1000)
        return VoiceMessage(text, duration_ms, audio_format, elapsed)

    def _base64(self, data: str) -> bytes:
        # Refuse before decoding anything larger than the limit allows (base64: 4 chars per 3 bytes).
        if len(data) // 4 * 3 > self.max_bytes:
            raise FrameError(
                "audio_too_large",
                "语音文件太大了，请缩短后再发送。",
                f"audio data has {len(data)} base64 characters; at most {self.max_bytes} bytes are accepted",
            )
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise FrameError("invalid_audio", "语音数据已损坏，请重新录制。", "'data' is not valid base64") from None
        if not raw:
            raise FrameError("invalid_audio", "语音消息是空的，请重新录制。", "'data' is empty")
        return raw

    def _pcm(self, encoded: bytes, audio_format: str) -> bytes:
        try:
            pcm = self.decode(encoded, audio_format)
        except Exception as exc:  # noqa: BLE001  (any decoder failure means the audio is unusable)
            log.warning("undecodable %s audio (%d bytes): %s: %s", audio_format, len(encoded), type(exc).__name__, exc)
            raise FrameError(
                "invalid_audio",
                "这段语音无法播放，请重新录制（每段不超过一分钟），或改用文字。",
                f"{audio_format} audio could not be decoded ({type(exc).__name__})",
            ) from None
        if len(pcm) % 2:
            pcm = pcm[:-1]
        return pcm
