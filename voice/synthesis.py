"""A reply's speech, synthesised sentence by sentence in a task of its own and handed to the
pipeline through a queue, so playback starts with the first chunk of the first sentence.

A reply that is stopped (barge-in) is never closed in the middle of a sentence: the synthesizer
finishes the current sentence and its audio is discarded. Closing a synthesizer's stream early
can hang (espeak-ng's stdout pipe under Python 3.11 asyncio), and the next reply must not wait
behind it.
"""

import asyncio
from collections.abc import AsyncIterator, Iterable

from voice.tts.base import SynthesisError, TextToSpeech

_WAKE = object()


class ReplySynthesis:
    def __init__(self, tts: TextToSpeech, parts: Iterable[str], rate: str, name: str = "") -> None:
        self._queue: asyncio.Queue = asyncio.Queue()
        self._stopped = False
        self.task = asyncio.create_task(self._run(tts, list(parts), rate), name=f"voice-tts-{name}")

    async def _run(self, tts: TextToSpeech, parts: list[str], rate: str) -> None:
        try:
            for part in parts:
                if self._stopped:
                    break
                async for chunk in tts.synthesize(part, rate=rate):
                    if not self._stopped:
                        self._queue.put_nowait(chunk)
        except SynthesisError as exc:
            self._queue.put_nowait(exc)
        finally:
            self._queue.put_nowait(None)

    def stop(self) -> None:
        """Stop handing out audio now (the synthesizer drains its current sentence)."""
        self._stopped = True
        self._queue.put_nowait(_WAKE)

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            item = await self._queue.get()
            if self._stopped or item is None:
                return
            if isinstance(item, SynthesisError):
                raise item
            if item is not _WAKE:
                yield item
