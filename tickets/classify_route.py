"""`POST /api/classify`: what kind of request a text is, its category, the responsible unit, the
urgency and the district — the same decisions the work-order intake makes. The request type of a
short turn may come from the dialogue engine's intent; longer texts (letters, operator-written
orders) get the request-type model's (tickets/request_type.py) without asking the engine. Bodies
over 64 KiB are refused (413) before parsing; bad input is a 422 that does not echo the text back;
too many requests from one address are a 429 with Retry-After."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, StringConstraints, field_validator
from starlette.requests import HTTPConnection

from api.deps import CatalogDep, CategoryOfDep, GazetteerDep
from core.bounded_route import LIMIT_RESPONSES, bounded_route
from core.clock import utcnow
from core.rate_limit import KeyedBuckets
from normalize.text import has_control_characters
from tickets.dispatch import dispatch
from tickets.request_type import is_short_turn
from tickets.schemas import WorkOrderCreate


class ClassifyRequest(BaseModel):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2000)]

    @field_validator("text")
    @classmethod
    def no_control_characters(cls, v: str) -> str:
        if has_control_characters(v):
            raise ValueError("text contains control characters (other than line breaks and tabs)")
        return v


class ClassifyResponse(BaseModel):
    request_type: str
    category: list[str] = Field(description="level 1 .. level 3 names; empty when unclassifiable")
    category_code: str | None
    department: str
    urgency: str
    district: str | None
    street: str | None


async def get_intent_of(conn: HTTPConnection) -> Callable[[str], Awaitable[str | None]]:
    """The dialogue engine's intent of a text (None when it cannot say)."""
    return conn.app.state.intent_of


async def get_request_type_of(conn: HTTPConnection) -> Callable[[str, str | None], str]:
    """`request_type_of(text, intent)`: the request type (RequestTypeModel.decide)."""
    return conn.app.state.request_type_of


def _classify_limit(request: Request) -> KeyedBuckets | None:
    return getattr(request.app.state, "classify_limit", None)


IntentOfDep = Annotated[Callable[[str], Awaitable[str | None]], Depends(get_intent_of)]
RequestTypeOfDep = Annotated[Callable[[str, str | None], str], Depends(get_request_type_of)]

router = APIRouter(tags=["classify"], route_class=bounded_route(per_address=_classify_limit))


@router.post("/api/classify", responses=LIMIT_RESPONSES)
async def classify(
    body: ClassifyRequest,
    catalog: CatalogDep,
    gazetteer: GazetteerDep,
    category_of: CategoryOfDep,
    intent_of: IntentOfDep,
    request_type_of: RequestTypeOfDep,
) -> ClassifyResponse:
    intent = await intent_of(body.text) if is_short_turn(body.text) else None
    request_type = await asyncio.to_thread(request_type_of, body.text, intent)  # jieba on up to 2,000 chars
    place = gazetteer.resolve(body.text)
    district = place.district if place else None
    street = place.street if place else None
    code = await asyncio.to_thread(category_of, body.text)  # an e5 embedding: off the event loop
    draft = WorkOrderCreate(request_type=request_type, description=body.text, district=district, street=street)
    decided = dispatch(draft, catalog, utcnow(), catalog.get(code) if code else None)
    # A model trained on coarse labels: its code is coarser than any category the rules know.
    coarse = code if code is not None and decided.category_code is None else None
    return ClassifyResponse(
        request_type=request_type,
        category=list(catalog.path_of(coarse)) if coarse is not None else decided.category_path,
        category_code=coarse if coarse is not None else decided.category_code,
        department=decided.department,
        urgency=decided.urgency,
        district=district,
        street=street,
    )
