"""The accounts table: one row per human agent, supervisor or handling-unit user (no default
accounts). A unit account is bound to one handling unit (tickets/units.py)."""

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from core.clock import utcnow

Role = Literal["agent", "supervisor", "unit"]
DESK_ROLES = ("agent", "supervisor")  # the agent console; a unit account has the unit console only
ROLES: tuple[str, ...] = get_args(Role)


class AgentAccount(SQLModel, table=True):
    __tablename__ = "agent_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=40)
    display_name: str = Field(max_length=40)
    role: str = Field(max_length=12)  # agent | supervisor | unit
    unit_code: str | None = Field(default=None, max_length=24)  # a unit account's handling unit
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
