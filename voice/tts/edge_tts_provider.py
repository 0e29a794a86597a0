"""Online neural voices through the `edge-tts` library (Microsoft Edge's read-aloud service,
zh-CN-XiaoxiaoNeural by default). Its 24 kHz MP3 is decoded to PCM as it streams in, so the
first audio goes out while the rest of the reply is still being synthesized.

Endpoint: by default the library's own service URL (with its Sec-MS-GEC token). A local
server that speaks the same WebSocket protocol can stand in for it with `endpoint=
"unix:/path/to.sock"`: the library is given an aiohttp UnixConnector through its public
`connector` argument, so every request (path, query with the token, headers) reaches that
socket in plain HTTP. Nothing in the library is patched.

Time limits: connecting and the first audio within `first_audio_timeout_s` (short: the
fallback must still answer quickly), then at most `chunk_timeout_s` between chunks.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator

from voice.audio import AudioFormat
from voice.decode import AudioDecodeError, Mp3StreamDecoder
from voice.tts.base import SynthesisError, TextToSpeech, rate_percent

log = logging.getLogger(__name__)

DEFAULT_VOICE = "zh-CN-XiaoxiaoNeural"


def _edge_tts():
    try:
        import edge_tts
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SynthesisError("edge-tts is not installed: pip install -r requirements/gateway.txt") from exc
    return edge_tts


class EdgeTextToSpeech(TextToSpeech):
    name = "edge"

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        *,
        sample_rate: int = 16000,
        endpoint: str | None = None,
        proxy: str | None = None,
        first_audio_timeout_s: float = 2.5,
        chunk_timeout_s: float = 5.0,
    ):
        if endpoint is not None and not endpoint.startswith("unix:"):
            raise ValueError("edge-tts endpoint must be 'unix:/path/to.sock' (unset = Microsoft's service)")
        self.voice = voice
        self.audio_format = AudioFormat(sample_rate, "pcm16")
        self.endpoint, self.proxy = endpoint, proxy
        self.first_audio_timeout_s, self.chunk_timeout_s = first_audio_timeout_s, chunk_timeout_s

    def _connector(self):
        if self.endpoint is None:
            return None
        import aiohttp

        return aiohttp.UnixConnector(path=self.endpoint.removeprefix("unix:"))

    def _communicate(self, text: str, rate: str):
        edge_tts = _edge_tts()
        return edge_tts.Communicate(
            text,
            self.voice,
            rate=rate,
            connector=self._connector(),
            proxy=self.proxy,
            connect_timeout=max(1, math.ceil(self.first_audio_timeout_s)),
            receive_timeout=max(1, math.ceil(self.chunk_timeout_s)),
        )

    async def synthesize(self, text: str, *, rate: str = "+0%") -> AsyncIterator[bytes]:
        if not text.strip():
            return
        rate_percent(rate)  # validate before going online
        decoder = Mp3StreamDecoder(self.audio_format.sample_rate)
        stream = self._communicate(text, rate).stream()
        got_audio = False
        try:
            while True:
                limit = self.chunk_timeout_s if got_audio else self.first_audio_timeout_s
                try:
                    message = await asyncio.wait_for(anext(stream), limit)
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    what = "next audio" if got_audio else "first audio"
                    raise SynthesisError(f"edge-tts: no {what} within {limit:g} s") from exc
                except SynthesisError:
                    raise
                except Exception as exc:
                    raise SynthesisError(f"edge-tts failed: {type(exc).__name__}: {exc}") from exc
                if message.get("type") != "audio":
                    continue
                pcm = await asyncio.to_thread(decoder.feed, message["data"])
                if pcm:
                    got_audio = True
                    yield pcm
            try:
                tail = await asyncio.to_thread(decoder.flush)
            except AudioDecodeError as exc:
                raise SynthesisError(f"edge-tts sent no decodable audio: {exc}") from exc
            if tail:
                yield tail
        finally:
            await stream.aclose()
