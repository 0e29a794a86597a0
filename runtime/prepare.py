"""What `hotline train` and `hotline up` build before any process starts: the Rasa model and the
gateways' caches, each only when its inputs changed, all at the same time.

A first start trains Rasa (a subprocess, minutes) while the gateway's caches are built in two
streams: a child process trains the category classifier and the request-type model, and this
process embeds the emergency phrasings and the knowledge base (e5). Rasa keeps TensorFlow's
default threads; its training keeps about 0.7 of a core busy, so two single-threaded e5 streams
use the rest of the machine. Each e5 embedder asks before every batch how many cores other
processes leave idle (knowledge_base/threads.py): one thread while anything else runs (OpenMP
threads wait for their slowest sibling, and a shared core makes every batch as slow as that
core), every core for whichever stream is left last."""

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from pathlib import Path

from core.pii import configure_logging
from core.settings import PROJECT_ROOT, Settings
from knowledge_base.wiring import prepare_cache as prepare_kb_cache
from runtime.progress import Progress
from runtime.training import ensure_model
from safety.training import prepare_vectors as prepare_emergency_vectors
from tickets.category_catalog import CategoryCatalog
from tickets.classifier_cache import dense_embedder, load_or_train, load_or_train_request_types, text_models_built

log = logging.getLogger(__name__)


def prepare_gateway_caches(settings: Settings, progress: Progress | None = None) -> None:
    """What the gateways load instead of building, each only when its inputs changed: the category
    classifier and the request-type model (in a child process), the e5 vectors of the emergency
    phrasings and the knowledge base's passage vectors (here). Also the gateway image's build step,
    deploy/gateway/prepare_caches.py. A failure of either stream stops the other and is raised."""
    progress = progress or Progress()
    if text_models_built(settings.kb_dense):  # a warm start: loading them needs no process of its own
        prepare_text_models(settings, progress)
        prepare_vector_caches(settings, progress)
        return
    child = SpawnedStage("the classifier and request-type training", _text_models_main, settings, progress.started)
    try:
        prepare_vector_caches(settings, progress)
    except BaseException:
        child.stop()
        raise
    child.wait()


def prepare_text_models(settings: Settings, progress: Progress) -> None:
    with progress.stage("classifier"):
        load_or_train(CategoryCatalog.load(), dense_embedder(settings))
    with progress.stage("request types"):
        load_or_train_request_types()


def prepare_vector_caches(settings: Settings, progress: Progress) -> None:
    with progress.stage("emergency phrasings"):
        embedder = dense_embedder(settings)
        if embedder is not None:  # text-only detectors need no vectors
            prepare_emergency_vectors(embedder)
    with progress.stage("knowledge base vectors"):
        prepare_kb_cache(settings)


def _text_models_main(settings: Settings, started: float) -> None:
    configure_logging()  # the same masked format as the parent's
    prepare_text_models(settings, Progress(started=started))


class SpawnedStage:
    """`target(*args)` in a fresh (spawned) process, started at construction. For the caches: its
    own e5 handle and its own core gauge, which then counts this process's embedding as load."""

    def __init__(self, name: str, target: Callable[..., None], *args: object) -> None:
        self.name = name
        self._process: BaseProcess = multiprocessing.get_context("spawn").Process(
            target=target, args=args, name=name, daemon=True
        )
        self._process.start()

    def wait(self) -> None:
        self._process.join()
        if self._process.exitcode != 0:
            raise RuntimeError(f"{self.name} failed (exit code {self._process.exitcode}; its error is above)")

    def stop(self) -> None:
        self._process.terminate()
        self._process.join()


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
