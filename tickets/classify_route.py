"""`POST /api/classify`: what kind of request a text is, its category, the responsible unit, the
urgency and the district — the same decisions the work-order intake makes. Bodies over 64 KiB
are refused (413) before parsing; bad input is a 422 that does not echo the text back; too many
requests from one address are a 429 with Retry-After."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints, field_validator

from core.bounded_route import LIMIT_RESPONSES, bounded_route
from core.clock import utcnow
from normalize.text import has_control_characters
from core.rate_limit import KeyedBuckets
from places.gazetteer import Gazetteer
from tickets.category_catalog import CategoryCatalog
from tickets.dispatch import dispatch
from tickets.models import REQUEST_TYPES
from tickets.schemas import WorkOrderCreate

# Used when the dialogue engine cannot say: the words that name a request type.
REQUEST_TYPE_WORDS = (("report", "举报"), ("praise", "表扬"), ("suggest", "建议"), ("consult", "咨询"),
                      ("consult", "怎么办"), ("seek_help", "求助"), ("seek_help", "帮忙"))  # fmt: skip


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


def guess_request_type(text: str) -> str:
    return next((kind for kind, word in REQUEST_TYPE_WORDS if word in text), "complain")


def build_classify_router(
    catalog: CategoryCatalog,
    gazetteer: Gazetteer,
    category_of: Callable[[str], str | None],
    intent_of: Callable[[str], Awaitable[str | None]],
    per_address: KeyedBuckets | None = None,
) -> APIRouter:
    api = APIRouter(tags=["classify"], route_class=bounded_route(per_address=per_address))

    @api.post("/api/classify", responses=LIMIT_RESPONSES)
    async def classify(body: ClassifyRequest) -> ClassifyResponse:
        intent = await intent_of(body.text)
        request_type = intent if intent in REQUEST_TYPES else guess_request_type(body.text)
        place = gazetteer.resolve(body.text)
        district = place.district if place else None
        street = place.street if place else None
        code = await asyncio.to_thread(category_of, body.text)  # an e5 embedding: off the event loop
        draft = WorkOrderCreate(request_type=request_type, description=body.text, district=district, street=street)
        decided = dispatch(draft, catalog, utcnow(), catalog.get(code) if code else None)
        coarse = code is not None and decided.category_code is None  # a model trained on coarse labels
        return ClassifyResponse(
            request_type=request_type,
            category=list(catalog.path_of(code)) if coarse else decided.category_path,
            category_code=code if coarse else decided.category_code,
            department=decided.department,
            urgency=decided.urgency,
            district=district,
            street=street,
        )

    return api
