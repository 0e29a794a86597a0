"""The text-to-speech interface every synthesizer provider implements."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator

from voice.audio import AudioFormat

_RATE = re.compile(r"^[+-]\d{1,3}%$")


class SynthesisError(Exception):
    """The synthesizer failed or timed out (English message, for logs)."""


def rate_percent(rate: str) -> int:
    """'+0%' / '-25%' (edge-tts style) -> -25; ValueError for anything else."""
    if not _RATE.match(rate):
        raise ValueError(f"speech rate must look like '+0%' or '-25%', got {rate!r}")
    value = int(rate[:-1])
    if not -90 <= value <= 200:
        raise ValueError(f"speech rate {rate} is out of range (-90%..+200%)")
    return value


class TextToSpeech(ABC):
    audio_format: AudioFormat  # what synthesize() yields
    name: str
    voice: str = ""

    @abstractmethod
    def synthesize(self, text: str, *, rate: str = "+0%") -> AsyncIterator[bytes]:
        """Yield audio chunks in `audio_format` as they arrive (first audio before the whole
        reply is synthesized). Raises SynthesisError. Close the iterator early (aclose) to stop."""

    async def synthesize_all(self, text: str, *, rate: str = "+0%") -> bytes:
        return b"".join([piece async for piece in self.synthesize(text, rate=rate)])

    async def aclose(self) -> None:  # noqa: B027  (an optional hook, not abstract)
        """Release resources; no-op by default."""
