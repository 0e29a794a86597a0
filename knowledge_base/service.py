"""The knowledge base as the gateway runs it: the reviewed YAML files plus admin overrides from the
database, built into a HybridIndex off the event loop and swapped whole, so searches never see a
half-built index. All methods block; the HTTP layer calls them in a worker thread."""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from core.clock import iso_utc, utcnow
from knowledge_base.chinese import normalise
from knowledge_base.embeddings import E5Embedder, Embedder, VectorCache
from knowledge_base.index import HybridIndex
from knowledge_base.loader import load_articles
from knowledge_base.schema import FACETS, Article, beijing_today, first_error
from knowledge_base.search import Outcome, search, wants_referral, with_referral
from knowledge_base.store import Override, VersionStore
from knowledge_base.thresholds import HYBRID, HYBRID_FUSION, LEXICAL, LEXICAL_FUSION, Thresholds
from knowledge_base.tokens import Tokenizer

log = logging.getLogger(__name__)
# Who handles the matter of a question: the referral's JSON, or None when no unit is known.
Referrer = Callable[[str], dict | None]


class UnknownArticle(LookupError):
    pass


class AlreadyRetired(ValueError):
    pass


@dataclass(frozen=True)
class Snapshot:
    index: HybridIndex
    thresholds: Thresholds
    known: dict[str, Article]  # every article, served or not (retired ones included)
    origin: dict[str, str]  # id -> "file" | "admin"
    retired: frozenset[str]
    errors: list[tuple[str, str]]
    built_at: datetime
    last_version_id: int | None = None
    paths: dict[str, Path] = field(default_factory=dict)
    folder_missing: bool = False


def article_json(article: Article) -> dict:
    """An article as the APIs show it; details values rendered as text (lists become numbered lines)."""
    body = article.model_dump(mode="json", exclude={"details"})
    body["details"] = {f: t for f in FACETS if (t := article.facet_text(f))}
    return body


class KnowledgeBase:
    def __init__(
        self,
        articles_dir: Path,
        store: VersionStore | None = None,
        cache_dir: Path | None = None,
        dense: bool = True,
        embed_threads: int = 1,
        embedder: Embedder | None = None,
        clock: Callable[[], datetime] = utcnow,
        referrer: Referrer | None = None,
    ) -> None:
        self.articles_dir = articles_dir
        self.referrer = referrer
        self.store = store
        self.cache_dir = cache_dir
        self.clock = clock
        self.tokenizer = Tokenizer.shared()
        self._want_dense = dense
        self._embed_threads = embed_threads
        self._embedder = embedder
        self._cache: VectorCache | None = None
        self._snapshot: Snapshot | None = None
        self._build_lock = threading.Lock()
        self.dense_error: str | None = None

    # -- building ---------------------------------------------------------------------------------

    def _dense_embedder(self) -> Embedder | None:
        if not self._want_dense:
            return None
        if self._embedder is None and self.dense_error is None:
            try:
                self._embedder = E5Embedder.shared(self._embed_threads)
            except (ImportError, OSError, RuntimeError) as exc:
                self.dense_error = f"{type(exc).__name__}: {exc}"
                log.error("knowledge base: dense model unavailable (%s); searching with BM25 only", self.dense_error)
        if self._embedder is not None and self._cache is None:
            self._cache = VectorCache(self.cache_dir, self._embedder.model_id)
        return self._embedder

    def reload(self) -> Snapshot:
        """Re-read files and overrides, rebuild the index, swap it in. Serialised between threads."""
        with self._build_lock:
            started = time.perf_counter()
            files = load_articles(self.articles_dir)
            overrides, last_id = (self.store.overrides(), self.store.last_id()) if self.store else ({}, None)
            known, origin = dict(files.articles), dict.fromkeys(files.articles, "file")
            retired: set[str] = set()
            for article_id, ov in overrides.items():
                merged = self._apply(article_id, ov, known)
                if merged == "retire":
                    retired.add(article_id)
                if merged and article_id in known:
                    origin[article_id] = "admin"
            embedder = self._dense_embedder()
            served = [a for i, a in known.items() if i not in retired]
            index = HybridIndex(
                served, self.tokenizer, embedder, self._cache, HYBRID_FUSION if embedder else LEXICAL_FUSION
            )
            snap = Snapshot(
                index,
                HYBRID if index.dense else LEXICAL,
                known,
                origin,
                frozenset(retired),
                files.errors,
                self.clock(),
                last_id,
                files.paths,
                files.folder_missing,
            )
            self._snapshot = snap
            log.info(
                "knowledge base: %d articles served (%d retired, %d bad files), dense=%s, %d passages embedded, %.2f s",
                len(served),
                len(retired),
                len(files.errors),
                index.dense,
                index.embedded,
                time.perf_counter() - started,
            )
            return snap

    @staticmethod
    def _apply(article_id: str, ov: Override, known: dict[str, Article]) -> str | None:
        """Put an admin version over the files; returns "admin", "retire" or None (ignored)."""
        if ov.body is not None:  # an add/update, or the last admin body of a retired article
            try:
                known[article_id] = Article.model_validate(ov.body)
            except ValidationError as exc:
                log.warning(
                    "knowledge base: admin version %d of %s is invalid now (%s); ignored",
                    ov.version,
                    article_id,
                    first_error(exc),
                )
                return "retire" if ov.action == "retire" else None
        return "retire" if ov.action == "retire" else "admin"

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot if self._snapshot is not None else self.reload()

    @property
    def ready(self) -> bool:
        return self._snapshot is not None

    def changed_in_db(self) -> bool:
        """Another gateway recorded an admin change since our last build."""
        return (
            self.store is not None
            and self._snapshot is not None
            and self.store.last_id() != self._snapshot.last_version_id
        )

    # -- searching --------------------------------------------------------------------------------

    def search(self, text: str, context_article: str | None = None, top_k: int = 3) -> Outcome:
        snap = self.snapshot
        today = beijing_today(self.clock())
        outcome = search(snap.index, text, today, snap.thresholds, context_article, top_k)
        if self.referrer is not None and wants_referral(outcome, normalise(text)):
            outcome = with_referral(outcome, self._referral(text))
        return outcome

    def _referral(self, text: str) -> dict | None:
        try:
            return self.referrer(text) if self.referrer is not None else None
        except Exception:
            log.exception("knowledge base: who-handles look-up failed; answering from the articles")
            return None

    # -- admin ------------------------------------------------------------------------------------

    def status_of(self, article_id: str) -> str:
        snap = self.snapshot
        article = snap.known.get(article_id)
        if article is None:
            raise UnknownArticle(article_id)
        if article_id in snap.retired:
            return "retired"
        today = beijing_today(self.clock())
        if article.effective_from and today < article.effective_from:
            return "not_yet_effective"
        return "served" if article.in_force(today) else "expired"

    def get(self, article_id: str) -> dict:
        snap = self.snapshot
        status = self.status_of(article_id)
        path = snap.paths.get(article_id)
        return {
            **article_json(snap.known[article_id]),
            "status": status,
            "served": status == "served",
            "origin": snap.origin[article_id],
            "file": str(path) if path else None,
        }

    def put(self, article: Article, actor: str) -> dict:
        if self.store is None:
            raise RuntimeError("admin changes need a database")
        action = "update" if article.id in self.snapshot.known else "add"
        row = self.store.record(article.id, action, article.model_dump(mode="json"), actor)
        self.reload()
        return row.to_json()

    def retire(self, article_id: str, actor: str) -> dict:
        if self.store is None:
            raise RuntimeError("admin changes need a database")
        if self.status_of(article_id) == "retired":  # raises UnknownArticle
            raise AlreadyRetired(article_id)
        row = self.store.record(article_id, "retire", None, actor)
        self.reload()
        return row.to_json()

    def versions(self, article_id: str) -> list[dict]:
        rows = self.store.versions(article_id) if self.store else []
        if not rows and article_id not in self.snapshot.known:
            raise UnknownArticle(article_id)
        return [r.to_json() for r in rows]

    def health(self) -> dict:
        snap = self._snapshot
        if snap is None:
            return {"ok": False, "state": "loading"}
        today = beijing_today(self.clock())
        served = int(snap.index.in_force_mask(today).sum())
        return {
            "ok": True,
            "articles": served,
            "retired": len(snap.retired),
            "bad_files": len(snap.errors),
            "dense": snap.index.dense,
            "built_at": iso_utc(snap.built_at),
        }
