"""`/api/tickets`: create, list (filters, paging) and read work orders. Bearer API key.

A list by `phone` needs `phone_proof`, the gateway's signature of a number a channel verified
(core/phone_proof.py): the key alone does not let the dialogue list a stranger's work orders."""

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from api.deps import CatalogDep, CategoryOfDep, PhoneProofDep, UnitOfDep, WorkOrdersDep, require_api_key
from core.bounded_route import detail_response
from core.clock import utcnow
from tickets.crud import (
    COUNT_CAP,
    WorkOrderFilter,
    WorkOrderNotFound,
)
from tickets.dispatch import dispatch
from tickets.models import Status, WorkOrder
from tickets.schemas import BEIJING_DISTRICTS, WorkOrderCreate

MAX_PAGE = 100_000  # deeper pages are refused (422), not computed into an overflowing offset


def public(order: WorkOrder, unit_of: Callable[[str], dict | None]) -> dict:
    """The order's JSON with its unit's {code, name, level} (from the registry)."""
    return order.to_json(unit_of(order.unit_code or ""))


router = APIRouter(prefix="/api/tickets", tags=["tickets"], dependencies=[Depends(require_api_key)],
                   responses={401: detail_response("a valid bearer API key is required"),
                              422: detail_response("invalid input (a list of errors, or one message)")})  # fmt: skip


@router.post("", status_code=201)
async def create(
    data: WorkOrderCreate, repo: WorkOrdersDep, catalog: CatalogDep, category_of: CategoryOfDep, unit_of: UnitOfDep
) -> dict:
    """Create a work order; category, responsible unit and urgency are filled when missing."""
    if data.category_code and catalog.get(data.category_code) is None:
        raise HTTPException(422, f"unknown category_code {data.category_code}")
    code = data.category_code or await asyncio.to_thread(category_of, data.description)
    data = dispatch(data, catalog, utcnow(), catalog.get(code) if code else None)
    order = await asyncio.to_thread(repo.create, data, f"api:{data.channel}")
    return public(order, unit_of)


@router.get("", responses={403: detail_response("a lookup by phone without a valid phone_proof")})
async def list_tickets(
    repo: WorkOrdersDep,
    proofs: PhoneProofDep,
    unit_of: UnitOfDep,
    status: Annotated[list[Status] | None, Query()] = None,
    district: Annotated[str | None, Query()] = None,
    category: Annotated[str | None, Query(pattern=r"^\d{2,6}$")] = None,
    request_type: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    overdue: bool | None = None,
    conversation_id: str | None = None,
    phone: str | None = None,
    phone_proof: str | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict:
    if phone is not None and (proofs is None or not proofs.verify(phone, phone_proof)):
        raise HTTPException(403, "a lookup by phone needs the proof of a number the channel verified")
    if district is not None and district not in BEIJING_DISTRICTS:
        raise HTTPException(422, "district must be one of Beijing's 16 districts")
    flt = WorkOrderFilter(
        status=[s.value for s in status] if status else None,
        district=district,
        category=category,
        request_type=request_type,
        created_from=date_from,
        created_to=date_to,
        overdue=overdue,
        conversation_id=conversation_id,
        phone=phone,
    )
    total, rows = await asyncio.to_thread(repo.search, flt, (page - 1) * page_size, page_size)
    return {
        "total": total,
        "total_is_lower_bound": total >= COUNT_CAP,
        "page": page,
        "page_size": page_size,
        "items": [public(o, unit_of) for o in rows],
    }


@router.get("/{number}", responses={404: detail_response("no such work order")})
async def get_ticket(number: str, repo: WorkOrdersDep, unit_of: UnitOfDep) -> dict:
    try:
        order = await asyncio.to_thread(repo.get, number)
    except WorkOrderNotFound:
        raise HTTPException(404, f"no work order {number}") from None
    events = await asyncio.to_thread(repo.events, number)
    return {
        **public(order, unit_of),
        "events": [e.model_dump(mode="json", exclude={"id", "work_order_id"}) for e in events],
    }
