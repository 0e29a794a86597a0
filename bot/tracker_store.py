"""Rasa's SQL tracker store as a busy hotline needs it (issue 17): endpoints.yml and
endpoints.scale-out.yml name `bot.tracker_store.HotlineSQLTrackerStore`.

Rasa 3.6's SQLTrackerStore reads every stored event of the conversation's session on each turn
(and parses it), then counts those rows again before saving the turn's new events: at 50
conversations that was 21 % of Rasa's busy time, growing with the length of the conversation.
On SQLite it also opened, set up and closed a database connection for every read and write
(SQLAlchemy 1.4 uses no pool for SQLite files): 5 % more.

This store keeps, per conversation and in this process only, the stored rows of the latest session
(as stored: JSON text) and the newest row id it has seen. Before using them, a read or a save asks
the database for the conversation's newest row id (one indexed lookup): if anything else wrote to
the conversation (another Rasa replica, another process on the same file) the id differs and the
rows are read again, exactly as Rasa reads them. The session filter is Rasa's own, applied in
Python to the rows it would select, so the tracker returned is the one Rasa's store would return.
The cache holds at most `cached_conversations` conversations (least recently used goes first);
a conversation costs its session's stored JSON, about 0.5 KB per event (a 30-turn one ≈ 150 KB).

SQLite files get a connection pool (one connection kept per thread, as SQLAlchemy 2 does by
default) with `synchronous=NORMAL`: `hotline up` puts the file in WAL mode (runtime/stack.py), and in
WAL mode NORMAL commits without an fsync per turn yet never corrupts the file; a power cut may lose
the last turns of dialogue state, while the gateway has persisted the citizen's messages before
replying. PostgreSQL keeps Rasa's own pool settings.
"""

import itertools
import json
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

DEFAULT_CACHED_CONVERSATIONS = 256


@dataclass
class SessionRows:
    """One conversation's stored rows since its latest session start, as Rasa's query selects them."""

    newest_id: int
    rows: list[tuple[float, str, str]] = field(default_factory=list)  # (timestamp, type name, JSON)

    def extend(self, newest_id: int, added: list[tuple[float, str, str]]) -> None:
        """Rows just stored: then Rasa's filter (timestamp >= the latest session start, or every row
        when the conversation never started a session) over old and new rows alike."""
        self.newest_id = newest_id
        self.rows.extend(added)
        starts = [ts for ts, type_name, _ in self.rows if type_name == SessionStarted.type_name]
        if starts:
            latest = max(starts)
            self.rows = [row for row in self.rows if row[0] >= latest]


def _normal_sync(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class HotlineSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQLTrackerStore with a checked per-conversation row cache and, on SQLite, pooled
    connections without an fsync per commit. Configured like `type: SQL`."""

    def __init__(self, *args: Any, cached_conversations: int = DEFAULT_CACHED_CONVERSATIONS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _normal_sync)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._capacity = max(0, int(cached_conversations))
        self._sessions: OrderedDict[str, SessionRows] = OrderedDict()
        self._newest_id_query = sa.select(sa.func.max(self.SQLEvent.id)).where(
            self.SQLEvent.sender_id == sa.bindparam("sender_id")
        )

    def _newest_id(self, session: sa.orm.Session, sender_id: str) -> int | None:
        return session.execute(self._newest_id_query, {"sender_id": sender_id}).scalar()

    def _checked_rows(self, session: sa.orm.Session, sender_id: str) -> tuple[int | None, SessionRows | None]:
        """The database's newest row id for the conversation, and the cached rows when still current."""
        newest = self._newest_id(session, sender_id)
        cached = self._sessions.get(sender_id)
        if cached is not None and cached.newest_id == newest:
            self._sessions.move_to_end(sender_id)
            return newest, cached
        self._sessions.pop(sender_id, None)
        return newest, None

    def _remember(self, sender_id: str, rows: SessionRows) -> None:
        if self._capacity == 0:
            return
        self._sessions[sender_id] = rows
        self._sessions.move_to_end(sender_id)
        while len(self._sessions) > self._capacity:
            self._sessions.popitem(last=False)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        if fetch_events_from_all_sessions:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        with self.session_scope() as session:
            newest, cached = self._checked_rows(session, sender_id)
            if newest is None:
                return None
            if cached is None:
                stored = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
                cached = SessionRows(newest, [(row.timestamp, row.type_name, row.data) for row in stored])
                self._remember(sender_id, cached)
        events = [json.loads(data) for _, _, data in cached.rows]
        if not (self.domain and events):
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save (the events after the stored ones, then one commit), counting the stored
        rows from the cache when it is current."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        with self.session_scope() as session:
            _, cached = self._checked_rows(session, sender_id)
            if cached is not None:
                stored = len(cached.rows)
            else:
                stored = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
            rows = []
            for event in itertools.islice(tracker.events, stored, len(tracker.events)):
                data = event.as_dict()
                rows.append(
                    self.SQLEvent(
                        sender_id=sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),  # as Rasa's store: the action's name
                        data=json.dumps(data),
                    )
                )
            session.add_all(rows)
            session.flush()  # assigns the row ids
            added = [(row.timestamp, row.type_name, row.data) for row in rows]
            newest_added = max((row.id for row in rows), default=None)
            session.commit()
        if cached is not None and newest_added is not None:
            cached.extend(newest_added, added)
