"""Hot-issue mining (每月一题): messages → issues, one concrete problem at one place.

1. **Place** (`extract_place`, reports/place_words.py): jieba segments the text; a place is a token ending in a place
   suffix (小区, 花园, 苑, 路, 大道, 学校, 公司, 医院, 村 …, or tagged `ns` by jieba's dictionary),
   extended to the left over name-like tokens (nouns, unknown words, numbers), after the
   administrative prefixes (`A市A2区`, `朝阳区`) are cut off. The most specific kind wins
   (estate/company/school over road over village/street), the first one on ties. Messages without
   a place belong to no issue (an issue is a problem *at a place*).
2. **Problem**: messages that share a place key are clustered by their TF-IDF vectors (jieba
   words other than the place's, scikit-learn `TfidfVectorizer`) with scikit-learn's
   `AgglomerativeClustering` (cosine distance, average linkage, a distance threshold), so
   "噪音" and "停水" at one estate are two issues, and one problem at two places is two issues.
3. **Heat** (`heat`): distinct people weigh most, then messages, support (likes, or repeat
   messages from one person), spread (distinct days) — all on a log scale — times a recency
   factor that halves the weight of an issue whose last message is `half_life` days before the
   period's end (never below half).
"""

import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from reports.place_words import Tokens, place_key, tokenize

DISTANCE = 0.97
DISTANCE_BROAD = 0.8  # a town or a street holds many places: only close wording is one problem
CHAR_WEIGHT = 1.0  # cosine distance under which two messages at one place share a problem
MAX_BLOCK = 2000
PARALLEL_MIN = 20_000  # messages; fewer are tokenized in-process
MAX_WORKERS = 2  # larger place blocks: cluster a sample, assign the rest to the nearest centroid


@dataclass(frozen=True)
class Message:
    id: str
    text: str
    time: datetime
    person: str | None = None  # who sent it (a pseudonymous key; never output)
    likes: int = 0
    category: str | None = None
    district: str | None = None
    place: str | None = None  # a known place (e.g. the order's street) used when the text names none


def heat(count: int, people: int, support: int, days: int, age_days: float, half_life: float) -> float:
    recency = 0.5 + 0.5 * math.exp(-math.log(2) * max(age_days, 0.0) / half_life)
    score = 2.0 * math.log1p(people) + math.log1p(count) + 0.5 * math.log1p(support) + 0.5 * math.log1p(days)
    return round(10 * score * recency, 2)


def _cluster(vectors, n: int, distance: float = DISTANCE) -> np.ndarray:
    """Average-linkage clusters cut at DISTANCE (SciPy's hierarchy: little overhead per block)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    def fit(matrix) -> np.ndarray:
        distances = np.clip(1.0 - (matrix @ matrix.T).toarray(), 0.0, 1.0)
        np.fill_diagonal(distances, 0.0)
        tree = linkage(squareform(distances, checks=False), method="average")
        return fcluster(tree, t=distance, criterion="distance")

    if n <= MAX_BLOCK:
        return fit(vectors)
    from sklearn.neighbors import NearestCentroid

    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(n, MAX_BLOCK, replace=False))
    labels = fit(vectors[sample])
    if len(set(labels)) < 2:
        return np.full(n, labels[0])
    return NearestCentroid(metric="euclidean").fit(vectors[sample].toarray(), labels).predict(vectors.toarray())


def _keywords(matrix, rows: list[int], vocabulary: np.ndarray, k: int = 3) -> list[str]:
    weights = np.asarray(matrix[rows].sum(axis=0)).ravel()
    return [str(vocabulary[i]) for i in np.argsort(-weights)[:k] if weights[i] > 0]


def _title(message: Message, place: str, keywords: list[str]) -> str:
    from core.pii import mask_pii

    first = re.split(r"[。！？!?\n；;]", message.text.strip(), maxsplit=1)[0].strip()
    if len(first) > 40 or not first:
        first = place + "：" + "、".join(keywords)
    elif place_key(place) not in first:
        first = f"{place}：{first}"
    return mask_pii(first)


def tokenize_all(messages: Sequence[Message], workers: int | None = None) -> list[Tokens]:
    """Tokens of every message; large inputs are split over worker processes (jieba is pure
    Python: one core each). workers: default 1 below PARALLEL_MIN messages, else the usable cores."""
    cores = len(os.sched_getaffinity(0))
    workers = workers or (1 if len(messages) < PARALLEL_MIN else min(cores, MAX_WORKERS))
    pairs = [(m.text, m.place) for m in messages]
    if workers <= 1:
        return [tokenize(text, place) for text, place in pairs]
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    chunk = -(-len(pairs) // (workers * 4))
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:  # no fork of a threaded server
        parts = pool.map(_tokenize_chunk, [pairs[k : k + chunk] for k in range(0, len(pairs), chunk)])
        return [tokens for part in parts for tokens in part]


def _tokenize_chunk(pairs: list[tuple[str, str | None]]) -> list[Tokens]:
    return [tokenize(text, place) for text, place in pairs]


def mine(
    messages: Sequence[Message],
    top: int = 10,
    end: datetime | None = None,
    min_count: int = 2,
    workers: int | None = None,
) -> list[dict]:
    """The `top` hottest issues among messages (each with at least min_count messages)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    if not messages:
        return []
    parsed = tokenize_all(messages, workers)
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, tokens in enumerate(parsed):
        if tokens.place_key:
            blocks[tokens.place_key].append(i)
    blocks = {key: rows for key, rows in blocks.items() if len(rows) >= min_count}
    if not blocks:
        return []
    placed = sorted(i for rows in blocks.values() for i in rows)
    position = {i: p for p, i in enumerate(placed)}
    # Boilerplate (greetings, closings) is in STOPWORDS; a frequent word is kept (the hot issue's
    # own word is frequent). Character pairs join paraphrases (噪音/噪声, 收费/收取).
    words = TfidfVectorizer(analyzer=lambda ws: ws, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True)
    matrix = words.fit_transform([parsed[i].words or ["∅"] for i in placed])
    pairs = chars.fit_transform(["|".join(parsed[i].words) or "∅" for i in placed])
    features = normalize(hstack([matrix, pairs * CHAR_WEIGHT]).tocsr())
    end = end or max(m.time for m in messages)
    start = min(m.time for m in messages)
    half_life = max(7.0, (end - start).total_seconds() / 86400 / 4)
    scored: list[tuple[float, int, datetime, list[int]]] = []
    for rows in blocks.values():
        local = [position[i] for i in rows]
        broad = sum(parsed[i].broad for i in rows) * 2 > len(rows)
        labels = _cluster(features[local], len(local), DISTANCE_BROAD if broad else DISTANCE)
        groups: dict[int, list[int]] = defaultdict(list)
        for i, label in zip(rows, labels, strict=True):
            groups[int(label)].append(i)
        for members in groups.values():
            if len(members) >= min_count:
                chosen = [messages[i] for i in members]
                scored.append((_heat_of(chosen, end, half_life), len(members), min(m.time for m in chosen), members))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
    vocabulary = words.get_feature_names_out()
    return [
        {
            **_issue(
                [messages[i] for i in members],
                [parsed[i] for i in members],
                matrix,
                [position[i] for i in members],
                vocabulary,
            ),
            "rank": rank,
            "heat": value,
        }
        for rank, (value, _, _, members) in enumerate(scored[:top], start=1)
    ]


def _people(members: Sequence[Message]) -> int:
    return len({m.person or f"id:{m.id}" for m in members})


def _support(members: Sequence[Message]) -> int:
    """Likes, or else repeat messages of one sender."""
    likes = sum(m.likes for m in members)
    return likes if likes else len(members) - _people(members)


def _heat_of(members: Sequence[Message], end: datetime, half_life: float) -> float:
    last = max(m.time for m in members)
    return heat(
        len(members),
        _people(members),
        _support(members),
        len({m.time.date() for m in members}),
        (end - last).total_seconds() / 86400,
        half_life,
    )


def _issue(members: list[Message], parsed: list[Tokens], matrix, rows: list[int], vocabulary: np.ndarray) -> dict:
    ordered = sorted(members, key=lambda m: (m.time, m.id))
    place = Counter(t.place for t in parsed).most_common(1)[0][0]
    keywords = _keywords(matrix, rows, vocabulary)
    centroid = np.asarray(matrix[rows].mean(axis=0)).ravel()
    medoid = members[int(np.argmax(matrix[rows] @ centroid))]
    category = Counter(m.category for m in ordered if m.category).most_common(1)
    district = Counter(m.district for m in ordered if m.district).most_common(1)
    return {
        "rank": None,
        "title": _title(medoid, place, keywords),
        "heat": None,
        "count": len(ordered),
        "people": _people(ordered),
        "support": _support(ordered),
        "days": len({m.time.date() for m in ordered}),
        "first": ordered[0].time,
        "last": ordered[-1].time,
        "place": place,
        "keywords": keywords,
        "category": category[0][0] if category else None,
        "district": district[0][0] if district else None,
        "message_ids": [m.id for m in ordered],
    }
