"""Rasa's SQLite tracker store without an fsync per turn: `synchronous=NORMAL` on its connections.

Why: Rasa 3.6's SQLTrackerStore is synchronous: it saves every turn with a commit on the server's
event loop, and SQLite's default (`synchronous=FULL`) makes each commit wait for an fsync of the
write-ahead log. Under load every other conversation on that Rasa process waits behind it: commits
were 19 % of Rasa's busy time at 50 conversations (issue 17).

What: `install()` registers a SQLAlchemy `connect` listener that sets `PRAGMA synchronous=NORMAL`
on every new SQLite connection in the process (the tracker store is the only SQLite user in the
Rasa process). `hotline up` has already put the file in WAL mode (runtime/stack.py), and in WAL
mode NORMAL still never corrupts the database; a power cut may lose the last turns of the
dialogue state, while the citizen's messages themselves are persisted by the gateway before it
replies (its own database uses the same settings). Other databases (PostgreSQL) are untouched.

Nothing happens at import time: bot/engine_runtime.py calls `install()` before Rasa's CLI runs.
"""

import sqlite3
from typing import Any

_installed = False


def _normal_sync(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def install() -> None:
    """Idempotent."""
    global _installed
    if not _installed:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "connect", _normal_sync)
        _installed = True
