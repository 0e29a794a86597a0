"""Building the gateway's EmergencyDetector: trained at start from `safety/data/` (a second or so),
with the e5 vectors of the training phrasings kept in var/cache/safety (the knowledge base's
VectorCache), so only new or edited phrasings are embedded."""

import functools
import logging
import time

import numpy as np

from core.settings import PROJECT_ROOT
from knowledge_base.embeddings import Embedder, VectorCache
from safety.detector import EmergencyDetector, load_tuning_split

log = logging.getLogger(__name__)
VECTORS_DIR = PROJECT_ROOT / "var" / "cache" / "safety"


def prepare_vectors(embedder: Embedder, examples: list | None = None) -> np.ndarray:
    """The e5 vectors of the training phrasings, embedding only those not yet in var/cache/safety
    and saving the cache (what `hotline train` prepares, without training a detector)."""
    examples = load_tuning_split() if examples is None else examples
    texts = [e.text for e in examples]
    cache = VectorCache(VECTORS_DIR, embedder.model_id)
    matrix, _ = cache.embed(embedder, texts)
    cache.save(keep=texts)
    return matrix


@functools.lru_cache(maxsize=2)
def build_detector(embedder: Embedder | None) -> EmergencyDetector:
    """The detector with the e5 view when an embedder is given, else on text features alone (one
    per process and embedder: it holds no state between calls, every gateway app shares it)."""
    started = time.monotonic()
    examples = load_tuning_split()
    if embedder is None:
        detector = EmergencyDetector.train(examples)
    else:
        vectors = dict(zip((e.text for e in examples), prepare_vectors(embedder, examples), strict=True))
        detector = EmergencyDetector.train(
            examples, embed=embedder.passages, train_embed=lambda texts: np.stack([vectors[t] for t in texts])
        )
    detector.warm_up()
    log.info(
        "emergency detector trained on %d phrasings in %.1f s (%s)",
        len(examples),
        time.monotonic() - started,
        "text + e5" if embedder is not None else "text only",
    )
    return detector
