"""Rasa's lookup of an event class by its type name, remembered once found.

Why: every time Rasa 3.6 rebuilds a tracker from its store (each turn, for every stored event of
the session) `Event.resolve_by_type` walks `all_subclasses(Event)`, a recursive list of every
event class built anew on each call: 6 % of Rasa's busy time at 50 conversations (issue 17).

What: `install()` puts a version in front of Rasa's that remembers, per type name, the class Rasa's
own lookup returned. The event classes are fixed once Rasa is imported and their type names are
unique, so the answer never changes; an unknown name (error or default) always goes to Rasa's
function, so its exceptions and defaults are Rasa's.

Guard: installed only when Rasa's function is the one this was written against
(ORIGINAL_SOURCE_SHA256, rasa 3.6.21); otherwise `install()` logs a warning and returns False.
Nothing happens at import time: bot/engine_runtime.py calls `install()` before Rasa's CLI runs.
"""

from collections.abc import Callable
from typing import Any

from bot import rasa_patch

ORIGINAL_SOURCE_SHA256 = "b5cf570fa7f286c7059ec73d8880528d03a78b28cf4e80285a46079c0fa65968"

_original: Callable[..., Any] | None = None
_found: dict[str, type] = {}


def original_source_sha256() -> str:
    from rasa.shared.core.events import Event

    return rasa_patch.source_sha256(_original or Event.resolve_by_type)


def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
    cls = _found.get(type_name)
    if cls is not None:
        return cls
    assert _original is not None
    cls = _original(type_name, default)
    if cls is not None and getattr(cls, "type_name", None) == type_name:
        _found[type_name] = cls
    return cls


def install() -> bool:
    global _original
    from rasa.shared.core.events import Event

    if _original is None:
        _original = rasa_patch.replace(
            Event, "resolve_by_type", ORIGINAL_SOURCE_SHA256, resolve_by_type, "bot/event_type_lookup.py"
        )
    return _original is not None
