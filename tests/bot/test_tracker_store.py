"""bot/tracker_store.py (engine environment) beside Rasa's own SQLTrackerStore: the same trackers,
without reading and counting the session's rows on every turn, still seeing what another replica
wrote, and one pooled SQLite connection committing without an fsync."""

import pytest

from tests.bot.engine import engine_cases


@pytest.fixture(scope="module")
def cases() -> dict:
    return engine_cases("engine_tracker_store.py")


def test_returns_the_trackers_rasas_store_returns_across_a_session_restart(cases):
    assert cases["same_as_rasa"] == {"turns": [True] * 5, "rows": [20, 20]}


def test_a_turn_of_a_known_conversation_neither_reads_nor_counts_its_rows(cases):
    assert cases["statements"]["rasa"] == {"reads_rows": True, "counts": True, "inserts": 4}
    assert cases["statements"]["ours"] == {"reads_rows": False, "counts": False, "inserts": 4}


def test_what_another_replica_wrote_is_seen(cases):
    assert cases["other_writer"] == {"same": True, "said": ["你好", "停水了"]}


def test_a_conversation_pushed_out_of_the_cache_is_read_again(cases):
    # 3 conversations, room for 2; "a" still has its session (one turn: 5 events + 4 new ones,
    # the session-start action is before the session's start, as Rasa's own store filters it).
    assert cases["capacity"] == {"kept": ["b", "c"], "a_events": 9}


def test_sqlite_keeps_one_connection_and_commits_without_an_fsync(cases):
    assert cases["sqlite"] == {"connections": 1, "synchronous": 1}
