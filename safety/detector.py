"""EmergencyDetector: is this message an emergency happening now, and which services are needed?

One logistic regression over four views of the normalised text (NFKC, lower case, no white
space: speech transcripts come with a space between words):
- TF-IDF of character 1–3-grams (typos, dialect, ASR errors) and of jieba words;
- the knowledge base's multilingual-e5-small passage vector (meaning beyond shared characters:
  上个月着过火 vs 着火了), when an embedder is given;
- cue rules (`safety.cues`): a present-tense cue, a not-now phrase (past, prevention, purchase).
Trained on the project's own phrasings (`safety/data/emergency_tune*.yml`: panicked, indirect,
spoken, and hard negatives that mention fire or police but are not happening now), plus one
regression per service over the emergencies.

A text-only screen comes first when the e5 view is on: a message the same regression without the
e5 view scores below SCREEN_THRESHOLD is answered "not an emergency" without embedding it (most
everyday messages: about 3 in 4 of the everyday consultations; the e5 embedding was 40 % of the
gateway's CPU per turn). The lowest text-only score of an emergency the full detector catches, out
of fold on the tuning split, is 0.062; the screen sits 6 times lower and loses none of them there.

Tuned for recall: a false alarm costs the citizen one sentence, a miss can cost a life. The
settings and thresholds were chosen on the tuning split's 5-fold out-of-fold scores
(`bench/emergency_eval.py --tune`); the held-out split (`safety/data/emergency_heldout.yml`) is
never used for choosing anything.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import numpy as np
import yaml
from scipy.sparse import csr_matrix, hstack

from core.one_text import TfidfRows, logistic_proba
from safety.cues import SERVICES, cues_in, not_now

DATA_DIR = Path(__file__).resolve().parent / "data"
TUNE_FILES = "emergency_tune*.yml"
HELDOUT_DATA = DATA_DIR / "emergency_heldout.yml"

# Chosen on the tuning split (out of fold): see the module docstring.
C = 30.0
E5_WEIGHT = 2.0
RULE_WEIGHT = 3.0
THRESHOLD_DENSE = 0.28  # with the e5 view: out of fold recall 98.5-98.9 %, false alarms 4.4-5.2 %
THRESHOLD_TEXT = 0.30  # text only: out of fold recall 98.8 %, false alarms 6.8 % (recall first)
SERVICE_THRESHOLD = 0.4
SCREEN_THRESHOLD = 0.01  # text-only P(emergency) under which e5 is skipped (see the module docstring)

Embed = Callable[[Sequence[str]], np.ndarray]
jieba.setLogLevel(logging.WARNING)

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or "").lower())


@dataclass(frozen=True)
class Example:
    text: str
    services: tuple[str, ...]  # empty: not an emergency


def tune_files() -> list[Path]:
    return sorted(DATA_DIR.glob(TUNE_FILES))


def load_tuning_split() -> list[Example]:
    return [e for path in tune_files() for e in load_examples(path)]


def load_examples(path: Path) -> list[Example]:
    """Examples from a YAML file whose keys are labels: a service, services joined by '+', or none."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: list[Example] = []
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
    score: float = 0.0  # P(emergency): the full detector's, or the text-only screen's when that decided
    by: str = ""  # classifier | cue | classifier+cue | dialogue
    cues: tuple[str, ...] = ()  # cue phrases found (fixed vocabulary, never personal data)

    def reason(self) -> str:
        """One English line for logs and agents: what decided, with which score and cues."""
        parts = [f"by {self.by or 'classifier'}", f"p={self.score:.2f}"]
        if self.cues:
            parts.append("cues " + ",".join(self.cues))
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "services": list(self.services),
            "score": round(self.score, 3),
            "by": self.by,
            "cues": list(self.cues),
            "reason": self.reason(),
        }


NOT_EMERGENCY = EmergencyDecision(False)


def _words(text: str) -> list[str]:
    return jieba.lcut(text)


def rule_features(norm: str) -> list[float]:
    cue, past = bool(cues_in(norm)), bool(not_now(norm))
    return [float(cue), float(past), float(cue and not past)]


class EmergencyDetector:
    def __init__(
        self,
        chars: Any,
        words: Any,
        model: Any,
        service_models: dict[str, Any],
        embed: Embed | None,
        threshold: float,
        screen: Any = None,
    ) -> None:
        self._char_rows, self._word_rows = TfidfRows(chars), TfidfRows(words)  # scikit-learn's numbers, faster
        self.model = model
        self.service_models = service_models
        self.embed = embed
        self.threshold = threshold
        self.screen = screen  # the text-only regression in front of the e5 view (None: none)

    @classmethod
    def train(
        cls,
        examples: Iterable[Example],
        embed: Embed | None = None,
        threshold: float | None = None,
        train_embed: Embed | None = None,
    ) -> EmergencyDetector:
        """`embed` embeds texts at prediction time; `train_embed` (e.g. through a vector cache)
        the training texts, defaulting to `embed`."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        examples = list(examples)
        norms = [normalise(e.text) for e in examples]
        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit(norms)
        words = TfidfVectorizer(analyzer=_words, sublinear_tf=True).fit(norms)
        if threshold is None:
            threshold = THRESHOLD_DENSE if embed is not None else THRESHOLD_TEXT
        detector = cls(chars, words, None, {}, embed, threshold)
        vectors = (train_embed or embed)([e.text for e in examples]) if embed is not None else None
        views = detector._views(norms)
        x = _join(views, vectors)
        y = np.array([bool(e.services) for e in examples])
        detector.model = LogisticRegression(C=C, max_iter=3000).fit(x, y)
        if embed is not None:
            detector.screen = LogisticRegression(C=C, max_iter=3000).fit(_join(views, None), y)
        rows = np.flatnonzero(y)
        for service in SERVICES:
            target = np.array([service in examples[i].services for i in rows])
            if target.any() and not target.all():
                detector.service_models[service] = LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(
                    x[rows], target
                )
        return detector

    def _views(self, norms: list[str]) -> tuple[Any, Any, Any]:
        """The two text views and the cue rules of normalised texts (the screen's features, and the
        full detector's without the e5 view): computed once per message."""
        rules = csr_matrix(np.array([rule_features(n) for n in norms]) * RULE_WEIGHT)
        return self._char_rows(norms), self._word_rows(norms), rules

    def _vectors(self, texts: list[str]) -> np.ndarray | None:
        return self.embed(texts) if self.embed is not None else None

    def _x(self, texts: list[str]) -> Any:
        return _join(self._views([normalise(t) for t in texts]), self._vectors(texts))

    def probability(self, texts: list[str]) -> np.ndarray:
        """P(emergency) of each text by the full detector, without the screen (for tuning)."""
        return _positive(self.model, self._x(texts))

    def warm_up(self) -> None:
        self("你好")

    def __call__(self, text: str) -> EmergencyDecision:
        if not text or text.startswith("/"):  # empty, or a button payload / router command
            return NOT_EMERGENCY
        views = self._views([normalise(text)])
        if self.screen is not None:
            screened = float(_positive(self.screen, _join(views, None))[0])
            if screened < SCREEN_THRESHOLD:
                return EmergencyDecision(False, score=screened)
        x = _join(views, self._vectors([text]))
        p = float(_positive(self.model, x)[0])
        if p < self.threshold:
            return EmergencyDecision(False, score=p)
        cues = present_cues(text)
        services = self._services(x, cues)
        words = tuple(w for s in services for w in cues.get(s, ()))
        return EmergencyDecision(True, services, p, "classifier+cue" if cues else "classifier", words)

    def _services(self, x: Any, cues: dict[str, list[str]]) -> tuple[str, ...]:
        """Every service likely enough (a present-tense cue counts as 0.5), most likely first."""
        scores = {s: float(_positive(m, x)[0]) for s, m in self.service_models.items()}
        for service in cues:
            scores[service] = max(scores.get(service, 0.0), 0.5)
        chosen = [s for s, v in scores.items() if v >= SERVICE_THRESHOLD] or [max(scores, key=lambda s: scores[s])]
        return tuple(sorted(chosen, key=lambda s: -scores[s]))

    def services_for(self, text: str) -> tuple[str, ...]:
        """The services a text most likely needs, even when it is not judged an emergency (used
        when the dialogue engine recognised one the net did not)."""
        return self._services(self._x([text]), present_cues(text))


def present_cues(text: str) -> dict[str, list[str]]:
    """Cue phrases by service, unless the text says it is not happening now."""
    norm = normalise(text)
    return {} if not_now(norm) else cues_in(norm)


def _join(views: tuple[Any, Any, Any], vectors: np.ndarray | None) -> Any:
    """The feature matrix, stacked once: text views, the e5 view when `vectors` are given, cue rules."""
    chars, words, rules = views
    e5 = [] if vectors is None else [csr_matrix(np.asarray(vectors, dtype=np.float64) * E5_WEIGHT)]
    return hstack([chars, words, *e5, rules], format="csr")


def _positive(model: Any, x: Any) -> np.ndarray:
    return logistic_proba(model, x)[:, list(model.classes_).index(True)]
