"""bot/sqlite_tracker_durability.py against Rasa's own SQLTrackerStore (engine environment): its
SQLite connections commit with synchronous=NORMAL (1) instead of SQLite's FULL (2)."""

from tests.bot.engine import engine_cases


def test_rasas_sqlite_tracker_store_commits_without_an_fsync_per_turn():
    assert engine_cases("engine_tracker_durability.py")["synchronous"] == {"before": 2, "after": 1}
