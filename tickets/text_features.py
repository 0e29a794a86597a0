"""What the gateway's text models see of a citizen's text, shared by the category classifier
(tickets/classifier.py) and the request-type model (tickets/request_type.py): a normalised text,
its character 1–3-grams and its jieba words of two or more characters, weighted by TF-IDF
(sublinear tf, l2-normalised). Fitting needs scikit-learn; a fitted vocabulary turns a text into a
sparse vector with numpy alone. Also the two small helpers both models' logistic regressions need."""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

NGRAM_RANGE = (1, 3)
WORD_PREFIX = "w:"  # word features, kept apart from the character n-grams

_LATIN = re.compile(r"[a-z]+")
_DIGITS = re.compile(r"[0-9]+")
_SPACE = re.compile(r"[\s\u3000]+")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, every run of digits as 0 and of latin letters
    as a, collapsed white space. Anonymised or real place codes ("A3区", "12号楼") then look alike."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _DIGITS.sub("0", text)
    text = _LATIN.sub("a", text)
    return _SPACE.sub(" ", text).strip()


def char_ngrams(text: str, ngram_range: tuple[int, int] = NGRAM_RANGE) -> list[str]:
    """Character n-grams of the normalised text (spaces break n-grams)."""
    grams: list[str] = []
    lo, hi = ngram_range
    for chunk in normalize(text).split(" "):
        n_chars = len(chunk)
        for n in range(lo, hi + 1):
            grams.extend(chunk[i : i + n] for i in range(n_chars - n + 1))
    return grams


@functools.cache
def _segmenter():
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def text_features(text: str) -> list[str]:
    """What a model sees of a text: its character n-grams and its words (WORD_PREFIX + word)."""
    words = _segmenter().lcut(normalize(text))
    return char_ngrams(text) + [WORD_PREFIX + w for w in words if len(w) > 1 and not w.isspace()]


def fit_tfidf(texts: Sequence[str], min_df: int = 1):
    """Fit the TF-IDF weighting on `texts`: (vocabulary term -> column, idf per column, the
    l2-normalised document-term matrix of `texts`)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=text_features, sublinear_tf=True, min_df=min_df, dtype=np.float32)
    x = vectorizer.fit_transform(texts)
    vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
    return vocabulary, vectorizer.idf_.astype(np.float32), x


def tfidf_vector(text: str, vocabulary: dict[str, int], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The text's sparse TF-IDF vector as (column indexes, values), like the fitted vectorizer's row."""
    counts = Counter(g for g in text_features(text) if g in vocabulary)
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    idx = np.fromiter((vocabulary[g] for g in counts), dtype=np.int64, count=len(counts))
    tf = np.fromiter((1.0 + math.log(n) for n in counts.values()), dtype=np.float32, count=len(counts))
    values = tf * idf[idx]
    values /= np.linalg.norm(values)
    return idx, values


def vocabulary_terms(vocabulary: dict[str, int]) -> list[str]:
    """The terms in column order (how a vocabulary is stored in a model file)."""
    terms = [""] * len(vocabulary)
    for term, i in vocabulary.items():
        terms[i] = term
    return terms


def full_rank(model) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) with one row per class (sklearn keeps one row for two classes)."""
    if model.coef_.shape[0] == len(model.classes_):
        return model.coef_, model.intercept_
    return np.vstack([-model.coef_[0], model.coef_[0]]) / 2, np.array([-model.intercept_[0], model.intercept_[0]]) / 2


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    return z - np.log(np.exp(z).sum())
