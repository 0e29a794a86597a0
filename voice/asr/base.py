"""The speech-to-text interface every recognizer provider implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

from voice.audio import AudioFormat, chunk


class SpeechUnavailable(Exception):
    """Speech recognition cannot run here; the message says (in English) how to install it."""


class RecognitionStream(ABC):
    """One caller's recognizer. Calls on one stream must not overlap (await each in turn)."""

    @abstractmethod
    async def accept(self, pcm16: bytes) -> str | None:
        """Feed PCM16 at the provider's sample rate; returns the current partial text if it changed."""

    @abstractmethod
    async def finish(self) -> str:
        """Final text of this utterance; the stream can then be reused for the next utterance."""

    @abstractmethod
    def set_grammar(self, phrases: list[str] | None) -> None:
        """Runtime phrase list for the next utterance; None = free recognition."""

    @abstractmethod
    async def close(self) -> None:
        """Release the recognizer; the stream cannot be used afterwards."""


class SpeechToText(ABC):
    audio_format: AudioFormat  # what RecognitionStream.accept() expects
    name: str

    @abstractmethod
    def available(self) -> bool:
        """True when the provider can recognize speech (model present); cheap, no loading."""

    @abstractmethod
    async def open_stream(self, grammar: list[str] | None = None) -> RecognitionStream: ...

    async def transcribe(self, pcm16: bytes) -> str:
        """Whole-utterance convenience: feed `pcm16` through a fresh stream."""
        stream = await self.open_stream()
        try:
            for piece in chunk(pcm16, self.audio_format.frame_bytes(250), pad=False):
                await stream.accept(piece)
            return await stream.finish()
        finally:
            await stream.close()

    async def warm_up(self) -> None:  # noqa: B027  (an optional hook, not abstract)
        """Load models now so that the first caller does not wait (no-op by default)."""

    async def aclose(self) -> None:  # noqa: B027  (an optional hook, not abstract)
        """Release shared resources (worker threads); no-op by default."""
