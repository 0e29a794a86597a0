"""The Agent desk API (DESIGN contract) and what the console needs besides: conversation detail
with the whole transcript, the handoff summary and the editable draft work order, canned
replies, the supervisor's overview, and the console page at `/agent`."""

import asyncio
import logging
from collections.abc import Awaitable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AccountsDep, AgentSession, AnySession, DeskAuthDep, DeskDep, SupervisorSession
from channels.agent.auth import LoginRefused
from core.bounded_route import detail_response
from desk.agent_desk import DeskError
from desk.orders import DraftPatch

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
CANNED_FILE = Path(__file__).resolve().parent / "canned.yml"


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=10_000)


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    work_order: bool = True  # create (or update) the conversation's work order from the draft
    draft: DraftPatch | None = None  # last edits, applied before filing


@cache
def load_canned(path: Path = CANNED_FILE) -> list[dict[str, str]]:
    """The canned replies, read once (on first use, not at import)."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [{"title": str(i["title"]), "text": str(i["text"])} for i in items]


async def _answer(call: Awaitable[Any]) -> Any:
    """The desk's result, or its refusal as {"code", "detail", …} with the refusal's status."""
    try:
        return await call
    except DeskError as err:
        return JSONResponse({"code": err.code, "detail": err.detail, **err.extra}, status_code=err.status)


LOGIN_REFUSED = {
    401: detail_response("wrong username or password"),
    429: detail_response("too many login attempts (see Retry-After)"),
}
router = APIRouter()


@router.post("/api/agent/login", tags=["agent desk"], responses=LOGIN_REFUSED)
async def login(body: LoginBody, request: Request, auth: DeskAuthDep) -> Any:
    address = request.client.host if request.client else "unknown"
    try:
        token, claims, who = await auth.login(body.username, body.password, address)
    except LoginRefused as err:
        headers = {"Retry-After": str(err.retry_after)} if err.retry_after else None
        return JSONResponse({"detail": err.detail}, status_code=err.status, headers=headers)
    return {"token": token, "token_type": "bearer", "expires_at": claims.expires_at, "agent": who.to_json()}


@router.get("/api/agent/me", tags=["agent desk"])
async def me(desk: DeskDep, session: AnySession) -> dict:
    return {
        "agent": session.agent.to_json(),
        "expires_at": session.claims.expires_at,
        "working_hours": desk.hours_label(),
    }


@router.get("/api/agent/queue", tags=["agent desk"])
async def queue(desk: DeskDep, session: AgentSession) -> dict:
    items = await desk.queue()
    return {"length": len(items), "items": items}


@router.get("/api/agent/conversations", tags=["agent desk"])
async def conversations(desk: DeskDep, session: AgentSession) -> dict:
    return {"items": await desk.conversations(session.agent)}


@router.get("/api/agent/conversations/{conversation_id}", tags=["agent desk"])
async def detail(conversation_id: str, desk: DeskDep, accounts: AccountsDep, session: AgentSession) -> Any:
    async def with_name() -> dict:
        found = await desk.detail(conversation_id, session.agent)
        holder = await asyncio.to_thread(accounts.get, found["agent"]) if found["agent"] else None
        return {**found, "agent_name": holder.display_name if holder else found["agent"]}

    return await _answer(with_name())


@router.post("/api/agent/conversations/{conversation_id}/take", tags=["agent desk"])
async def take(conversation_id: str, desk: DeskDep, session: AgentSession) -> Any:
    return await _answer(desk.take(conversation_id, session.agent))


@router.post("/api/agent/conversations/{conversation_id}/messages", tags=["agent desk"])
async def message(conversation_id: str, body: MessageBody, desk: DeskDep, session: AgentSession) -> Any:
    return await _answer(desk.send(conversation_id, session.agent, body.text))


@router.post("/api/agent/conversations/{conversation_id}/release", tags=["agent desk"])
async def release(conversation_id: str, desk: DeskDep, session: AgentSession) -> Any:
    return await _answer(desk.release(conversation_id, session.agent))


@router.post("/api/agent/conversations/{conversation_id}/close", tags=["agent desk"])
async def close(conversation_id: str, desk: DeskDep, session: AgentSession, body: CloseBody | None = None) -> Any:
    body = body or CloseBody()
    return await _answer(desk.close(conversation_id, session.agent, body.draft, body.work_order))


@router.put("/api/agent/conversations/{conversation_id}/draft", tags=["agent desk"])
async def edit_draft(conversation_id: str, patch: DraftPatch, desk: DeskDep, session: AgentSession) -> Any:
    return await _answer(desk.edit_draft(conversation_id, session.agent, patch))


@router.get("/api/agent/canned", tags=["agent desk"])
async def canned_replies(session: AgentSession) -> dict:
    return {"items": load_canned()}


@router.get("/api/agent/overview", tags=["agent desk"])
async def overview(desk: DeskDep, accounts: AccountsDep, session: SupervisorSession) -> dict:
    return await desk.overview(await asyncio.to_thread(accounts.all))


@router.get("/agent", include_in_schema=False)
async def console() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")
