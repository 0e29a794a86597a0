"""Putting the project's version of one Rasa function in place of Rasa's, only when Rasa's is the
one it was written against (the sha256 of its source): the guard the engine patches share. After
a Rasa upgrade that changes the function, Rasa is left alone and a warning names the patch."""

import hashlib
import inspect
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def source_sha256(function: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def replace(
    owner: type, name: str, expected_sha256: str, replacement: Callable[..., Any], patch: str
) -> Callable[..., Any] | None:
    """Set `owner.name` to `replacement` (a static method stays one) and return Rasa's function;
    None, with Rasa untouched and a warning naming `patch`, when its source hash differs."""
    original = getattr(owner, name)
    found = source_sha256(original)
    if found != expected_sha256:
        log.warning("Rasa's %s.%s changed (source sha256 %s): left unpatched (%s)", owner.__name__, name, found, patch)
        return None
    is_static = isinstance(inspect.getattr_static(owner, name), staticmethod)
    setattr(owner, name, staticmethod(replacement) if is_static else replacement)
    return original
