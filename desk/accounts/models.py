"""The agents table: one row per human agent or supervisor (no default accounts)."""

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from core.clock import utcnow

Role = Literal["agent", "supervisor"]
ROLES: tuple[str, ...] = get_args(Role)


class AgentAccount(SQLModel, table=True):
    __tablename__ = "agent_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=40)
    display_name: str = Field(max_length=40)
    role: str = Field(max_length=12)  # agent | supervisor
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
