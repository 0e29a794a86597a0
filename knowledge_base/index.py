"""The hybrid index over a fixed set of articles: BM25 (bm25s) over jieba tokens with synonym
expansion, in two fields (title + questions + keywords; answer + details at a lower weight), and
dense e5 vectors of the title and of every question (an article scores its best passage).
The two scores are mapped to [0, 1] and mixed; an index is immutable once built (swapped whole)."""

import logging
import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import bm25s
import numpy as np

from knowledge_base.chinese import normalise
from knowledge_base.embeddings import Embedder, VectorCache
from knowledge_base.schema import FACETS, Article
from knowledge_base.tokens import Tokenizer

log = logging.getLogger(__name__)
# Up to this many articles the dense scan is exact; above it, centroids pick candidates first.
EXACT_DENSE_MAX = 5000
DENSE_CANDIDATES = 400
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


@dataclass(frozen=True)
class FusionParams:
    """Tuned on the tuning half of the eval set by bench/kb_eval.py --tune (see thresholds.py).

    Lexical score of a field = BM25 / (the BM25 an average article would get by containing every
    query word once): the share of the question's (IDF-weighted) words the article covers, in
    [0, ~1] whatever the size of the knowledge base. Words no article uses count with `oov_weight`
    (a question about something the KB does not know covers little of itself)."""

    body_weight: float = 0.3  # answer + details field, relative to the head field
    gram_weight: float = 0.3  # character bigrams of the head field (survives typos: 一卡同)
    oov_weight: float = 0.5
    dense_lo: float = 0.80  # cosine mapped to 0 (e5 cosines sit in a narrow band, ~0.75 .. 0.95)
    dense_hi: float = 0.94  # cosine mapped to 1
    dense_weight: float = 0.5  # share of the dense score in the mix


@dataclass
class Components:
    """Raw scores of one question (1-D, per article) or of many (2-D, question x article)."""

    raw: list[np.ndarray]  # BM25 of the fields head, body, grams
    known: list[np.ndarray | float]  # per field: sum of IDF of the question's words the field knows
    unknown: list[np.ndarray | float]  # per field: IDF sum the question's unknown words would have
    dense: np.ndarray | None  # best cosine of each article's passages


@dataclass(frozen=True)
class Scored:
    article: Article
    score: float
    lexical: float
    dense: float | None


def head_text(a: Article) -> str:
    return " ".join([a.title, *a.questions, *a.keywords])


def char_bigrams(normalised: str) -> list[str]:
    """Bigrams of Han characters inside each run (no bigram spans a space)."""
    return [f"{run[i : i + 2]}" for run in _HAN_RUN.findall(normalised) for i in range(len(run) - 1)]


def body_text(a: Article) -> str:
    facts = [a.facet_text(f) or "" for f in FACETS]
    return " ".join([a.answer_short, a.answer, *facts])


def passages_of(a: Article) -> list[str]:
    return list(
        dict.fromkeys(
            normalise(t) for t in [a.title, *a.questions, a.answer_short, " ".join(a.keywords)] if normalise(t)
        )
    )


class _Field:
    """One BM25 field (bm25s) and the IDF table for coverage."""

    def __init__(self, docs: list[list[str]]) -> None:
        self.n = len(docs)
        self.model: bm25s.BM25 | None = None
        if docs:
            self.model = bm25s.BM25()
            self.model.index(docs, show_progress=False)
        df = Counter(t for d in docs for t in set(d))
        self.idf = {t: math.log(1 + (self.n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.idf_unknown = math.log(1 + (self.n + 0.5) / 0.5)

    def scores(self, tokens: list[str]) -> tuple[np.ndarray, float, float]:
        known = sum(self.idf.get(t, 0.0) for t in tokens)
        unknown = self.idf_unknown * sum(t not in self.idf for t in tokens)
        ids = self.model.get_tokens_ids(tokens) if self.model is not None else []
        raw = self.model.get_scores_from_ids(ids) if ids else np.zeros(self.n, dtype=np.float32)
        return raw, known, unknown


class HybridIndex:
    def __init__(
        self,
        articles: Sequence[Article],
        tokenizer: Tokenizer,
        embedder: Embedder | None = None,
        cache: VectorCache | None = None,
        params: FusionParams | None = None,
    ) -> None:
        started = time.perf_counter()
        self.articles = list(articles)
        self.by_id = {a.id: i for i, a in enumerate(self.articles)}
        self.tokenizer = tokenizer
        self.embedder = embedder
        self.params = params or FusionParams()
        head_norm = [normalise(head_text(a)) for a in self.articles]
        heads = [tokenizer.tokens(h, is_normalised=True) for h in head_norm]
        bodies = [tokenizer.tokens(body_text(a)) for a in self.articles]
        vectors, owners, self.embedded = None, [], 0
        if embedder is not None:
            texts = []
            for i, a in enumerate(self.articles):
                for p in passages_of(a):
                    texts.append(p)
                    owners.append(i)
            cache = cache if cache is not None else VectorCache(None, embedder.model_id)
            vectors, self.embedded = cache.embed(embedder, texts)
            cache.save(keep=texts)
        self._assemble(heads, bodies, [char_bigrams(h) for h in head_norm], vectors, owners)
        self.build_seconds = time.perf_counter() - started

    @classmethod
    def from_parts(
        cls,
        articles: Sequence[Article],
        tokenizer: Tokenizer,
        heads: list[list[str]],
        bodies: list[list[str]],
        grams: list[list[str]],
        vectors: np.ndarray | None,
        owners: Sequence[int],
        embedder: Embedder | None,
        params: FusionParams | None = None,
    ) -> "HybridIndex":
        """An index from precomputed tokens and passage vectors (the 100k-article latency benchmark)."""
        self = cls.__new__(cls)
        started = time.perf_counter()
        self.articles, self.tokenizer, self.embedder = list(articles), tokenizer, embedder
        self.by_id = {a.id: i for i, a in enumerate(self.articles)}
        self.params, self.embedded = params or FusionParams(), 0
        self._assemble(heads, bodies, grams, vectors, owners)
        self.build_seconds = time.perf_counter() - started
        return self

    def _assemble(
        self,
        heads: list[list[str]],
        bodies: list[list[str]],
        grams: list[list[str]],
        vectors: np.ndarray | None,
        owners: Sequence[int],
    ) -> None:
        """Passage vectors must be grouped by article (owners ascending), at least one per article."""
        self.article_tokens = [frozenset(h) | frozenset(b) for h, b in zip(heads, bodies, strict=True)]
        self.vocabulary = frozenset().union(*self.article_tokens) if self.article_tokens else frozenset()
        self._fields = (_Field(heads), _Field(bodies), _Field(grams))
        self._vectors = vectors
        self._owners = np.asarray(owners, dtype=np.int64)
        self._starts = np.flatnonzero(np.r_[True, np.diff(self._owners) != 0]) if len(owners) else np.zeros(0, int)
        self._centroids = None
        if vectors is not None and len(self._starts) != len(self.articles):
            raise ValueError("every article needs at least one passage vector")
        if vectors is not None and len(self.articles) > EXACT_DENSE_MAX:
            counts = np.diff(np.r_[self._starts, len(self._owners)])
            mean = np.add.reduceat(vectors, self._starts, axis=0) / counts[:, None]
            self._counts = counts
            self._centroids = (mean / np.linalg.norm(mean, axis=1, keepdims=True)).astype(np.float32)
        self._mask_day: date | None = None
        self._mask = np.ones(len(self.articles), dtype=bool)

    def __len__(self) -> int:
        return len(self.articles)

    @property
    def dense(self) -> bool:
        return self._vectors is not None

    def in_force_mask(self, today: date) -> np.ndarray:
        if self._mask_day != today:
            self._mask = np.fromiter((a.in_force(today) for a in self.articles), dtype=bool, count=len(self.articles))
            self._mask_day = today
        return self._mask

    def components(self, query_normalised: str, dense: bool = True) -> Components:
        tokens = self.tokenizer.tokens(query_normalised, is_normalised=True)
        parts = [
            f.scores(t) for f, t in zip(self._fields, (tokens, tokens, char_bigrams(query_normalised)), strict=True)
        ]
        vec = self.dense_scores(query_normalised) if dense and query_normalised else None
        return Components([p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts], vec)

    def dense_scores(self, query_normalised: str) -> np.ndarray | None:
        """Best cosine of each article's passages. Beyond EXACT_DENSE_MAX articles the scan is in two
        stages: article centroids for all, exact passages for the DENSE_CANDIDATES best centroids."""
        if self._vectors is None or self.embedder is None or not len(self.articles):
            return None
        q = self.embedder.query(query_normalised)
        if self._centroids is None:
            sims = self._vectors @ q
            best = np.full(len(self.articles), -1.0, dtype=np.float32)
            best[self._owners[self._starts]] = np.maximum.reduceat(sims, self._starts)
            return best
        best = self._centroids @ q
        k = min(DENSE_CANDIDATES, len(best) - 1)
        cand = np.argpartition(-best, k)[: k + 1]  # article positions (one run of passages each)
        rows = np.concatenate(
            [np.arange(s, s + c) for s, c in zip(self._starts[cand], self._counts[cand], strict=True)]
        )
        exact = np.maximum.reduceat(self._vectors[rows] @ q, np.r_[0, np.cumsum(self._counts[cand])[:-1]])
        best = np.minimum(best, exact.min())  # the others stand in below every candidate
        best[cand] = exact
        return best

    @staticmethod
    def fuse(p: FusionParams, c: Components) -> tuple[np.ndarray, np.ndarray]:
        """(mixed score in [0, 1], lexical score in [0, 1]) from the raw components."""
        weights = (1.0, p.body_weight, p.gram_weight)
        lexical = 0.0
        for w, raw, known, unknown in zip(weights, c.raw, c.known, c.unknown, strict=True):
            denom = np.maximum(np.asarray(known) + p.oov_weight * np.asarray(unknown), 1e-6)
            lexical = lexical + w * np.minimum(raw / denom, 1.0)
        lexical = lexical / sum(weights)
        if c.dense is None:
            return lexical, lexical
        dn = np.clip((c.dense - p.dense_lo) / (p.dense_hi - p.dense_lo), 0.0, 1.0)
        return (1 - p.dense_weight) * lexical + p.dense_weight * dn, lexical

    def search(self, query: str, today: date, k: int = 5, dense: bool = True) -> list[Scored]:
        """Top k articles in force on `today`, best first, with the mixed score in [0, 1]."""
        if not self.articles:
            return []
        comp = self.components(normalise(query), dense)
        fused, lexical = self.fuse(self.params, comp)
        fused = np.where(self.in_force_mask(today), fused, -1.0)
        k = min(k, len(fused))
        top = np.argpartition(-fused, k - 1)[:k]
        top = top[np.argsort(-fused[top], kind="stable")]
        return [
            Scored(
                self.articles[i],
                float(fused[i]),
                float(lexical[i]),
                None if comp.dense is None else float(comp.dense[i]),
            )
            for i in top
            if fused[i] >= 0
        ]
