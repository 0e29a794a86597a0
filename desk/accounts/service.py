"""Agent accounts: creation with argon2 password hashes, authentication, lookup. Sync sqlmodel
(and deliberately slow hashing): async callers run these off the event loop."""

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.clock import utcnow
from desk.accounts.models import ROLES, AgentAccount

# argon2id with OWASP's baseline parameters (19 MiB, 2 passes, 1 lane): ~0.1 s per check here.
USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,39}")
MIN_PASSWORD_CHARS = 10


class AccountError(ValueError):
    """An account cannot be created as asked (the message says why, in English)."""


@dataclass(frozen=True)
class Agent:
    username: str
    display_name: str
    role: str
    unit_code: str | None = None

    def to_json(self) -> dict:
        body = {"username": self.username, "display_name": self.display_name, "role": self.role}
        if self.unit_code is not None:
            body["unit"] = self.unit_code
        return body


def _agent(row: AgentAccount) -> Agent:
    return Agent(row.username, row.display_name, row.role, row.unit_code)


class AgentAccounts:
    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
        # Verified when the username is unknown, so that its answer takes as long as a wrong password.
        self._dummy_hash = self.hasher.hash("no such agent: dummy password")

    def add(
        self, username: str, password: str, role: str, display_name: str | None = None, unit_code: str | None = None
    ) -> Agent:
        """unit_code: required for (and only for) the `unit` role; the caller checks it exists."""
        username = username.strip().lower()
        if not USERNAME.fullmatch(username):
            raise AccountError("username: 2-40 characters, lower-case letters, digits, '_', '.', '-'")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if (role == "unit") != bool(unit_code):
            raise AccountError("a unit account needs --unit CODE, and only a unit account has one")
        if len(password) < MIN_PASSWORD_CHARS or password.strip() != password:
            raise AccountError(f"password: at least {MIN_PASSWORD_CHARS} characters, no leading/trailing spaces")
        if password.lower() in (username, "password12", "1234567890", "0123456789"):
            raise AccountError("password is too easy to guess")
        row = AgentAccount(
            username=username,
            display_name=(display_name or username)[:40],
            role=role,
            password_hash=self.hasher.hash(password),
            unit_code=unit_code,
        )
        with Session(self.engine) as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                raise AccountError(f"agent {username!r} exists already") from None
            session.refresh(row)
            return _agent(row)

    def authenticate(self, username: str, password: str) -> Agent | None:
        """The agent if the password is right and the account active, else None."""
        username = username.strip().lower()
        with Session(self.engine) as session:
            row = session.exec(select(AgentAccount).where(AgentAccount.username == username)).first()
            try:
                self.hasher.verify(row.password_hash if row else self._dummy_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return None
            if row is None or not row.active:
                return None
            if self.hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self.hasher.hash(password)
            row.last_login_at = utcnow()
            session.add(row)
            session.commit()
            return _agent(row)

    def get(self, username: str) -> Agent | None:
        with Session(self.engine) as session:
            row = session.exec(select(AgentAccount).where(AgentAccount.username == username)).first()
            return _agent(row) if row is not None and row.active else None

    def all(self) -> list[Agent]:
        with Session(self.engine) as session:
            rows = session.exec(select(AgentAccount).where(AgentAccount.active).order_by(AgentAccount.username))
            return [_agent(r) for r in rows]
