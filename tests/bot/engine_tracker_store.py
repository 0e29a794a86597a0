"""Run by tests/bot/test_tracker_store.py in the engine environment: bot/tracker_store.py's
HotlineSQLTrackerStore beside Rasa's own SQLTrackerStore, on SQLite files."""

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import HotlineSQLTrackerStore

DOMAIN = Domain.from_dict({"slots": {"district": {"type": "text", "mappings": [{"type": "custom"}]}}})
CLOCK = [time.time()]


def tick() -> float:
    CLOCK[0] += 1.0
    return CLOCK[0]


def session_start() -> list[Event]:
    return [ActionExecuted("action_session_start", timestamp=tick()), SessionStarted(timestamp=tick())]


def turn(text: str, answer: str) -> list[Event]:
    return [
        ActionExecuted("action_listen", timestamp=tick()),
        UserUttered(text, {"name": "consult", "confidence": 0.9}, timestamp=tick()),
        SlotSet("district", "朝阳区", timestamp=tick()),
        BotUttered(answer, timestamp=tick()),
    ]


async def play(store: SQLTrackerStore, sender: str, events: list[Event]) -> list[dict]:
    """One turn as Rasa's processor does it: retrieve (or start), add the events, save, read back."""
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
    for event in events:
        tracker.update(event)
    await store.save(tracker)
    again = await store.retrieve(sender)
    return [event.as_dict() for event in again.events] if again else []


def statements(store: SQLTrackerStore) -> list[str]:
    seen: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: seen.append(" ".join(args[2].split())))
    return seen


async def main(tmp: Path) -> None:
    rasa = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp / "rasa.db"))
    ours = HotlineSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp / "ours.db"))

    # The same turns, a session restart among them: both stores return the same trackers.
    script = [session_start() + turn("你好", "您好"), turn("居住证怎么办", "请带身份证…")]
    script += [session_start() + turn("又来了", "您好"), turn("谢谢", "不客气"), []]
    same = []
    for events in script:
        same.append(await play(rasa, "c1", events) == await play(ours, "c1", events))
    rows = [store.engine.connect().exec_driver_sql("SELECT count(*) FROM events").scalar() for store in (rasa, ours)]
    print(json.dumps({"case": "same_as_rasa", "result": {"turns": same, "rows": rows}}))

    # What each store asks the database in a turn of a known conversation.
    asked = {}
    for name, store in (("rasa", rasa), ("ours", ours)):
        seen = statements(store)
        await play(store, "c1", turn("燃气费在哪交", "可以在…"))
        asked[name] = {
            "reads_rows": any(s.startswith("SELECT events.id") for s in seen),
            "counts": any("count(*)" in s for s in seen),
            "inserts": sum(s.startswith("INSERT") for s in seen),
        }
    print(json.dumps({"case": "statements", "result": asked}))

    # Another replica writes to the same conversation: this store sees it.
    other = HotlineSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp / "ours.db"))
    await play(ours, "c2", session_start() + turn("你好", "您好"))
    seen_by_other = await play(other, "c2", turn("停水了", "请问在哪个小区？"))
    seen_by_ours = await play(ours, "c2", [])
    texts = [event.get("text") for event in seen_by_ours if event["event"] == "user"]
    print(json.dumps({"case": "other_writer", "result": {"same": seen_by_ours == seen_by_other, "said": texts}}))

    # A conversation pushed out of a small cache is read from the database again.
    small = HotlineSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp / "small.db"), cached_conversations=2)
    for sender in ("a", "b", "c"):
        await play(small, sender, session_start() + turn("你好", "您好"))
    kept = list(small._sessions)
    after = await play(small, "a", turn("谢谢", "不客气"))
    print(json.dumps({"case": "capacity", "result": {"kept": kept, "a_events": len(after)}}))

    # SQLite: one pooled connection for many turns, committing with synchronous=NORMAL (1).
    connects: list[int] = []
    pooled = HotlineSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp / "pool.db"))
    sa.event.listen(pooled.engine, "connect", lambda *_: connects.append(1))
    for i in range(10):
        await play(pooled, "p", turn(f"第{i}句", "好的"))
    with pooled.engine.connect() as conn:
        sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    print(json.dumps({"case": "sqlite", "result": {"connections": len(connects), "synchronous": sync}}))


with tempfile.TemporaryDirectory() as tmp:
    asyncio.run(main(Path(tmp)))
