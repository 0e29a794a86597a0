"""Secrets that must never have a default: taken from the environment, or generated once per
installation and kept under var/secrets/ (mode 0600)."""

import secrets
from pathlib import Path


def load_or_create_secret(path: Path, nbytes: int = 24) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    return value
