"""Train the Rasa model only when its inputs changed: models/<content hash>.tar.gz."""

import fcntl
import hashlib
import logging
import os
import subprocess
import time
from pathlib import Path

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


def ensure_model(root: Path) -> Path:
    """Return the model for the current inputs, training it first if there is none. Concurrent
    callers (several stacks starting at once) wait for one training instead of repeating it."""
    path = model_path(root)
    if path.exists():
        log.info("model up to date: %s", path.relative_to(root))
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            log.info("model trained meanwhile by another process: %s", path.relative_to(root))
            return path
        return _train(root, path)


def _train(root: Path, path: Path) -> Path:
    log.info("training the Rasa model (inputs changed) ...")
    started = time.monotonic()
    cmd = engine_command(
        "rasa", "train",
        "--config", "config.yml",
        "--domain", "bot/domain",
        "--data", *TRAINING_DATA,
        "--out", "models",
        "--fixed-model-name", path.name.removesuffix(".tar.gz"),
    )  # fmt: skip
    subprocess.run(cmd, cwd=root, check=True, env={**os.environ, **ENGINE_ENV})
    if not path.exists():
        raise RuntimeError(f"rasa train finished but {path} is missing")
    log.info("model trained in %.1f s: %s", time.monotonic() - started, path.relative_to(root))
    _prune_models(path)
    return path


def _prune_models(current: Path) -> None:
    models = sorted(current.parent.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[KEEP_MODELS:]:
        if old != current:
            old.unlink()
