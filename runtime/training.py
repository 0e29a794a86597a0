"""Train the Rasa model only when its inputs changed: models/<content hash>.tar.gz."""

import contextlib
import fcntl
import hashlib
import logging
import os
import resource
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from runtime.engine_env import ENGINE_ENV, engine_command

log = logging.getLogger(__name__)

# What the trained model depends on (paths relative to the project root).
MODEL_INPUTS = ("config.yml", "bot/domain", "bot/data", "nlu/data", "requirements/engine.txt")
TRAINING_DATA = ("bot/data", "nlu/data")
KEEP_MODELS = 3


def model_inputs_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for rel in MODEL_INPUTS:
        path = root / rel
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path) -> Path:
    return root / "models" / f"{model_inputs_hash(root)}.tar.gz"


class TrainingCancelled(RuntimeError):
    """ensure_model was cancelled (another preparation step failed, or Ctrl-C)."""


def ensure_model(
    root: Path,
    *,
    cancel: threading.Event | None = None,
    log_path: Path | None = None,
    on_status: Callable[[str], None] | None = None,
) -> Path:
    """Return the model for the current inputs, training it first if there is none. Concurrent
    callers (several stacks starting at once) wait for one training instead of repeating it.
    `cancel` stops the wait or the training (no half-trained model is kept); `log_path` takes
    rasa train's output instead of the terminal; `on_status` hears what is happening."""
    status = on_status or (lambda _text: None)
    cancel = cancel or threading.Event()
    path = model_path(root)
    if path.exists():
        log.info("model up to date: %s", path.relative_to(root))
        status("up to date")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".train.lock", "w") as lock:
        if not _try_lock(lock):
            status("waiting for another process's training…")
            while not _try_lock(lock):
                if cancel.wait(0.5):
                    raise TrainingCancelled("cancelled while waiting for another training")
        if path.exists():
            log.info("model trained meanwhile by another process: %s", path.relative_to(root))
            status("trained meanwhile by another process")
            return path
        status("training…" + (f" (log: {log_path})" if log_path else ""))
        return _train(root, path, cancel, log_path)


def _try_lock(lock: IO[str]) -> bool:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _train(root: Path, path: Path, cancel: threading.Event, log_path: Path | None) -> Path:
    log.info("training the Rasa model (inputs changed) ...")
    started, cpu_before = time.monotonic(), _children_cpu_s()
    cmd = engine_command(
        "rasa",
        "train",
        "--config",
        "config.yml",
        "--domain",
        "bot/domain",
        "--data",
        *TRAINING_DATA,
        "--out",
        "models",
        "--fixed-model-name",
        path.name.removesuffix(".tar.gz"),
    )
    with contextlib.ExitStack() as stack:
        out = None
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            out = stack.enter_context(open(log_path, "wb"))
        proc = subprocess.Popen(
            cmd, cwd=root, env={**os.environ, **ENGINE_ENV}, stdout=out, stderr=subprocess.STDOUT if out else None
        )
        try:
            while proc.poll() is None:
                if cancel.wait(0.5):
                    raise TrainingCancelled("Rasa training cancelled")
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(
            f"rasa train failed with exit code {proc.returncode}" + (f"; see {log_path}" if log_path else "")
        )
    if not path.exists():
        raise RuntimeError(f"rasa train finished but {path} is missing")
    wall, cpu = time.monotonic() - started, _children_cpu_s() - cpu_before
    # CPU time over wall time: how many cores the training kept busy (sizing the parallel start).
    log.info("model trained in %.1f s (%.0f s CPU, %.1f cores): %s", wall, cpu, cpu / wall, path.relative_to(root))
    _prune_models(path)
    return path


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _prune_models(current: Path) -> None:
    models = sorted(current.parent.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[KEEP_MODELS:]:
        if old != current:
            old.unlink()
