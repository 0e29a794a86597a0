"""The synthesis chain of a phone call: cache -> online voice (edge-tts, short time limit) ->
offline voice (espeak-ng), so a call never goes silent.

- A cached prompt is served from disk at once.
- Otherwise the primary streams; its complete output is cached.
- When the primary fails before any audio, the secondary speaks the whole text, and the
  primary is skipped for `cooldown_s` (no time-out wait on every sentence while offline).
- When the primary fails in the middle of a sentence, that sentence ends there (repeating
  it in another voice would confuse the caller); the failure is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing

from voice.audio import StreamConverter
from voice.tts.base import SynthesisError, TextToSpeech
from voice.tts.cache import TtsCache

log = logging.getLogger(__name__)

CACHE_CHUNK_MS = 200


class FallbackTextToSpeech(TextToSpeech):
    name = "fallback"

    def __init__(
        self,
        primary: TextToSpeech,
        secondary: TextToSpeech | None = None,
        *,
        cache: TtsCache | None = None,
        cooldown_s: float = 30.0,
    ):
        self.primary, self.secondary, self.cache = primary, secondary, cache
        self.audio_format = primary.audio_format
        self.voice = primary.voice
        self.cooldown_s = cooldown_s
        self._primary_down_until = 0.0
        self.last_source = ""  # "cache" | primary.name | secondary.name, for logs and tests

    async def _secondary(self, text: str, rate: str) -> AsyncIterator[bytes]:
        assert self.secondary is not None
        self.last_source = self.secondary.name
        same = self.secondary.audio_format == self.audio_format
        conv = None if same else StreamConverter(self.secondary.audio_format, self.audio_format)
        async with aclosing(self.secondary.synthesize(text, rate=rate)) as chunks:  # barge-in stops it now
            async for pcm in chunks:
                yield pcm if conv is None else conv.process(pcm)
        if conv is not None:
            yield conv.flush()

    async def synthesize(self, text: str, *, rate: str = "+0%") -> AsyncIterator[bytes]:
        if not text.strip():
            return
        key = None
        if self.cache is not None and self.cache.cacheable(text):
            key = self.cache.key(self.primary.name, self.primary.voice, rate, text, self.audio_format)
            if (audio := await self.cache.aget(key)) is not None:
                self.last_source = "cache"
                step = self.audio_format.frame_bytes(CACHE_CHUNK_MS)
                for i in range(0, len(audio), step):
                    yield audio[i : i + step]
                return
        if time.monotonic() >= self._primary_down_until or self.secondary is None:
            self.last_source = self.primary.name
            collected: list[bytes] = []
            try:
                async with aclosing(self.primary.synthesize(text, rate=rate)) as chunks:
                    async for pcm in chunks:
                        collected.append(pcm)
                        yield pcm
            except SynthesisError as exc:
                self._primary_down_until = time.monotonic() + self.cooldown_s
                if collected or self.secondary is None:
                    log.warning("tts %s failed mid-sentence (%s); sentence cut short", self.primary.name, exc)
                    if not collected:
                        raise
                    return
                log.warning("tts %s failed (%s); using %s", self.primary.name, exc, self.secondary.name)
            else:
                self._primary_down_until = 0.0
                if key is not None and collected:
                    await self.cache.aput(key, b"".join(collected))  # type: ignore[union-attr]
                return
        async with aclosing(self._secondary(text, rate)) as chunks:
            async for pcm in chunks:
                yield pcm

    async def aclose(self) -> None:
        await self.primary.aclose()
        if self.secondary is not None:
            await self.secondary.aclose()
