"""EmergencyDetector: is this message an emergency happening now, and which services are needed?

Two views of the normalised text (NFKC, lower case, no white space: speech transcripts come with
a space between words):
- a text classifier: TF-IDF of character 1–3-grams and a logistic regression, emergency vs not,
  trained on the project's own phrasings (`safety/data/emergency_tune.yml`: panicked, indirect,
  spoken, and hard negatives that mention fire or police but are not happening now), plus one
  logistic regression per service trained on the emergencies;
- cue rules (`safety.cues`): a present-tense cue without a not-now phrase lowers the bar.

Tuned for recall: a false alarm costs the citizen one sentence, a miss can cost a life. The two
thresholds were chosen on the tuning split's out-of-fold scores (`bench/emergency_eval.py --tune`);
the held-out split (`safety/data/emergency_heldout.yml`) is never used for choosing anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from safety.cues import SERVICES, cues_in, not_now

DATA_DIR = Path(__file__).resolve().parent / "data"
TUNE_DATA = DATA_DIR / "emergency_tune.yml"
HELDOUT_DATA = DATA_DIR / "emergency_heldout.yml"

# Chosen on the tuning split (out-of-fold): see the module docstring.
THRESHOLD = 0.35
CUE_THRESHOLD = 0.08
SERVICE_THRESHOLD = 0.4

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or "").lower())


@dataclass(frozen=True)
class Example:
    text: str
    services: tuple[str, ...]  # empty: not an emergency


def load_examples(path: Path) -> list[Example]:
    """Examples from a YAML file whose keys are labels: a service, services joined by '+', or none."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples = []
    for label, texts in data.items():
        services = () if label == "none" else tuple(label.split("+"))
        unknown = set(services) - set(SERVICES)
        if unknown:
            raise ValueError(f"{path.name}: unknown service label {label!r}")
        examples.extend(Example(str(t), services) for t in texts or ())
    return examples


@dataclass(frozen=True)
class EmergencyDecision:
    emergency: bool
    services: tuple[str, ...] = ()  # most likely first
    score: float = 0.0  # the classifier's probability of an emergency
    by: str = ""  # classifier | cue | classifier+cue | dialogue
    cues: tuple[str, ...] = ()  # cue phrases found (fixed vocabulary, never personal data)
    service_scores: dict[str, float] = field(default_factory=dict)

    def reason(self) -> str:
        """One English line for logs and agents: what decided, with which score and cues."""
        parts = [f"by {self.by or 'classifier'}", f"p={self.score:.2f}"]
        if self.cues:
            parts.append("cues " + ",".join(self.cues))
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"services": list(self.services), "score": round(self.score, 3), "by": self.by,
                "cues": list(self.cues), "reason": self.reason()}  # fmt: skip


NOT_EMERGENCY = EmergencyDecision(False)


class EmergencyDetector:
    def __init__(self, vectorizer: Any, model: Any, service_models: dict[str, Any], threshold: float = THRESHOLD,
                 cue_threshold: float = CUE_THRESHOLD) -> None:  # fmt: skip
        self.vectorizer = vectorizer
        self.model = model
        self.service_models = service_models
        self.threshold = threshold
        self.cue_threshold = cue_threshold

    @classmethod
    def train(cls, examples: Iterable[Example], threshold: float = THRESHOLD,
              cue_threshold: float = CUE_THRESHOLD) -> EmergencyDetector:  # fmt: skip
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        examples = list(examples)
        texts = [normalise(e.text) for e in examples]
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        x = vectorizer.fit_transform(texts)
        y = np.array([bool(e.services) for e in examples])
        model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(x, y)
        rows = np.flatnonzero(y)
        service_models = {}
        for service in SERVICES:
            target = np.array([service in examples[i].services for i in rows])
            if target.any() and not target.all():
                service_models[service] = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(
                    x[rows], target
                )
        return cls(vectorizer, model, service_models, threshold, cue_threshold)

    @classmethod
    def from_data(cls, path: Path = TUNE_DATA) -> EmergencyDetector:
        return cls.train(load_examples(path))

    def probability(self, texts: list[str]) -> np.ndarray:
        """P(emergency) of each text (for tuning and evaluation)."""
        x = self.vectorizer.transform([normalise(t) for t in texts])
        return self.model.predict_proba(x)[:, list(self.model.classes_).index(True)]

    def __call__(self, text: str) -> EmergencyDecision:
        if not text or text.startswith("/"):  # empty, or a button payload / router command
            return NOT_EMERGENCY
        norm = normalise(text)
        x = self.vectorizer.transform([norm])
        p = float(self.model.predict_proba(x)[0, list(self.model.classes_).index(True)])
        cues = cues_in(norm)
        cue_says = bool(cues) and not not_now(norm)
        by_model, by_cue = p >= self.threshold, cue_says and p >= self.cue_threshold
        if not (by_model or by_cue):
            return EmergencyDecision(False, score=p)
        scores = {s: float(m.predict_proba(x)[0, list(m.classes_).index(True)]) for s, m in self.service_models.items()}
        for service in cues:
            scores[service] = max(scores.get(service, 0.0), 0.5)
        chosen = [s for s, v in scores.items() if v >= SERVICE_THRESHOLD] or [max(scores, key=scores.get)]
        chosen.sort(key=lambda s: -scores[s])
        by = "classifier+cue" if by_model and by_cue else ("classifier" if by_model else "cue")
        words = tuple(w for s in chosen for w in cues.get(s, ()))
        return EmergencyDecision(True, tuple(chosen), p, by, words, {s: round(v, 3) for s, v in scores.items()})

    def services_for(self, text: str) -> tuple[str, ...]:
        """The services a text most likely needs, even when it is not judged an emergency (used
        when the dialogue engine recognised one the net did not)."""
        decision = self(text)
        if decision.emergency:
            return decision.services
        norm = normalise(text)
        x = self.vectorizer.transform([norm])
        scores = {s: float(m.predict_proba(x)[0, list(m.classes_).index(True)]) for s, m in self.service_models.items()}
        for service in cues_in(norm):
            scores[service] = max(scores.get(service, 0.0), 0.5)
        return tuple(s for s, v in sorted(scores.items(), key=lambda kv: -kv[1]) if v >= SERVICE_THRESHOLD) or SERVICES
