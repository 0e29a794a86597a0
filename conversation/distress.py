"""Anger and distress in a citizen's message: rules for the unmistakable phrases plus a small
classifier trained on the project's own examples (conversation/data/distress_examples.yml). A
detected signal makes the router hand the conversation to a person."""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from core.one_text import TfidfRows, logistic_proba

EXAMPLES = Path(__file__).resolve().parent / "data" / "distress_examples.yml"
LABELS = ("anger", "distress")

# Phrases that are enough on their own.
RULES: dict[str, re.Pattern[str]] = {
    "distress": re.compile(
        r"不想活|活不下去|想死|自杀|轻生|跳楼|跳河|一了百了|走投无路|撑不住了|崩溃了|绝望|救救我|没法活"
    ),
    "anger": re.compile(
        r"气死|太气人|忍无可忍|受够了|破(机器人|服务|热线)|听不懂人话|干什么吃的|糊弄|踢皮球|打官腔|"
        r"(他|她|你)妈的|操你|滚|废物|[！!]{3,}"
    ),
}


@dataclass(frozen=True)
class MoodSignal:
    label: str  # anger | distress
    score: float
    by: str  # rule | classifier


class DistressDetector:
    def __init__(self, threshold: float = 0.6, examples: Path = EXAMPLES) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        data = yaml.safe_load(examples.read_text(encoding="utf-8"))
        texts = [t for label in data for t in data[label]]
        y = [label for label in data for _ in data[label]]
        self.threshold = threshold
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self._model = LogisticRegression(C=10.0, max_iter=1000).fit(vectorizer.fit_transform(texts), y)
        self._rows = TfidfRows(vectorizer)  # scikit-learn's numbers without its per-call checks
        self._classes = list(self._model.classes_)

    def scores(self, text: str) -> dict[str, float]:
        probs = logistic_proba(self._model, self._rows([text]))[0]
        return {label: float(p) for label, p in zip(self._classes, probs, strict=True)}

    def __call__(self, text: str) -> MoodSignal | None:
        """The strongest signal in a text, or None for a calm message (commands are never signals)."""
        if not text or text.startswith("/"):
            return None
        for label in ("distress", "anger"):
            if RULES[label].search(text):
                return MoodSignal(label, 1.0, "rule")
        scores = self.scores(text)
        label = max(LABELS, key=lambda name: scores.get(name, 0.0))
        score = scores.get(label, 0.0)
        return MoodSignal(label, round(score, 3), "classifier") if score >= self.threshold else None


def calm_share(detector: DistressDetector, texts: list[str]) -> float:
    """Share of texts with no signal (for tests and tuning on held-out calm messages)."""
    return float(np.mean([detector(t) is None for t in texts])) if texts else 1.0
