"""What `hotline train` and `hotline up` build before any process starts: the Rasa model and the
gateways' caches, each only when its inputs changed, the two in parallel.

A first start trains Rasa (a subprocess, minutes) while this process trains the category
classifier and the request-type model and embeds the emergency phrasings and the knowledge base
(e5). On a small machine both would want every core. Rasa keeps TensorFlow's default threads, and
the e5 embedder asks before each batch how many cores other processes leave idle
(knowledge_base/threads.py): one thread while Rasa trains (OpenMP threads wait for their slowest
sibling, and a core shared with TensorFlow makes every batch as slow as that core), every core as
soon as the training is over."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings
from knowledge_base.wiring import prepare_cache as prepare_kb_cache
from runtime.progress import Progress
from runtime.training import ensure_model
from safety.training import prepare_vectors as prepare_emergency_vectors
from tickets.category_catalog import CategoryCatalog
from tickets.classifier_cache import dense_embedder, load_or_train, load_or_train_request_types

log = logging.getLogger(__name__)


def prepare_gateway_caches(settings: Settings, progress: Progress | None = None) -> None:
    """What the gateways load instead of building, each only when its inputs changed: the category
    classifier, the request-type model, the e5 vectors of the emergency phrasings and the knowledge
    base's passage vectors (also the gateway image's build step, deploy/gateway/prepare_caches.py)."""
    progress = progress or Progress()
    with progress.stage("classifier"):
        embedder = dense_embedder(settings)
        load_or_train(CategoryCatalog.load(), embedder)
    with progress.stage("request types"):
        load_or_train_request_types()
    with progress.stage("emergency phrasings"):
        if embedder is not None:  # text-only detectors need no vectors
            prepare_emergency_vectors(embedder)
    with progress.stage("knowledge base vectors"):
        prepare_kb_cache(settings)


def prepare_models(settings: Settings, progress: Progress | None = None) -> Path:
    """The Rasa model (returned) and the gateways' caches, built at the same time. If one part
    fails, the other is stopped (a Rasa training is cancelled) and the error raised."""
    progress = progress or Progress()
    cancel = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rasa-model") as pool:
        rasa = pool.submit(_rasa_model, progress, cancel, settings.var_dir / "log" / "rasa-train.log")
        try:
            prepare_gateway_caches(settings, progress)
        except BaseException:
            cancel.set()  # the pool's exit waits for the training to stop (≤ 0.5 s + its exit)
            raise
        return rasa.result()


def _rasa_model(progress: Progress, cancel: threading.Event, log_path: Path) -> Path:
    """Rasa's own output (TensorFlow, epoch bars) goes to log_path: the terminal keeps the stages."""
    with progress.stage("rasa model", doing=None):  # ensure_model tells what it is doing
        return ensure_model(
            PROJECT_ROOT, cancel=cancel, log_path=log_path, on_status=lambda text: progress.say("rasa model", text)
        )
