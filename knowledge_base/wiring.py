"""How the gateway composes the knowledge base: built from Settings, loaded and warmed up in the
lifespan (so the first citizen does not wait), watched for edits until shutdown."""

import asyncio
import contextlib
import logging
import tempfile
from pathlib import Path

from sqlalchemy.engine import Engine

from core.settings import PROJECT_ROOT, Settings
from knowledge_base.service import KnowledgeBase, Referrer
from knowledge_base.store import VersionStore
from knowledge_base.watch import watch_articles

log = logging.getLogger(__name__)
WARM_UP_QUESTION = "居住证怎么办理"
# Passage vectors are keyed by model and text hash, so every instance (also test stacks with their
# own HOTLINE_VAR_DIR) can share one cache: only the first start embeds every passage.
DEFAULT_CACHE_DIR = PROJECT_ROOT / "var" / "cache" / "kb"


def knowledge_base_from_settings(settings: Settings, db: Engine, referrer: Referrer | None = None) -> KnowledgeBase:
    """`referrer` answers who-questions with the responsible unit (the gateway's tickets.referral)."""
    return KnowledgeBase(
        settings.kb_articles_dir,
        VersionStore(db),
        settings.kb_cache_dir or DEFAULT_CACHE_DIR,
        dense=settings.kb_dense,
        embed_threads=settings.kb_embed_threads,
        referrer=referrer,
    )


def prepare_cache(settings: Settings) -> None:
    """Embed every article once into the shared cache (`hotline train`), so that no gateway start
    pays for it; uses a throw-away database for the version store."""
    from core.db import init_db, make_engine

    with tempfile.TemporaryDirectory() as tmp:
        db = make_engine(f"sqlite:///{Path(tmp) / 'kb.db'}")
        try:
            init_db(db)
            snapshot = knowledge_base_from_settings(settings, db).reload()
            log.info("knowledge base cache ready: %d articles", len(snapshot.known))
        finally:
            db.dispose()


def _load_and_warm(kb: KnowledgeBase) -> None:
    kb.reload()
    kb.search(WARM_UP_QUESTION)  # jieba, the e5 model and numpy paths all touched once


async def start(kb: KnowledgeBase, settings: Settings) -> asyncio.Task | None:
    """Load (after init_db), warm up, and start the watcher when enabled. A failure leaves the
    gateway running without a knowledge base (/healthz shows it) instead of stopping it."""
    try:
        await asyncio.to_thread(_load_and_warm, kb)
    except Exception:
        log.exception("knowledge base: initial load failed; /api/kb answers 503 until a rebuild succeeds")
    return asyncio.create_task(watch_articles(kb), name="kb-watch") if settings.kb_watch else None


async def stop(watcher: asyncio.Task | None) -> None:
    if watcher is not None:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
