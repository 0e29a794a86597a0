"""Knowledge-base search latency, build time and memory.

    cd /work/main && .venv/bin/python bench/kb_latency.py [--synthetic 100000] [--threads 2]

1. The real knowledge base (knowledge_base/articles): index build time (cold = every passage
   embedded, measured in a fresh cache; warm = the cache filled, what a restart or a file edit
   costs), then the full search path (normalise, facets, BM25 + e5 dense, decision) over every eval
   question: p50/p95/p99. Measured separately: one e5 query embedding (cache miss), a repeated
   question (LRU hit), and lexical-only search.
2. A synthetic knowledge base of N articles made by recombining the real ones (title of one,
   questions of two or three others, answer sentences of others). Its lexical index is really
   built from that text. Embedding 4 x N passages with e5 on 2 cores would take hours, so each
   synthetic passage reuses the real e5 vector of the real question/title it was copied from: the
   dense matrix has the real size and real values, only no new embeddings are computed. The query
   side is real (the eval questions, embedded by e5). Searches run with the production code.
Memory is the process RSS (current and peak) after each step.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.clock import utcnow
from knowledge_base.chinese import normalise
from knowledge_base.embeddings import E5Embedder, VectorCache
from knowledge_base.index import DENSE_CANDIDATES, HybridIndex, body_text, char_bigrams, head_text, passages_of
from knowledge_base.schema import Article, beijing_today
from knowledge_base.search import search
from knowledge_base.service import KnowledgeBase
from knowledge_base.thresholds import HYBRID, HYBRID_FUSION, LEXICAL, LEXICAL_FUSION

ARTICLES = ROOT / "knowledge_base" / "articles"


def rss_mb() -> tuple[float, float]:
    status = Path("/proc/self/status").read_text()
    value = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith("Vm")}
    return value.get("VmRSS", 0) / 1024, value.get("VmHWM", 0) / 1024


def pct(values: list[float]) -> str:
    q = np.percentile(values, [50, 95, 99])
    return f"p50 {q[0]:6.2f} ms  p95 {q[1]:6.2f} ms  p99 {q[2]:6.2f} ms  (n={len(values)}, max {max(values):.1f})"


def questions() -> list[str]:
    qs = []
    for path in sorted((ROOT / "knowledge_base" / "eval").glob("*.yml")):
        qs += [str(e["q"]) for e in yaml.safe_load(path.read_text(encoding="utf-8")) or [] if e.get("q")]
    return qs


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, out


def real_kb(args: argparse.Namespace, qs: list[str]) -> KnowledgeBase:
    print(f"== real knowledge base ({ARTICLES.relative_to(ROOT)}), e5 threads={args.threads}")
    embedder = E5Embedder(threads=args.threads, query_cache=4096)
    with tempfile.TemporaryDirectory() as tmp:
        if args.cold:
            kb = KnowledgeBase(ARTICLES, cache_dir=Path(tmp), embedder=embedder)
            ms, snap = timed(kb.reload)
            print(
                f"cold build: {ms / 1000:.1f} s for {len(snap.index)} articles, {snap.index.embedded} passages "
                f"embedded ({snap.index.embedded / (ms / 1000):.0f} passages/s)"
            )
        cache = ROOT / "var" / "cache" / "kb"
        kb = KnowledgeBase(ARTICLES, cache_dir=cache, embedder=embedder)
        kb.reload()  # fills the cache if needed
        ms, snap = timed(kb.reload)
        print(
            f"warm build (restart / file edit): {ms:.0f} ms for {len(snap.index)} articles "
            f"({snap.index.embedded} passages embedded)  RSS {rss_mb()[0]:.0f} MB"
        )
    if not args.cold:
        sample = [p for a in list(snap.index.articles)[:20] for p in passages_of(a)][:64]
        ms, _ = timed(embedder.passages, [f"{p} {n}" for n, p in enumerate(sample)])  # unseen texts
        n_pass = sum(len(passages_of(a)) for a in snap.index.articles)
        print(
            f"passage embedding: {len(sample) / (ms / 1000):.0f} passages/s -> a cold build of {n_pass} passages "
            f"takes about {n_pass / (len(sample) / (ms / 1000)):.0f} s (run with --cold to measure it)"
        )

    kb.tokenizer._tokens.cache_clear()  # measure jieba, not the token cache
    ms, _ = timed(
        lambda: [kb.tokenizer.tokens(head_text(a)) + kb.tokenizer.tokens(body_text(a)) for a in snap.index.articles]
    )
    print(
        f"tokenising: {len(snap.index) / (ms / 1000):.0f} articles/s (100,000 new articles: about "
        f"{100_000 / (len(snap.index) / (ms / 1000)) / 60:.1f} min)"
    )
    fresh = [f"{q} e{i}" for i, q in enumerate(qs[:200])]  # unseen by the LRU cache
    miss = [timed(embedder.query, normalise(q))[0] for q in fresh]
    hit = [timed(embedder.query, normalise(q))[0] for q in fresh]
    print(f"e5 query embedding, cache miss: {pct(miss)}")
    print(f"e5 query embedding, cache hit:  {pct(hit)}")
    for q in qs[:20]:
        kb.search(q)
    cold_q = [f"{q} r{i}" for i, q in enumerate(qs)]  # every question new to the LRU cache
    lat = [timed(kb.search, q)[0] for q in cold_q]
    print(f"search, full path, new questions:      {pct(lat)}")
    lat = [timed(kb.search, q)[0] for q in cold_q]
    print(f"search, full path, repeated questions: {pct(lat)}")
    today = beijing_today(utcnow())
    lexical = HybridIndex(snap.index.articles, kb.tokenizer, None, None, LEXICAL_FUSION)
    lat = [timed(search, lexical, q, today, LEXICAL)[0] for q in cold_q]
    print(f"search, lexical only:                  {pct(lat)}")
    print(f"RSS now {rss_mb()[0]:.0f} MB, peak {rss_mb()[1]:.0f} MB")
    return kb


def synthetic(kb: KnowledgeBase, n: int, qs: list[str], seed: int = 12345) -> None:
    print(f"\n== synthetic knowledge base: {n:,} articles recombined from {len(kb.snapshot.index)} real ones")
    rng = random.Random(seed)
    real = list(kb.snapshot.index.articles)
    embedder = kb.snapshot.index.embedder
    cache = VectorCache(ROOT / "var" / "cache" / "kb", embedder.model_id)
    vec_of = {}
    for a in real:
        texts = passages_of(a)
        vec_of.update(zip(texts, cache.embed(embedder, texts)[0], strict=True))
    sentences = [s + "。" for a in real for s in a.answer.replace("\n", "").split("。") if len(s) > 6]
    started = time.perf_counter()
    parts: dict[str, list[str]] = {}

    def tokens(text: str) -> list[str]:  # jieba never joins words across the parts, so parts are cached
        if text not in parts:
            parts[text] = kb.tokenizer.tokens(text)
        return parts[text]

    articles: list[Article] = list(real)
    heads = [kb.tokenizer.tokens(head_text(a)) for a in real]
    bodies = [kb.tokenizer.tokens(body_text(a)) for a in real]
    for i in range(n - len(real)):
        base = rng.choice(real)
        donors = rng.sample(real, 3)
        qs_i = rng.sample(base.questions, min(2, len(base.questions))) + [rng.choice(d.questions) for d in donors[:2]]
        answer = rng.sample(sentences, 3)
        keywords = base.keywords + donors[2].keywords[:2]
        articles.append(
            Article.model_construct(
                **{
                    **base.__dict__,
                    "id": f"syn-{i}",
                    "questions": qs_i,
                    "answer": "".join(answer),
                    "answer_short": answer[0][:80],
                    "keywords": keywords,
                }
            )
        )
        heads.append([t for part in (base.title, *qs_i, *keywords) for t in tokens(part)])
        facts = [base.facet_text(f) or "" for f in ("materials", "where", "process", "time_limit", "fees")]
        bodies.append([t for part in (answer[0][:80], *answer, *facts) for t in tokens(part)])
    grams = [char_bigrams(normalise(head_text(a))) for a in articles]
    t_make = time.perf_counter() - started
    owners, rows = [], []
    for i, a in enumerate(articles):
        for p in passages_of(a):
            if p in vec_of:  # every passage copied from a real one has its real vector
                owners.append(i)
                rows.append(vec_of[p])
    vectors = np.stack(rows).astype(np.float32)
    del rows
    index = HybridIndex.from_parts(
        articles, kb.tokenizer, heads, bodies, grams, vectors, owners, embedder, HYBRID_FUSION
    )
    print(
        f"made and tokenised {n:,} articles in {t_make:.1f} s (tokens of repeated parts reused); index built in "
        f"{index.build_seconds:.1f} s; dense matrix {vectors.shape[0]:,} x {vectors.shape[1]} "
        f"({vectors.nbytes / 2**20:.0f} MB, real e5 vectors of the copied passages)"
    )
    print(f"RSS now {rss_mb()[0]:.0f} MB, peak {rss_mb()[1]:.0f} MB")
    today = beijing_today(utcnow())
    index.in_force_mask(today)
    fresh = [f"{q} s{i}" for i, q in enumerate(qs[:300])]  # new to the LRU cache
    for q in fresh[:10]:
        search(index, q, today, HYBRID)
    lat = [timed(search, index, q, today, HYBRID)[0] for q in fresh]
    print(f"search, hybrid, new questions (e5 query embedding included): {pct(lat)}")
    lat = [timed(search, index, q, today, HYBRID)[0] for q in fresh]
    print(f"search, hybrid, repeated questions (query vector cached):   {pct(lat)}")
    lat = [timed(search, index, q, today, HYBRID, None, 3, False)[0] for q in fresh]
    print(f"search, lexical part only on the same index:                 {pct(lat)}")
    if index._centroids is not None:  # the two-stage dense scan against the exact one
        agree = 0
        for q in fresh[:100]:
            qv = embedder.query(normalise(q))
            exact = np.maximum.reduceat(vectors @ qv, index._starts)
            agree += int(np.isclose(exact.max(), index.dense_scores(normalise(q)).max()))
        print(
            f"two-stage dense scan (centroids, then exact passages of the best {DENSE_CANDIDATES}): "
            f"finds the exact scan's best passage score for {agree} of 100 questions"
        )
    print(f"RSS now {rss_mb()[0]:.0f} MB, peak {rss_mb()[1]:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synthetic", type=int, default=100_000, help="synthetic article count (0: skip)")
    ap.add_argument("--threads", type=int, default=2, help="most e5 threads per question (HOTLINE_KB_EMBED_THREADS)")
    ap.add_argument("--cold", action="store_true", help="also measure a build with an empty embedding cache")
    args = ap.parse_args()
    qs = questions()
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(other processes share the cores: latencies include that)"
    )
    kb = real_kb(args, qs)
    if args.synthetic:
        synthetic(kb, args.synthetic, qs)


if __name__ == "__main__":
    main()
