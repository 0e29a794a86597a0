"""Authentication of agents for the desk's HTTP routes and WebSocket: login with rate limits,
bearer tokens verified on every request against an active account."""

import asyncio
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, HTTPException

from core.api_keys import is_valid_key
from core.log_ids import shorten_id_params
from core.pii import redact_secrets
from desk.accounts.limits import LoginLimiter
from desk.accounts.models import DESK_ROLES
from desk.accounts.service import Agent, AgentAccounts
from desk.accounts.tokens import InvalidToken, TokenClaims, TokenSigner
from tickets.handling import Actor

log = logging.getLogger(__name__)


class LoginRefused(Exception):
    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after


@dataclass(frozen=True)
class Session:
    agent: Agent
    claims: TokenClaims


class DeskAuth:
    def __init__(self, accounts: AgentAccounts, signer: TokenSigner, limiter: LoginLimiter) -> None:
        self.accounts, self.signer, self.limiter = accounts, signer, limiter

    async def login(self, username: str, password: str, address: str) -> tuple[str, TokenClaims, Agent]:
        wait = await self.limiter.admit(username, address)
        if wait is not None:
            log.warning("login refused by rate limit for %s from %s", username[:40], address)
            raise LoginRefused(429, "too many login attempts; try again later", wait)
        agent = await asyncio.to_thread(self.accounts.authenticate, username, password)
        if agent is None:
            await self.limiter.failed(username, address)
            log.warning("failed login for %s from %s", username[:40], address)
            raise LoginRefused(401, "wrong username or password")
        await self.limiter.succeeded(username, address)
        token, claims = self.signer.issue(agent.username, agent.role)
        log.info("agent %s logged in from %s", agent.username, address)
        return token, claims, agent

    async def session_for(self, token: str) -> Session:
        """The session of a valid token of an active account; InvalidToken otherwise."""
        claims = self.signer.verify(token)
        agent = await asyncio.to_thread(self.accounts.get, claims.username)
        if agent is None:
            raise InvalidToken("account disabled or removed")
        return Session(agent, claims)

    async def authorize(self, authorization: str | None, roles: tuple[str, ...] = ()) -> Session:
        """The session of an `Authorization: Bearer …` header, for the given roles (default: the
        agent console's); HTTP 401 without a valid token, 403 for another role."""
        allowed = roles or DESK_ROLES
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(
                401, "a bearer token from POST /api/agent/login is required", headers={"WWW-Authenticate": "Bearer"}
            )
        try:
            session = await self.session_for(token.strip())
        except InvalidToken as exc:
            raise HTTPException(401, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from None
        if session.agent.role not in allowed:
            raise HTTPException(403, f"this needs the {' or '.join(allowed)} role")
        return session

    async def actor(self, authorization: str | None, api_keys: frozenset[str]) -> Actor:
        """Who acts in the closed loop: the external ticket system (an API key), or the account of
        a bearer token (unit, supervisor, agent — the rules of tickets/handling.py decide what each may)."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(
                401,
                "a bearer API key or a token from POST /api/agent/login is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if is_valid_key(token, api_keys):
            return Actor("api", "api")
        try:
            session = await self.session_for(token)
        except InvalidToken as exc:
            raise HTTPException(401, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from None
        agent = session.agent
        return Actor(agent.role, agent.username, agent.unit_code)  # type: ignore[arg-type]

    def actor_dependency(self, api_keys: frozenset[str]):
        """`actor` as a FastAPI dependency of a fixed set of API keys."""

        async def actor(authorization: Annotated[str | None, Header()] = None) -> Actor:
            return await self.actor(authorization, api_keys)

        return actor


class TokenRedactingFilter(logging.Filter):
    """Servers log the path of every WebSocket they accept: keep agent and resume tokens out of
    the logs, and conversation ids shortened."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = shorten_id_params(redact_secrets(message))
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
