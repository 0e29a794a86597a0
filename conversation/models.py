"""Tables of conversations and of every message in them (both directions)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class Conversation(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=80)
    channel: str = Field(index=True, max_length=20)
    user_id: str = Field(max_length=80)
    mode: str = Field(default="bot", max_length=10)
    handoff: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class Message(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversation.id", index=True, max_length=80)
    direction: str = Field(max_length=3)  # in | out
    sender: str = Field(max_length=10)  # citizen | bot | agent | system
    text: str = Field(sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    error_code: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, index=True)
