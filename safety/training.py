"""Building the gateway's EmergencyDetector: trained at start from `safety/data/` (a second or so),
with the e5 vectors of the training phrasings kept in var/cache/safety (the knowledge base's
VectorCache), so only new or edited phrasings are embedded."""

import functools
import logging
import time

from core.settings import PROJECT_ROOT
from knowledge_base.embeddings import Embedder, VectorCache
from safety.detector import EmergencyDetector, load_tuning_split

log = logging.getLogger(__name__)
VECTORS_DIR = PROJECT_ROOT / "var" / "cache" / "safety"


@functools.lru_cache(maxsize=2)
def build_detector(embedder: Embedder | None) -> EmergencyDetector:
    """The detector with the e5 view when an embedder is given, else on text features alone (one
    per process and embedder: it holds no state between calls, every gateway app shares it)."""
    started = time.monotonic()
    examples = load_tuning_split()
    if embedder is None:
        detector = EmergencyDetector.train(examples)
    else:
        cache = VectorCache(VECTORS_DIR, embedder.model_id)
        detector = EmergencyDetector.train(
            examples, embed=embedder.passages, train_embed=lambda texts: cache.embed(embedder, texts)[0]
        )
        cache.save(keep=[e.text for e in examples])
    detector.warm_up()
    log.info(
        "emergency detector trained on %d phrasings in %.1f s (%s)",
        len(examples),
        time.monotonic() - started,
        "text + e5" if embedder is not None else "text only",
    )
    return detector
