"""Keeps the served index in step without a restart: article files edited on disk (watchfiles,
debounced) and admin changes recorded by another gateway (the version table, polled)."""

import asyncio
import contextlib
import logging
from pathlib import Path

from watchfiles import Change, awatch

from knowledge_base.loader import is_article_path
from knowledge_base.service import KnowledgeBase

log = logging.getLogger(__name__)


def _article_change(change: Change, path: str) -> bool:
    """Article files, and folders (a new topic folder may arrive with its files already inside)."""
    p = Path(path)
    return is_article_path(p) or (not p.suffix and not p.name.startswith("."))


async def watch_articles(
    kb: KnowledgeBase,
    debounce_ms: int = 400,
    poll_db_s: float = 10.0,
    stop: asyncio.Event | None = None,
    poll_dir_s: float = 5.0,
) -> None:
    """Run until cancelled (or `stop` is set); every batch of file changes triggers one rebuild."""
    stop = stop or asyncio.Event()
    root = kb.articles_dir
    if not root.is_dir():
        log.warning("knowledge base: %s does not exist yet; waiting for it", root)
        while not root.is_dir() and not stop.is_set():
            await _wait(stop, poll_dir_s)
        if stop.is_set():
            return
    if not kb.ready or kb.snapshot.folder_missing:  # the folder appeared after the last build
        await _rebuild(kb)
    poller = asyncio.create_task(_poll_db(kb, poll_db_s, stop)) if kb.store is not None else None
    try:
        async for changes in awatch(
            root, watch_filter=_article_change, debounce=debounce_ms, stop_event=stop, recursive=True
        ):
            names = sorted({Path(p).name for _, p in changes})
            log.info("knowledge base: %d file change(s) (%s); rebuilding", len(changes), ", ".join(names[:5]))
            await _rebuild(kb)
    finally:
        if poller is not None:
            poller.cancel()


async def _rebuild(kb: KnowledgeBase) -> None:
    try:
        await asyncio.to_thread(kb.reload)
    except Exception:  # the old index stays in service; the next change tries again
        log.exception("knowledge base: rebuild failed; the previous index stays in service")


async def _poll_db(kb: KnowledgeBase, every_s: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await _wait(stop, every_s)
        try:
            changed = await asyncio.to_thread(kb.changed_in_db)
        except Exception as exc:  # noqa: BLE001  (database briefly unavailable: try at the next poll)
            log.warning("knowledge base: cannot poll admin changes (%s)", type(exc).__name__)
            continue
        if changed:
            log.info("knowledge base: admin change recorded elsewhere; rebuilding")
            await _rebuild(kb)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
