"""Edits to article files take effect without a restart (real watchfiles on a temp folder), and
the embedding cache makes a rebuild embed only what changed."""

import asyncio
import time

import yaml

from knowledge_base.embeddings import VectorCache
from knowledge_base.service import KnowledgeBase
from knowledge_base.watch import watch_articles
from tests.knowledge_base.conftest import ARTICLES, write_article


async def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the change was not picked up"
        await asyncio.sleep(0.1)


async def test_file_edits_are_served_without_restart(articles_dir, e5, vector_cache_dir):
    kb = KnowledgeBase(articles_dir, cache_dir=vector_cache_dir, embedder=e5)
    await asyncio.to_thread(kb.reload)
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_articles(kb, debounce_ms=100, stop=stop))
    await asyncio.sleep(0.5)  # watcher armed
    try:
        before = kb.snapshot
        path = articles_dir / "heating" / "heating-not-warm.yml"
        body = yaml.safe_load(path.read_text(encoding="utf-8"))
        body["questions"].append("楼上漏水把暖气泡了怎么办")
        body["keywords"].append("暖气泡水")
        path.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
        await wait_for(lambda: kb.snapshot is not before)
        assert kb.search("楼上漏水把暖气泡了").results[0].article.id == "heating-not-warm"
        assert kb.snapshot.index.embedded == 2, "only the new question and the keyword line were embedded"

        edited = kb.snapshot
        path.unlink()
        await wait_for(lambda: kb.snapshot is not edited)
        assert "heating-not-warm" not in kb.snapshot.index.by_id

        removed = kb.snapshot
        (articles_dir / "heating" / "broken.yml").write_text("id: [", encoding="utf-8")
        await wait_for(lambda: kb.snapshot is not removed)
        assert [p.rsplit("/", 1)[-1] for p, _ in kb.snapshot.errors] == ["broken.yml"]
        assert kb.search("公积金怎么提取").results[0].article.id == "provident-fund-withdraw", "still serving"
    finally:
        stop.set()
        await asyncio.wait_for(watcher, 5)


async def test_watcher_waits_for_a_missing_folder(tmp_path, e5, vector_cache_dir):
    kb = KnowledgeBase(tmp_path / "later", cache_dir=vector_cache_dir, embedder=e5)
    await asyncio.to_thread(kb.reload)
    assert len(kb.snapshot.index) == 0
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_articles(kb, debounce_ms=100, stop=stop, poll_dir_s=0.1))
    try:
        write_article(tmp_path / "later", ARTICLES[0])
        await wait_for(lambda: len(kb.snapshot.index) == 1)
        await asyncio.sleep(0.5)  # the watcher is armed once the folder's first load is done
        write_article(tmp_path / "later", ARTICLES[1])
        await wait_for(lambda: len(kb.snapshot.index) == 2)
    finally:
        stop.set()
        await asyncio.wait_for(watcher, 10)


def test_embedding_cache_survives_a_restart(articles_dir, e5, tmp_path):
    first = KnowledgeBase(articles_dir, cache_dir=tmp_path / "cache", embedder=e5)
    assert first.reload().index.embedded > 10
    cache = VectorCache(tmp_path / "cache", e5.model_id)
    assert len(cache) == first.snapshot.index.embedded
    second = KnowledgeBase(articles_dir, cache_dir=tmp_path / "cache", embedder=e5)
    assert second.reload().index.embedded == 0
    write_article(articles_dir, {**ARTICLES[4], "questions": ["一卡通坏了怎么退"]})
    assert second.reload().index.embedded == 1
