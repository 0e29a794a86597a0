"""A deterministic recognizer for tests and demos: it "hears" configured transcripts.

Each utterance (the audio between two `finish()` calls) is answered with the transcript
registered for the sha256 of its PCM (`by_hash`), else with the next transcript in order
(`transcripts`); once the list is used up it hears nothing. Utterances quieter than
`silence_dbfs` are heard as "" and use up no transcript, like a real recognizer on silence.
Partials stream like Vosk's: a growing prefix of the transcript as audio arrives (of the next
ordered transcript; a `by_hash` match is only known, and used, for the final text).
Grammars are recorded (`grammars`) and, like the Vosk provider's fallback, never stop a
transcript outside the phrase list from being heard.

JSON file form (HOTLINE_SCRIPTED_TRANSCRIPTS): either a list of transcripts, or
{"transcripts": [...], "by_hash": {"<sha256 of PCM16>": "text"}}.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from voice.asr.base import RecognitionStream, SpeechToText
from voice.audio import PCM16_16K, AudioFormat, rms_dbfs


def audio_hash(pcm16: bytes) -> str:
    return hashlib.sha256(pcm16).hexdigest()


class ScriptedStream(RecognitionStream):
    def __init__(self, provider: ScriptedSpeechToText, grammar: list[str] | None):
        self._provider = provider
        self._grammar = grammar
        self._pending: tuple[list[str] | None] | None = None
        self._audio = bytearray()
        self._energy = 0.0
        self._partial = ""
        self._closed = False
        provider.open_streams += 1

    def set_grammar(self, phrases: list[str] | None) -> None:
        self._pending = (list(phrases) if phrases else None,)

    def _peek(self) -> str:
        p = self._provider
        n = len(self._audio) // 2
        loud = n and 10 * math.log10(max(self._energy / n, 1e-12) / 32768**2) >= p.silence_dbfs
        return p.next_transcript if loud else ""

    async def accept(self, pcm16: bytes) -> str | None:
        if self._closed:
            raise RuntimeError("recognition stream is closed")
        if not self._audio and self._pending is not None:
            (self._grammar,) = self._pending
            self._pending = None
        self._audio += pcm16
        samples = np.frombuffer(pcm16[: len(pcm16) // 2 * 2], dtype="<i2").astype(np.float64)
        self._energy += float(np.sum(samples * samples))
        p = self._provider
        heard_ms = p.audio_format.duration_ms(len(self._audio)) - p.partial_delay_ms
        text = self._peek() if heard_ms > 0 else ""
        partial = text[: max(0, int(heard_ms // p.ms_per_char))]
        if partial != self._partial:
            self._partial = partial
            return partial
        return None

    async def finish(self) -> str:
        if self._closed:
            raise RuntimeError("recognition stream is closed")
        self._provider.grammars.append(self._grammar)
        text = self._provider.hear(bytes(self._audio))
        self._audio.clear()
        self._energy = 0.0
        self._partial = ""
        return text

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._provider.open_streams -= 1


class ScriptedSpeechToText(SpeechToText):
    name = "scripted"

    def __init__(
        self,
        transcripts: Sequence[str] = (),
        *,
        by_hash: Mapping[str, str] | None = None,
        audio_format: AudioFormat = PCM16_16K,
        silence_dbfs: float = -50.0,
        ms_per_char: float = 150.0,
        partial_delay_ms: float = 200.0,
    ):
        self.audio_format = audio_format
        self._queue = list(transcripts)
        self._by_hash = dict(by_hash or {})
        self.silence_dbfs = silence_dbfs
        self.ms_per_char, self.partial_delay_ms = ms_per_char, partial_delay_ms
        self.heard: list[str] = []  # final texts, in order
        self.grammars: list[list[str] | None] = []  # grammar in force at each finish()
        self.open_streams = 0

    @classmethod
    def from_file(cls, path: Path, **kwargs) -> ScriptedSpeechToText:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, list):
            return cls(data, **kwargs)
        return cls(data.get("transcripts", []), by_hash=data.get("by_hash", {}), **kwargs)

    def available(self) -> bool:
        return True

    @property
    def next_transcript(self) -> str:
        return self._queue[0] if self._queue else ""

    def hear(self, pcm16: bytes) -> str:
        """The final text for one utterance (uses up an ordered transcript when heard)."""
        if not pcm16 or rms_dbfs(pcm16[: len(pcm16) // 2 * 2]) < self.silence_dbfs:
            text = ""
        elif (h := audio_hash(pcm16)) in self._by_hash:
            text = self._by_hash[h]
        else:
            text = self._queue.pop(0) if self._queue else ""
        self.heard.append(text)
        return text

    async def open_stream(self, grammar: list[str] | None = None) -> RecognitionStream:
        return ScriptedStream(self, list(grammar) if grammar else None)
