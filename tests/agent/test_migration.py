"""A database created before the agent desk (and before Alembic) is migrated when it is opened:
its conversations get the desk's columns and keep working (queued ones can be taken)."""

import sqlite3

from sqlalchemy import inspect

from conversation.messages import InboundMessage, Mode, Reply
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.migrate import current_revision, head_revision
from desk.accounts.service import Agent

OLD_SCHEMA = """
CREATE TABLE conversation (id VARCHAR(80) PRIMARY KEY, channel VARCHAR(20) NOT NULL, user_id VARCHAR(80) NOT NULL,
  mode VARCHAR(10) NOT NULL, handoff JSON, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE TABLE message (id INTEGER PRIMARY KEY, conversation_id VARCHAR(80) NOT NULL REFERENCES conversation (id),
  direction VARCHAR(3) NOT NULL, sender VARCHAR(10) NOT NULL, text TEXT NOT NULL, payload JSON,
  error_code VARCHAR(40), created_at DATETIME NOT NULL);
INSERT INTO conversation VALUES ('web:old', 'web', 'old', 'queued', '{"reason": "requested"}',
  '2026-01-01 08:00:00', '2026-01-01 08:00:00');
"""


def test_old_database_gets_the_new_columns_and_keeps_its_conversations(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
    db = make_engine(f"sqlite:///{path}")
    init_db(db)
    columns = {c["name"] for c in inspect(db).get_columns("conversation")}
    assert {
        "mode_seq",
        "agent",
        "queued_at",
        "taken_at",
        "priority",
        "alert",
        "callback",
        "draft",
        "work_order",
    } <= columns
    assert {"client_id", "pending"} <= {c["name"] for c in inspect(db).get_columns("message")}
    assert current_revision(db) == head_revision()
    init_db(db)  # idempotent
    store = ConversationStore(db)
    conv = store.get("web:old")
    assert (conv.mode, conv.mode_seq, conv.handoff) == ("queued", 0, {"reason": "requested"})
    agent = Agent("alice", "王丽", "agent")
    taken = store.change_mode(
        "web:old",
        Mode.AGENT,
        (Mode.QUEUED,),
        values={"agent": agent.username},
        replies=[Reply("人工客服已接入", sender="system")],
        event={"kind": "taken"},
    )
    assert taken is not None and taken.agent == "alice" and taken.mode_seq == 1
    assert store.receive(InboundMessage("web:old", "web", "old", "你好")).mode is Mode.AGENT
