"""The agents' callback list (回访 by phone): resolved orders whose citizen could not be reached
on their channel or did not answer within 72 hours, and the answers an agent records after
calling. Agent and supervisor tokens (the agent console)."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from starlette.requests import HTTPConnection

from api.deps import Caller, UnitOfDep
from core.bounded_route import bounded_route, detail_response
from core.clock import utcnow
from core.pii import mask_pii
from followup.service import callback_list
from tickets.handling import Actor
from tickets.handling_routes import ChangeListener, HandlingDep, as_http_errors
from tickets.lifecycle import IllegalTransition


class SurveyAnswer(BaseModel):
    question: str = Field(pattern="^(resolved|satisfaction)$")
    answer: str = Field(max_length=8)


async def get_db(conn: HTTPConnection) -> Engine:
    return conn.app.state.db


async def get_on_survey(conn: HTTPConnection) -> ChangeListener:
    """What a recorded survey answer is told to (the supervisors' consoles)."""
    return conn.app.state.on_survey_answer


DatabaseDep = Annotated[Engine, Depends(get_db)]
SurveyListenerDep = Annotated[ChangeListener, Depends(get_on_survey)]

router = APIRouter(
    prefix="/api/followup",
    tags=["回访"],
    route_class=bounded_route(),
    responses={
        401: detail_response("a token from POST /api/agent/login is required"),
        403: detail_response("this needs an agent or supervisor account"),
    },
)


async def desk_actor(caller: Caller) -> Actor:
    if caller.kind not in ("agent", "supervisor"):
        raise HTTPException(403, "this needs an agent or supervisor account")
    return caller


Agent = Annotated[Actor, Depends(desk_actor)]


@router.get("/callbacks")
async def callbacks(_agent: Agent, db: DatabaseDep, unit_of: UnitOfDep) -> dict[str, Any]:
    """Resolved orders to call back, the oldest result first (agents see the phone to call)."""
    rows = await asyncio.to_thread(callback_list, db, utcnow())
    items = [{**o.to_json(unit_of(o.unit_code or "")), "description": mask_pii(o.description)} for o in rows]
    return {"items": items, "total": len(items)}


@router.post(
    "/{number}/answer",
    responses={
        409: {"description": "the order is not awaiting a survey"},
        422: detail_response("not an answer to that question"),
    },
)
async def answer(
    number: str,
    body: SurveyAnswer,
    agent: Agent,
    handling: HandlingDep,
    unit_of: UnitOfDep,
    on_change: SurveyListenerDep,
) -> dict[str, Any]:
    """The citizen's answer, taken by an agent on the phone; recorded with the agent as actor."""
    try:
        with as_http_errors(number):
            outcome = await asyncio.to_thread(handling.answer_survey, number, body.question, body.answer, agent)
    except IllegalTransition as exc:
        raise HTTPException(409, str(exc)) from None
    await on_change(outcome)
    return outcome.order.to_json(unit_of(outcome.order.unit_code or ""))
