"""Vosk (Kaldi) speech recognition: one model per process shared by every call, one
recognizer per call, all decoding in a worker pool sized to the cores (never on the event loop).

Context-biased recognition: a stream may carry a phrase list (district names, 是/不是, digits)
for the next utterance. The phrases are fitted to the model's vocabulary (Chinese phrases are
segmented into vocabulary words), compiled into a runtime grammar with "[unk]" for anything
else, and decoded side by side with a free recognizer; when the grammar result is empty or
only [unk], the free result is returned instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from voice.asr.base import RecognitionStream, SpeechToText, SpeechUnavailable
from voice.asr.worker_pool import PriorityWorkers
from voice.audio import PCM16_16K, AudioFormat

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "run `hotline models fetch` on a machine that can reach the model host (or copy the zip "
    "here and run `hotline models fetch --zip FILE`), or point HOTLINE_VOSK_MODEL_PATH at an "
    "unpacked Vosk model"
)
UNK = "[unk]"
_MAX_WORD_CHARS = 8
_TOKEN = re.compile(r"\[[^\]]*\]|<[^>]*>")
_HAN_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def import_vosk() -> Any:
    """The vosk module, or SpeechUnavailable with an install hint (import guarded here only)."""
    try:
        import vosk
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SpeechUnavailable(
            "The vosk package is not installed in the gateway environment: "
            "pip install -r requirements/gateway.txt (vosk==0.3.45)"
        ) from exc
    vosk.SetLogLevel(-1)
    return vosk


def model_present(path: Path) -> bool:
    return (path / "am" / "final.mdl").is_file() and (path / "conf").is_dir()


_models: dict[Path, Any] = {}
_models_lock = threading.Lock()


def load_model(path: Path) -> Any:
    """The process-wide vosk.Model for `path`, loaded once (blocking: call it off the loop)."""
    key = path.resolve()
    with _models_lock:
        model = _models.get(key)
        if model is None:
            if not model_present(key):
                raise SpeechUnavailable(f"Vosk model not found at {path}: {INSTALL_HINT}")
            vosk = import_vosk()
            try:
                model = vosk.Model(str(key))
            except Exception as exc:  # vosk raises a bare Exception
                raise SpeechUnavailable(f"Vosk could not load the model at {path} ({exc}): {INSTALL_HINT}") from exc
            _models[key] = model
            log.info("vosk model loaded from %s", key)
        return model


def tidy(text: str) -> str:
    """Drop [unk] and other bracketed model tokens, and the spaces Vosk puts between Chinese words."""
    words = [w for w in text.split() if not _TOKEN.fullmatch(w)]
    return _HAN_GAP.sub("", " ".join(words))


def _segment(model: Any, text: str) -> list[str] | None:
    """Fewest vocabulary words that spell `text` (None when impossible)."""
    best: list[list[str] | None] = [[]] + [None] * len(text)
    for end in range(1, len(text) + 1):
        for start in range(max(0, end - _MAX_WORD_CHARS), end):
            prev = best[start]
            known = prev is not None and model.vosk_model_find_word(text[start:end]) >= 0
            if known and (best[end] is None or len(prev) + 1 < len(best[end])):  # type: ignore[arg-type]
                best[end] = prev + [text[start:end]]
    return best[-1]


def fit_grammar(model: Any, phrases: list[str]) -> list[str]:
    """Phrases rewritten as space-separated vocabulary words; unspellable ones are dropped."""
    fitted: list[str] = []
    for phrase in phrases:
        words: list[str] = []
        for token in phrase.split():
            seg = [token] if model.vosk_model_find_word(token) >= 0 else _segment(model, token)
            if seg is None:
                log.debug("grammar phrase %r has no spelling in the model vocabulary", phrase)
                words = []
                break
            words += seg
        if words and " ".join(words) not in fitted:
            fitted.append(" ".join(words))
    return fitted


class _Decoder:
    """The blocking half of a stream; every method runs in the worker pool."""

    def __init__(self, model: Any, sample_rate: int):
        self.vosk = import_vosk()
        self.model, self.rate = model, sample_rate
        self.free = self.vosk.KaldiRecognizer(model, sample_rate)
        self.grammar: Any = None  # KaldiRecognizer restricted to a phrase list, or None
        self.done_free: list[str] = []  # segments Vosk's own endpointer already closed
        self.done_grammar: list[str] = []

    def release(self) -> None:
        self.free = self.grammar = None  # the recognizers are freed here, in a worker thread

    def set_grammar(self, phrases: list[str] | None) -> None:
        self.grammar = None
        if phrases:
            fitted = fit_grammar(self.model, phrases)
            if not fitted:
                log.warning("no grammar phrase fits the model vocabulary; free recognition")
                return
            if self.model.vosk_model_find_word(UNK) >= 0:
                fitted.append(UNK)
            self.grammar = self.vosk.KaldiRecognizer(self.model, self.rate, json.dumps(fitted, ensure_ascii=False))

    @staticmethod
    def _feed(rec: Any, data: bytes, done: list[str]) -> str:
        if rec.AcceptWaveform(data):
            done.append(json.loads(rec.Result()).get("text", ""))
            return ""
        return json.loads(rec.PartialResult()).get("partial", "")

    def accept(self, data: bytes) -> str:
        free = tidy(" ".join(self.done_free + [self._feed(self.free, data, self.done_free)]))
        if self.grammar is None:
            return free
        biased = tidy(" ".join(self.done_grammar + [self._feed(self.grammar, data, self.done_grammar)]))
        return biased or free

    def finish(self, data: bytes) -> str:
        if data:
            self.accept(data)
        free = tidy(" ".join(self.done_free + [json.loads(self.free.FinalResult()).get("text", "")]))
        self.free.Reset()
        self.done_free = []
        if self.grammar is None:
            return free
        biased = tidy(" ".join(self.done_grammar + [json.loads(self.grammar.FinalResult()).get("text", "")]))
        self.grammar.Reset()
        self.done_grammar = []
        if not biased:
            log.debug("grammar gave nothing; falling back to free recognition")
        return biased or free


class VoskStream(RecognitionStream):
    def __init__(self, provider: VoskSpeechToText, decoder: _Decoder, grammar: list[str] | None):
        self._provider, self._decoder = provider, decoder
        self._chunk_bytes = provider.audio_format.frame_bytes(provider.chunk_ms)
        self._buf = bytearray()
        self._partial = ""
        self._pending_grammar: tuple[list[str] | None] | None = (grammar,) if grammar else None
        self._in_utterance = False
        self._lock = asyncio.Lock()
        self._closed = False

    def set_grammar(self, phrases: list[str] | None) -> None:
        self._pending_grammar = (list(phrases) if phrases else None,)

    async def _prepare_utterance(self) -> None:
        if not self._in_utterance:
            self._in_utterance = True
            if self._pending_grammar is not None:
                (phrases,) = self._pending_grammar
                self._pending_grammar = None
                await self._provider.run(self._decoder.set_grammar, phrases)

    async def accept(self, pcm16: bytes) -> str | None:
        if self._closed:
            raise RuntimeError("recognition stream is closed")
        self._buf += pcm16
        if len(self._buf) < self._chunk_bytes:
            return None
        cut = len(self._buf) - len(self._buf) % 2
        data = bytes(self._buf[:cut])
        del self._buf[:cut]
        async with self._lock:
            await self._prepare_utterance()
            partial = await self._provider.run(self._decoder.accept, data)
        if partial != self._partial:
            self._partial = partial
            return partial
        return None

    async def finish(self) -> str:
        if self._closed:
            raise RuntimeError("recognition stream is closed")
        cut = len(self._buf) - len(self._buf) % 2
        data = bytes(self._buf[:cut])
        self._buf.clear()
        async with self._lock:
            await self._prepare_utterance()
            text = await self._provider.run(self._decoder.finish, data, urgent=True)  # a caller waits
            self._in_utterance = False
        self._partial = ""
        return text

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._provider.open_streams -= 1
            async with self._lock:
                decoder, self._decoder = self._decoder, None
                await self._provider.run(decoder.release)  # freeing Kaldi state takes a while


class VoskSpeechToText(SpeechToText):
    name = "vosk"

    def __init__(self, model_path: Path, *, sample_rate: int = 16000, workers: int | None = None, chunk_ms: int = 200):
        self.model_path = Path(model_path)
        self.audio_format: AudioFormat = PCM16_16K if sample_rate == 16000 else AudioFormat(sample_rate, "pcm16")
        self.chunk_ms = chunk_ms  # audio gathered before one decoding step (fewer thread hand-offs)
        self._workers = workers or os.cpu_count() or 1
        self._pool: PriorityWorkers | None = None
        self._model: Any = None
        self.open_streams = 0

    def available(self) -> bool:
        return model_present(self.model_path)

    async def run(self, fn: Any, *args: Any, urgent: bool = False) -> Any:
        """fn(*args) in the decoding threads; `urgent` (a final transcript) goes first."""
        if self._pool is None:
            self._pool = PriorityWorkers(self._workers, name="vosk")
        return await self._pool.run(fn, *args, urgent=urgent)

    async def model(self) -> Any:
        if self._model is None:
            self._model = await self.run(load_model, self.model_path)
        return self._model

    async def warm_up(self) -> None:
        model = await self.model()
        decoder = await self.run(_Decoder, model, self.audio_format.sample_rate)
        await self.run(decoder.finish, b"\x00" * self.audio_format.frame_bytes(500))

    async def open_stream(self, grammar: list[str] | None = None) -> RecognitionStream:
        model = await self.model()
        decoder = await self.run(_Decoder, model, self.audio_format.sample_rate)
        self.open_streams += 1
        return VoskStream(self, decoder, grammar)

    async def aclose(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
