"""Text classifier for citizen messages: the level-3 category (or a coarser category, when trained
on coarser labels) of the catalog in tickets/catalog/categories.yml.

Model: TF-IDF (sublinear tf, l2-normalised; tickets/text_features.py) of the character 1–3-grams
of a normalised text plus its jieba words of two or more characters (words keep apart what
n-grams across a word boundary blur; on the teddy2020 set they added about half a point), and two
multinomial logistic regressions on it: one over the categories, one over their level-1 groups.
A category's score is log P(category) + `level1_weight` · log P(its level 1): the level-1 model
pools the examples of a whole group and steadies the choice on long or unusual messages. Its
training set is the project's own examples (tickets/catalog/training/*.yml) plus, for each
category, its catalog keywords and names as short pseudo-examples. At prediction time, catalog
keywords found in the text add a small bonus to their category's score (`keyword_weight`).

A second view, when an embedder is given (the knowledge base's multilingual-e5-small): a logistic
regression on the e5 vector of the text's first DENSE_CHARS characters, added as
`dense_weight` · log P(category | vector). Meaning beyond shared characters (楼上漏水 vs 天花板渗水)
lifts level-1 accuracy on the teddy2020 set by about one point; it costs one e5 embedding per
prediction (tens of ms; callers run predict off the event loop). Without an embedder a model with
a dense head predicts from the text features alone.

Training needs scikit-learn; prediction only numpy. A trained model is one `.npz` file of plain
arrays (vocabulary, idf, weights, labels, settings as JSON), loaded with allow_pickle=False.

    clf = TextClassifier.train(load_training_examples(), CategoryCatalog.load())
    clf.predict("楼下烧烤店油烟太大").path   # ('环境保护', '大气污染', '餐饮油烟')
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from tickets.category_catalog import CategoryCatalog
from tickets.text_features import (
    NGRAM_RANGE,
    fit_tfidf,
    full_rank,
    log_softmax,
    normalize,
    tfidf_vector,
    vocabulary_terms,
)

log = logging.getLogger(__name__)

TRAINING_DIR = Path(__file__).resolve().parent / "catalog" / "training"
FORMAT_VERSION = 2  # 2: jieba word features added
DENSE_CHARS = 400  # the e5 view reads the subject and opening of long letters (512-token limit)
Embed = Callable[[Sequence[str]], np.ndarray]  # texts -> one L2-normalised vector per text

CATEGORY_CODE = re.compile(r"^\d{2}(\d{2}){0,2}$")


@dataclass(frozen=True)
class Prediction:
    code: str  # the predicted category code (level 3 unless the model was trained on coarser labels)
    path: tuple[str, ...]  # names from level 1 down to the predicted level
    confidence: float  # the model's probability of `code`, 0..1
    alternatives: list[tuple[str, float]] = field(default_factory=list)  # next best (code, probability)

    @property
    def level1(self) -> str:
        return self.path[0] if self.path else ""


def category_path(catalog: CategoryCatalog, code: str) -> tuple[str, ...]:
    """Names from level 1 down to `code`'s level; KeyError for a code outside the catalog."""
    path = catalog.path_of(code)
    if not path:
        raise KeyError(f"no category {code} in the catalog")
    return path


def load_training_examples(directory: Path = TRAINING_DIR) -> list[tuple[str, str]]:
    """The project's own examples: (text, level-3 code) from every *.yml in `directory`."""
    examples: list[tuple[str, str]] = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("examples") or []:
            examples.append((str(item["text"]), str(item["code"])))
    return examples


def catalog_pseudo_examples(catalog: CategoryCatalog, codes: set[str]) -> list[tuple[str, str]]:
    """For each trained code: its catalog keywords and its names, as short examples."""
    out: list[tuple[str, str]] = []
    for category in catalog:
        target = next((c for c in (category.code, category.code[:4], category.code[:2]) if c in codes), None)
        if target is None:
            continue
        depth = len(target) // 2
        out.extend((k, target) for k in category.keywords)
        if depth == 3:
            out.append((category.path[2], target))
            out.append((" ".join(category.keywords), target))
    return out


class TextClassifier:
    def __init__(
        self,
        labels: list[str],
        paths: list[tuple[str, ...]],
        vocabulary: dict[str, int],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        keywords: dict[str, list[int]] | None = None,
        keyword_weight: float = 0.0,
        level1_coef: np.ndarray | None = None,
        level1_intercept: np.ndarray | None = None,
        level1_weight: float = 0.0,
        dense_coef: np.ndarray | None = None,
        dense_intercept: np.ndarray | None = None,
        dense_weight: float = 0.0,
    ) -> None:
        self.labels = labels
        self.paths = paths
        self.vocabulary = vocabulary
        self.idf = idf.astype(np.float32)
        self.coef = coef.astype(np.float32)  # (n_labels, n_features)
        self.intercept = intercept.astype(np.float32)
        self.keywords = keywords or {}  # keyword -> label indexes
        self.keyword_weight = keyword_weight
        # level-1 model: one row per level-1 code present, in sorted order
        self.level1_codes = sorted({label[:2] for label in labels})
        self._label_level1 = np.array([self.level1_codes.index(label[:2]) for label in labels])
        self.level1_coef = None if level1_coef is None else level1_coef.astype(np.float32)
        self.level1_intercept = None if level1_intercept is None else level1_intercept.astype(np.float32)
        self.level1_weight = level1_weight if level1_coef is not None else 0.0
        self.dense_coef = None if dense_coef is None else dense_coef.astype(np.float32)  # (n_labels, dim)
        self.dense_intercept = None if dense_intercept is None else dense_intercept.astype(np.float32)
        self.dense_weight = dense_weight if dense_coef is not None else 0.0
        self.embed: Embed | None = None

    def use_embedder(self, embed: Embed | None) -> TextClassifier:
        """The embedder of the dense view (the one it was trained with); None: text features only."""
        self.embed = embed
        return self

    @property
    def uses_dense(self) -> bool:
        return bool(self.dense_weight) and self.embed is not None

    # ---- training -------------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        examples: list[tuple[str, str]],
        catalog: CategoryCatalog,
        *,
        C: float = 10.0,
        min_df: int | None = None,
        keyword_weight: float = 1.0,
        level1_weight: float = 1.0,
        use_catalog_keywords: bool = True,
        max_iter: int = 300,
        embed: Embed | None = None,
        dense_weight: float = 1.0,
        dense_C: float = 10.0,
    ) -> TextClassifier:
        """Fit on (text, code) pairs; codes are catalog codes of 2, 4 or 6 digits. `min_df`
        (default: 2 from 500 training texts on, else 1) drops n-grams seen in fewer texts."""
        from sklearn.linear_model import LogisticRegression

        if not examples:
            raise ValueError("no training examples")
        codes = {code for _, code in examples}
        for code in codes:
            if not CATEGORY_CODE.match(code):
                raise ValueError(f"not a category code: {code!r}")
            category_path(catalog, code)  # raises for codes outside the catalog
        if len(codes) < 2:
            raise ValueError("need examples of at least two categories")
        data = list(examples)
        if use_catalog_keywords:
            data += catalog_pseudo_examples(catalog, codes)
        texts = [t for t, _ in data]
        y = [c for _, c in data]

        if min_df is None:
            min_df = 2 if len(texts) >= 500 else 1
        vocabulary, idf, x = fit_tfidf(texts, min_df)
        model = LogisticRegression(C=C, max_iter=max_iter)
        model.fit(x, y)
        level1_coef = level1_intercept = None
        level1_y = [c[:2] for c in y]
        if level1_weight and len(set(level1_y)) > 1 and any(len(c) > 2 for c in y):
            level1_model = LogisticRegression(C=C, max_iter=max_iter).fit(x, level1_y)
            level1_coef, level1_intercept = full_rank(level1_model)

        labels = [str(c) for c in model.classes_]
        index = {c: i for i, c in enumerate(labels)}
        keywords: dict[str, list[int]] = {}
        for category in catalog:
            target = next((c for c in (category.code, category.code[:4], category.code[:2]) if c in index), None)
            if target is not None:
                for k in category.keywords:
                    keywords.setdefault(normalize(k), []).append(index[target])
        coef, intercept = full_rank(model)
        dense_coef = dense_intercept = None
        if embed is not None and dense_weight:
            # the dense view learns from the real examples only (keywords are no sentences)
            vectors = np.asarray(embed([t[:DENSE_CHARS] for t, _ in examples]), dtype=np.float32)
            dense = LogisticRegression(C=dense_C, max_iter=2000).fit(vectors, [c for _, c in examples])
            rows, bias = full_rank(dense)
            order = [list(dense.classes_).index(label) for label in labels]  # same labels as above
            dense_coef, dense_intercept = rows[order], bias[order]
        return cls(
            labels=labels,
            paths=[category_path(catalog, c) for c in labels],
            vocabulary=vocabulary,
            idf=idf,
            coef=coef,
            intercept=intercept,
            keywords=keywords,
            keyword_weight=keyword_weight,
            level1_coef=level1_coef,
            level1_intercept=level1_intercept,
            level1_weight=level1_weight,
            dense_coef=dense_coef,
            dense_intercept=dense_intercept,
            dense_weight=dense_weight if dense_coef is not None else 0.0,
        ).use_embedder(embed)

    # ---- prediction -----------------------------------------------------------------------

    def _features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        return tfidf_vector(text, self.vocabulary, self.idf)

    def scores(self, text: str) -> np.ndarray:
        """Probability of each label (order of `self.labels`)."""
        idx, values = self._features(text)
        logits: np.ndarray = self.intercept + (self.coef[:, idx] @ values if idx.size else 0.0)
        if self.keyword_weight and self.keywords:
            norm = normalize(text)
            for keyword, label_idx in self.keywords.items():
                if keyword in norm:
                    logits[label_idx] += self.keyword_weight
        level1_coef, level1_intercept = self.level1_coef, self.level1_intercept
        if self.level1_weight and level1_coef is not None and level1_intercept is not None:
            logits = log_softmax(logits)
            level1 = level1_intercept + (level1_coef[:, idx] @ values if idx.size else 0.0)
            logits = logits + self.level1_weight * log_softmax(level1)[self._label_level1]
        embed, dense_coef, dense_intercept = self.embed, self.dense_coef, self.dense_intercept
        if self.dense_weight and embed is not None and dense_coef is not None and dense_intercept is not None:
            vector = np.asarray(embed([text[:DENSE_CHARS]]), dtype=np.float32)[0]
            logits = log_softmax(logits) + self.dense_weight * log_softmax(dense_intercept + dense_coef @ vector)
        logits = logits - logits.max()
        p = np.exp(logits)
        return p / p.sum()

    def predict(self, text: str, alternatives: int = 3) -> Prediction:
        p = self.scores(text)
        order = np.argsort(-p)
        best = int(order[0])
        return Prediction(
            code=self.labels[best],
            path=self.paths[best],
            confidence=float(p[best]),
            alternatives=[(self.labels[i], float(p[i])) for i in order[1 : 1 + alternatives]],
        )

    def level1_scores(self, text: str) -> dict[str, float]:
        """Probability of each level-1 name: the sum over its categories."""
        out: dict[str, float] = {}
        for path, prob in zip(self.paths, self.scores(text), strict=True):
            out[path[0]] = out.get(path[0], 0.0) + float(prob)
        return out

    # ---- persistence ----------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write one compressed .npz of plain arrays (no pickled objects)."""
        path = Path(path)
        terms = vocabulary_terms(self.vocabulary)
        meta = {
            "format": FORMAT_VERSION,
            "ngram_range": list(NGRAM_RANGE),
            "labels": self.labels,
            "paths": [list(p) for p in self.paths],
            "keywords": self.keywords,
            "keyword_weight": self.keyword_weight,
            "level1_weight": self.level1_weight,
            "dense_weight": self.dense_weight,
        }
        heads: dict[str, Any] = {}
        if self.level1_weight and self.level1_coef is not None and self.level1_intercept is not None:
            heads = {"level1_coef": self.level1_coef.astype(np.float16), "level1_intercept": self.level1_intercept}
        if self.dense_weight and self.dense_coef is not None and self.dense_intercept is not None:
            heads |= {"dense_coef": self.dense_coef.astype(np.float16), "dense_intercept": self.dense_intercept}
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                meta=np.array(json.dumps(meta, ensure_ascii=False)),
                terms=np.array(terms),
                idf=self.idf.astype(np.float32),
                coef=self.coef.astype(np.float16),
                intercept=self.intercept.astype(np.float32),
                **heads,
            )
        return path

    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT_VERSION or tuple(meta.get("ngram_range", ())) != NGRAM_RANGE:
                raise ValueError(f"{path}: unsupported classifier model format")
            terms = [str(t) for t in data["terms"]]
            return cls(
                labels=list(meta["labels"]),
                paths=[tuple(p) for p in meta["paths"]],
                vocabulary={t: i for i, t in enumerate(terms)},
                idf=data["idf"],
                coef=data["coef"].astype(np.float32),
                intercept=data["intercept"],
                keywords={k: list(v) for k, v in meta["keywords"].items()},
                keyword_weight=float(meta["keyword_weight"]),
                level1_coef=data["level1_coef"].astype(np.float32) if "level1_coef" in data.files else None,
                level1_intercept=data["level1_intercept"] if "level1_intercept" in data.files else None,
                level1_weight=float(meta.get("level1_weight", 0.0)),
                dense_coef=data["dense_coef"].astype(np.float32) if "dense_coef" in data.files else None,
                dense_intercept=data["dense_intercept"] if "dense_intercept" in data.files else None,
                dense_weight=float(meta.get("dense_weight", 0.0)),
            )
