"""Run by tests/bot/test_tracker_durability.py in the engine environment: Rasa's own
SQLTrackerStore on a SQLite file, before and after bot/sqlite_tracker_durability.install()."""

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot import sqlite_tracker_durability


def synchronous(store: SQLTrackerStore) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA synchronous").scalar()


with tempfile.TemporaryDirectory() as tmp:
    db = str(Path(tmp) / "tracker.db")
    before = synchronous(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=db))
    sqlite_tracker_durability.install()
    sqlite_tracker_durability.install()  # idempotent
    after = synchronous(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=db))
print(json.dumps({"case": "synchronous", "result": {"before": before, "after": after}}))
