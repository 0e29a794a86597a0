"""Fitted scikit-learn text models applied to a citizen's message as it arrives, without
scikit-learn's per-call input checks (issue 17).

The emergency net and the distress detector score every message with TF-IDF features and logistic
regressions. For one short text, scikit-learn spends most of each call checking its input
(array and dataframe checks, feature names, parameter validation): about 0.7 ms per TF-IDF view
and 0.3 ms per model, 4 ms of gateway CPU on every turn. The arithmetic itself is a dictionary
lookup per n-gram and a sparse dot product.

`TfidfRows` and `logistic_proba` do that arithmetic from the fitted attributes of the same
objects (vocabulary, idf, coefficients), so the models are still fitted, stored and tuned by
scikit-learn; tests/unit/test_one_text.py checks that they give scikit-learn's own numbers.
"""

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.special import expit, softmax


class TfidfRows:
    """`vectorizer.transform(texts)` of a fitted TfidfVectorizer (any analyzer, sublinear tf, idf,
    l1/l2/no norm, binary), as a CSR matrix of float64."""

    def __init__(self, vectorizer: Any) -> None:
        self._analyze = vectorizer.build_analyzer()
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float64) if vectorizer.use_idf else None
        self._sublinear = bool(vectorizer.sublinear_tf)
        self._binary = bool(vectorizer.binary)
        self._norm = vectorizer.norm
        self.n_features = len(self._vocabulary)

    def _row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        vocabulary = self._vocabulary
        counts = Counter(i for term in self._analyze(text) if (i := vocabulary.get(term)) is not None)
        indices = np.fromiter(sorted(counts), dtype=np.int32, count=len(counts))
        values = np.fromiter((counts[i] for i in indices), dtype=np.float64, count=len(counts))
        if self._binary:
            values[:] = 1.0
        if self._sublinear:
            values = np.log(values) + 1.0
        if self._idf is not None:
            values = values * self._idf[indices]
        if self._norm == "l2":
            length = np.sqrt(np.dot(values, values))
        elif self._norm == "l1":
            length = np.abs(values).sum()
        else:
            length = 0.0
        if length > 0:
            values = values / length
        return indices, values

    def __call__(self, texts: Sequence[str]) -> csr_matrix:
        rows = [self._row(text) for text in texts]
        indptr = np.zeros(len(rows) + 1, dtype=np.int32)
        indptr[1:] = np.cumsum([len(indices) for indices, _ in rows])
        indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, dtype=np.int32)
        values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0, dtype=np.float64)
        return csr_matrix((values, indices, indptr), shape=(len(rows), self.n_features))


def logistic_proba(model: Any, x: Any) -> np.ndarray:
    """`model.predict_proba(x)` of a fitted LogisticRegression (binary: the logistic of the
    decision; more classes: its softmax), columns in `model.classes_` order."""
    scores = np.asarray(x @ model.coef_.T) + model.intercept_
    if scores.shape[1] == 1:
        positive = expit(scores[:, 0])
        return np.column_stack([1.0 - positive, positive])
    return softmax(scores, axis=1)
