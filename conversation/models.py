"""Tables of conversations, of every message in them (both directions), and of the agent desk's
log (queued, taken, released, closed …) from which wait estimates and supervisor views come."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Index, Integer, Text, false as sa_false
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class Conversation(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=80)
    channel: str = Field(index=True, max_length=20)
    user_id: str = Field(max_length=80)
    mode: str = Field(default="bot", max_length=10, index=True)
    # The bot's handoff summary (reason, request type, collected slots, last turns), as sent.
    handoff: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)
    # Agent desk state (older databases get these columns from the baseline migration).
    mode_seq: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    agent: str | None = Field(default=None, max_length=40, index=True)  # username holding it
    queued_at: datetime | None = None
    taken_at: datetime | None = None
    priority: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    alert: str | None = Field(default=None, max_length=40)  # e.g. emergency
    callback: str | None = Field(default=None, max_length=20)  # awaiting_phone
    draft: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # agent-edited work order
    work_order: str | None = Field(default=None, max_length=16)
    # Web chat: sha256 of the resume token handed to the page (the token itself is never stored).
    resume_hash: str | None = Field(default=None, max_length=64)


class Message(SQLModel, table=True):
    # A client's message id (web chat `"id"`) is stored once per conversation.
    __table_args__ = (Index("ix_message_client_id", "conversation_id", "client_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversation.id", index=True, max_length=80)
    direction: str = Field(max_length=3)  # in | out
    sender: str = Field(max_length=10)  # citizen | bot | agent | system
    text: str = Field(sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    error_code: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    client_id: str | None = Field(default=None, max_length=64)
    # A citizen message stored for the bot and not answered by it yet (the gateway stopped
    # mid-turn, or the dialogue engine was down): answered when the conversation comes back.
    pending: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=sa_false()))
    # A refused text is stored cut to the text limit; this is its length as sent.
    original_length: int | None = None


class DeskEvent(SQLModel, table=True):
    """One step of a conversation on the agent desk: queued, taken, released, closed, left
    (the citizen went back to the bot), callback, alert."""

    __tablename__ = "desk_event"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(index=True, max_length=80)
    kind: str = Field(max_length=12)
    agent: str | None = Field(default=None, max_length=40)
    wait_s: float | None = None  # queued -> taken
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)
