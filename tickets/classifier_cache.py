"""The gateway's trained text models, each cached by the hash of what it is trained on
(models/<name>-<hash>.npz, like the Rasa model): trained once — by `hotline train` or the first
start after an edit — and loaded on every start. The category classifier
(models/classifier-<hash>.npz) keeps the e5 vectors of its training examples in var/cache/classify
(the knowledge base's VectorCache), so a retrain after a data edit only embeds the new or changed
examples; the request-type model (models/request-type-<hash>.npz) trains in seconds."""

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol, TypeVar

from core.settings import PROJECT_ROOT, Settings
from knowledge_base.embeddings import Embedder, VectorCache
from tickets import request_type
from tickets.category_catalog import CATALOG_FILE, CategoryCatalog
from tickets.classifier import TRAINING_DIR, TextClassifier, load_training_examples
from tickets.request_type import RequestTypeModel

log = logging.getLogger(__name__)
MODELS_DIR = PROJECT_ROOT / "models"
VECTORS_DIR = PROJECT_ROOT / "var" / "cache" / "classify"
KEEP = 3  # trained models of each name kept in models/
HASH_CHARS = 16


class Saveable(Protocol):
    def save(self, path: Path) -> Path: ...


M = TypeVar("M", bound=Saveable)


def content_hash(salt: bytes, files: Iterable[Path]) -> str:
    """A hash of `salt` and the names and contents of `files`."""
    digest = hashlib.sha256(salt)
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:HASH_CHARS]


def model_file(name: str, digest: str, models_dir: Path = MODELS_DIR) -> Path:
    return models_dir / f"{name}-{digest}.npz"


def load_or_build(
    name: str, digest: str, load: Callable[[Path], M], build: Callable[[], M], models_dir: Path = MODELS_DIR
) -> M:
    """models/<name>-<digest>.npz loaded if present, else built, saved there, and all but the KEEP
    newest models of that name (other digests) removed."""
    path = model_file(name, digest, models_dir)
    if path.exists():
        return load(path)
    started = time.monotonic()
    model = build()
    models_dir.mkdir(parents=True, exist_ok=True)
    model.save(path)
    log.info("%s trained in %.1f s: %s", name, time.monotonic() - started, path)
    pattern = f"{name}-{'?' * HASH_CHARS}.npz"  # never a hand-named file such as classifier-site.npz
    older = sorted(models_dir.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in older[KEEP:]:
        if old != path:
            old.unlink()
    return model


def dense_embedder(settings: Settings) -> Embedder | None:
    """The knowledge base's e5 model for the classifier's dense view (None with HOTLINE_KB_DENSE off:
    then the classifier is trained and used on text features alone)."""
    if not settings.kb_dense:
        return None
    from knowledge_base.embeddings import E5Embedder

    return E5Embedder.shared(settings.kb_embed_threads)


def train(
    examples: list[tuple[str, str]],
    catalog: CategoryCatalog,
    embedder: Embedder | None,
    vectors_dir: Path = VECTORS_DIR,
) -> TextClassifier:
    """Train with the dense view when an embedder is given, its vectors read from and added to the
    cache in `vectors_dir`; the classifier then embeds new texts with `embedder.passages`."""
    if embedder is None:
        return TextClassifier.train(examples, catalog)
    cache = VectorCache(vectors_dir, embedder.model_id)
    classifier = TextClassifier.train(examples, catalog, embed=lambda texts: cache.embed(embedder, texts)[0])
    cache.save()
    return classifier.use_embedder(embedder.passages)


CODE = Path(__file__).parent
FEATURES_CODE = CODE / "text_features.py"


def training_hash(dense: bool = False) -> str:
    inputs = [CATALOG_FILE, *sorted(TRAINING_DIR.glob("*.yml")), CODE / "classifier.py", FEATURES_CODE]
    return content_hash(b"dense" if dense else b"text", inputs)


def load_or_train(
    catalog: CategoryCatalog, embedder: Embedder | None = None, models_dir: Path = MODELS_DIR
) -> TextClassifier:
    classifier = load_or_build(
        "classifier",
        training_hash(embedder is not None),
        TextClassifier.load,
        lambda: train(load_training_examples(), catalog, embedder),
        models_dir,
    )
    return classifier.use_embedder(embedder.passages if embedder else None)


def request_type_hash() -> str:
    inputs = [*sorted(request_type.TRAINING_DIR.glob("*.yml")), CODE / "request_type.py", FEATURES_CODE]
    return content_hash(b"request-type", inputs)


def load_or_train_request_types(models_dir: Path = MODELS_DIR) -> RequestTypeModel:
    return load_or_build(
        "request-type",
        request_type_hash(),
        RequestTypeModel.load,
        lambda: RequestTypeModel.train(request_type.load_examples()),
        models_dir,
    )


def text_models_built(dense: bool, models_dir: Path = MODELS_DIR) -> bool:
    """Whether the classifier (with or without its dense view) and the request-type model of the
    current inputs are already in models/, so that preparing them only loads them."""
    return (
        model_file("classifier", training_hash(dense), models_dir).exists()
        and model_file("request-type", request_type_hash(), models_dir).exists()
    )
