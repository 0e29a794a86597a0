"""The trained category classifier, cached by the hash of what it is trained on
(models/classifier-<hash>.npz, like the Rasa model): trained once, loaded on every start. The e5
vectors of the training examples are kept in var/cache/classify (the knowledge base's
VectorCache), so a retrain after a data edit only embeds the new or changed examples."""

import hashlib
import logging
import time
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings
from knowledge_base.embeddings import Embedder, VectorCache
from tickets.category_catalog import CATALOG_FILE, CategoryCatalog
from tickets.classifier import TRAINING_DIR, TextClassifier, load_training_examples

log = logging.getLogger(__name__)
MODELS_DIR = PROJECT_ROOT / "models"
VECTORS_DIR = PROJECT_ROOT / "var" / "cache" / "classify"
KEEP = 3  # trained classifiers kept in models/


def dense_embedder(settings: Settings) -> Embedder | None:
    """The knowledge base's e5 model for the classifier's dense view (None with HOTLINE_KB_DENSE off:
    then the classifier is trained and used on text features alone)."""
    if not settings.kb_dense:
        return None
    from knowledge_base.embeddings import E5Embedder  # noqa: PLC0415  (loads the 70 MB model)

    return E5Embedder.shared(settings.kb_embed_threads)


def train(examples: list[tuple[str, str]], catalog: CategoryCatalog, embedder: Embedder | None,
          vectors_dir: Path = VECTORS_DIR) -> TextClassifier:  # fmt: skip
    """Train with the dense view when an embedder is given, its vectors read from and added to the
    cache in `vectors_dir`; the classifier then embeds new texts with `embedder.passages`."""
    if embedder is None:
        return TextClassifier.train(examples, catalog)
    cache = VectorCache(vectors_dir, embedder.model_id)
    classifier = TextClassifier.train(examples, catalog, embed=lambda texts: cache.embed(embedder, texts)[0])
    cache.save()
    return classifier.use_embedder(embedder.passages)


def training_hash(dense: bool = False) -> str:
    digest = hashlib.sha256(b"dense" if dense else b"text")
    digest.update(CATALOG_FILE.read_bytes())
    for path in sorted(TRAINING_DIR.glob("*.yml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update((Path(__file__).parent / "classifier.py").read_bytes())
    return digest.hexdigest()[:16]


def load_or_train(catalog: CategoryCatalog, embedder: Embedder | None = None,
                  models_dir: Path = MODELS_DIR) -> TextClassifier:  # fmt: skip
    path = models_dir / f"classifier-{training_hash(embedder is not None)}.npz"
    if path.exists():
        return TextClassifier.load(path).use_embedder(embedder.passages if embedder else None)
    started = time.monotonic()
    classifier = train(load_training_examples(), catalog, embedder)
    models_dir.mkdir(parents=True, exist_ok=True)
    classifier.save(path)
    log.info("category classifier trained in %.1f s: %s", time.monotonic() - started, path)
    older = sorted(models_dir.glob("classifier-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in older[KEEP:]:
        if old != path:
            old.unlink()
    return classifier
