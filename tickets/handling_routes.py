"""The closed loop over HTTP: `POST /api/tickets/{number}/{action}` (dispatch, accept, return,
reply, resolve, extend, close) and a unit's inbox `GET /api/units/orders`.

The caller is a unit account, a supervisor (bearer token from POST /api/agent/login) or the
external ticket system (the API key); `actor_of` (the composition root's) resolves which. Units
see citizens' phone numbers masked; revealing one to call back is an event of its own."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection

from api.deps import Caller, UnitOfDep, WorkOrdersDep
from core.bounded_route import bounded_route, detail_response
from core.pii import mask_phone, mask_pii
from tickets.crud import WorkOrderFilter, WorkOrderNotFound, WorkOrderRepository
from tickets.handling import ACTIONS, ActionForbidden, ActionInvalid, Actor, Outcome, WorkOrderHandling
from tickets.lifecycle import IllegalTransition
from tickets.models import Status, WorkOrder

ActorDependency = Callable[..., Awaitable[Actor]]
ChangeListener = Callable[[Outcome], Awaitable[None]]
UnitSearch = Callable[[str | None, str | None, str | None], list[dict]]  # (q, level, district) -> units
INBOX_DEFAULT = [Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED, Status.RESOLVED]


@contextmanager
def as_http_errors(number: str) -> Iterator[None]:
    """The closed loop's refusals as HTTP errors: 404 unknown order, 403 not this caller's,
    422 a bad body; an illegal transition is 409 (answered by the caller, with the status)."""
    try:
        yield
    except WorkOrderNotFound:
        raise HTTPException(404, f"no work order {number}") from None
    except ActionForbidden as exc:
        raise HTTPException(403, str(exc)) from None
    except ActionInvalid as exc:
        raise HTTPException(422, str(exc)) from None


def order_for(actor: Actor, order: WorkOrder, unit: dict | None, reveal: bool = False) -> dict[str, Any]:
    """The order as `actor` may see it: units get the citizen's phone and name masked (and any
    personal data inside the citizen's words) unless `reveal`; the centre sees all."""
    body = order.to_json(unit)
    if actor.kind == "unit" and not reveal:
        body["contact_phone"] = mask_phone(order.contact_phone) if order.contact_phone else None
        body["contact_name"] = (
            (order.contact_name[0] + "*" * (len(order.contact_name) - 1)) if order.contact_name else None
        )
        body["description"] = mask_pii(order.description)
        body["address"] = mask_pii(order.address) if order.address else None
    return body


async def get_handling(conn: HTTPConnection) -> WorkOrderHandling:
    return conn.app.state.handling


async def get_on_change(conn: HTTPConnection) -> ChangeListener:
    """What a change of an order is told to (the agents' consoles, the citizen)."""
    return conn.app.state.on_work_order_change


async def get_list_units(conn: HTTPConnection) -> UnitSearch:
    return conn.app.state.list_units


HandlingDep = Annotated[WorkOrderHandling, Depends(get_handling)]
ChangeListenerDep = Annotated[ChangeListener, Depends(get_on_change)]
ListUnitsDep = Annotated[UnitSearch, Depends(get_list_units)]

router = APIRouter(
    tags=["closed loop"],
    route_class=bounded_route(),
    responses={
        401: detail_response("an API key or a unit/supervisor token is required"),
        403: detail_response("the caller may not do this"),
        404: detail_response("no such work order"),
    },
)


@router.post(
    "/api/tickets/{number}/{action}",
    responses={
        409: {"description": "illegal_transition: the order's status does not allow this action"},
        422: detail_response("a missing or invalid field"),
    },
)
async def act(
    number: str,
    action: str,
    caller: Caller,
    handling: HandlingDep,
    unit_of: UnitOfDep,
    on_change: ChangeListenerDep,
    body: Annotated[dict | None, Body()] = None,
) -> Any:
    """One step of the closed loop; 200 with the updated order."""
    if action not in ACTIONS:
        raise HTTPException(404, f"no action {action!r}; one of {', '.join(ACTIONS)}")
    try:
        with as_http_errors(number):
            outcome = await asyncio.to_thread(handling.perform, number, action, body, caller)
    except IllegalTransition as exc:
        return JSONResponse(
            {"detail": str(exc), "error": "illegal_transition", "status": exc.current.value}, status_code=409
        )
    await on_change(outcome)
    return order_for(caller, outcome.order, unit_of(outcome.order.unit_code or ""))


@router.get("/api/units/orders")
async def inbox(
    caller: Caller,
    repo: WorkOrdersDep,
    unit_of: UnitOfDep,
    status: Annotated[list[Status] | None, Query()] = None,
    unit: Annotated[str | None, Query(max_length=24)] = None,
    overdue: bool | None = None,
    extension: Annotated[bool | None, Query(description="true: orders whose unit asked for more time")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict:
    """A unit's work orders, the nearest deadline first (a supervisor or the API key names
    the unit with `?unit=CODE`; without it they see every unit's: the dispatcher's view of
    returned, undispatched, overdue orders and extension requests)."""
    if caller.kind == "unit":
        if unit is not None and unit != caller.unit_code:
            raise HTTPException(403, "a unit account sees its own unit's orders only")
        unit = caller.unit_code
    elif caller.kind not in ("supervisor", "api"):
        raise HTTPException(403, "this needs a unit or supervisor account")
    flt = WorkOrderFilter(
        status=[s.value for s in (status or INBOX_DEFAULT)],
        unit=unit,
        overdue=overdue,
        extension_requested=extension,
    )
    total, rows = await asyncio.to_thread(repo.search, flt, (page - 1) * page_size, page_size, "deadline")
    return {
        "unit": unit_of(unit) if unit else None,
        "total": total,
        "page": page,
        "page_size": page_size,
        "items": [order_for(caller, o, unit_of(o.unit_code or "")) for o in rows],
    }


@router.get("/api/units")
async def units(
    caller: Caller,
    list_units: ListUnitsDep,
    q: Annotated[str | None, Query(max_length=40)] = None,
    level: Annotated[str | None, Query(pattern="^(street|district|city|utility)$")] = None,
    district: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict:
    """The handling units, for a dispatcher's picker (`q` matches code or name)."""
    if caller.kind not in ("supervisor", "api"):
        raise HTTPException(403, "this needs a supervisor account or the API key")
    rows = await asyncio.to_thread(list_units, q, level, district)
    return {"items": rows[:limit], "total": len(rows)}


@router.get("/api/units/orders/{number}")
async def order_detail(number: str, caller: Caller, repo: WorkOrdersDep, unit_of: UnitOfDep) -> dict:
    """One order with its event log, as the caller may see it."""
    order, events = await _readable(repo, number, caller)
    return {**order_for(caller, order, unit_of(order.unit_code or "")), "events": [_event_json(e) for e in events]}


@router.post("/api/units/orders/{number}/contact")
async def reveal_contact(number: str, caller: Caller, repo: WorkOrdersDep, handling: HandlingDep) -> dict:
    """The citizen's phone and name, for a call back; recorded as an event with the caller."""
    order, _ = await _readable(repo, number, caller)
    await asyncio.to_thread(handling.mark, number, "contact_viewed", caller)
    return {"contact_name": order.contact_name, "contact_phone": order.contact_phone}


async def _readable(repo: WorkOrderRepository, number: str, caller: Actor):
    if caller.kind not in ("unit", "supervisor", "api"):
        raise HTTPException(403, "this needs a unit or supervisor account")
    try:
        order = await asyncio.to_thread(repo.get, number)
    except WorkOrderNotFound:
        raise HTTPException(404, f"no work order {number}") from None
    if caller.kind == "unit" and order.unit_code != caller.unit_code:
        raise HTTPException(403, "this work order belongs to another unit")
    return order, await asyncio.to_thread(repo.events, number)


def _event_json(event) -> dict:
    body = event.model_dump(mode="json", exclude={"id", "work_order_id"})
    if event.kind == "survey" or (event.actor or "").startswith("citizen"):
        body["note"] = mask_pii(event.note) if event.note else None
    return body
