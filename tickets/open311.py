"""Open311 GeoReport v2 under /open311/v2/, as `.json` or `.xml`. Fields beyond the spec
(district, urgency, department, deadline, request type …) are in each request's
`extended_attributes`. The GET routes are public: every free text in them goes out with personal
data masked (core/pii.py); e-mail and phone are masked, device ids never shown. Every error of
these routes is the spec's `[{code, description}]` (tickets/open311_format.py); POST is limited
per client address and in body size (core/bounded_route.py)."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from pydantic import ValidationError

from api.deps import ApiKeysDep, CatalogDep, WorkOrdersDep
from core.api_keys import is_valid_key
from core.bounded_route import bounded_route
from core.clock import iso_utc, utcnow
from core.db import saved_id
from core.pii import mask_phone, mask_pii
from core.rate_limit import KeyedBuckets
from tickets.category_catalog import CategoryCatalog
from tickets.crud import WorkOrderFilter, WorkOrderNotFound, WorkOrderRepository
from tickets.dispatch import dispatch
from tickets.lifecycle import OPEN_STATUSES
from tickets.models import STATUS_LABELS, Open311Submission, Status, WorkOrder
from tickets.open311_format import Open311Errors, error, errors_for, render
from tickets.open311_models import CreatedRequest, Service, ServiceDefinition, ServiceRequest, SubmissionFields
from tickets.schemas import BEIJING_DISTRICTS, WorkOrderCreate

MAX_RESULTS = 1000  # the spec: at most 1000 requests per query
DEFAULT_WINDOW = timedelta(days=90)  # the spec: without dates, the most recent 90 days
Fmt = Literal["json", "xml"]
_XML = {"text/xml": {"schema": {"type": "string"}}}
_STATUSES = ("open", "closed")


def status_notes(order: WorkOrder) -> str:
    """The workflow status in words, with the unit's result once there is one (personal data masked)."""
    label = STATUS_LABELS[Status(order.status)]
    return f"{label}：{mask_pii(order.result)}" if order.result else label


def request_json(order: WorkOrder, catalog: CategoryCatalog, extra: Open311Submission | None = None) -> dict:
    """The public view of a work order: phone, ID, bank card, plate numbers and e-mail masked."""
    category = catalog.get(order.category_code or "")
    return {
        "service_request_id": order.number,
        "status": "open" if Status(order.status) in OPEN_STATUSES else "closed",
        "status_notes": status_notes(order),
        "service_name": category.name if category else None,
        "service_code": order.category_code,
        "description": mask_pii(order.description),
        "agency_responsible": order.department,
        "service_notice": None,
        "requested_datetime": iso_utc(order.created_at),
        "updated_datetime": iso_utc(order.updated_at),
        "expected_datetime": iso_utc(order.deadline),
        "address": mask_pii(" ".join(p for p in (order.district, order.street, order.address) if p)) or None,
        "address_id": None,
        "zipcode": None,
        "lat": order.lat,
        "long": order.lon,
        "media_url": extra.media_url if extra else None,
        "extended_attributes": {
            "request_type": order.request_type,
            "district": order.district,
            "street": order.street,
            "urgency": order.urgency,
            "deadline": iso_utc(order.deadline),
            "emergency": order.emergency,
            "category_path": order.category_path,
            "workflow_status": order.status,
            "channel": order.channel,
            "contact_phone": mask_phone(order.contact_phone) if order.contact_phone else None,
            "contact_email": mask_pii(extra.email) if extra and extra.email else None,
        },
    }


def comma_list(value: str | None, limit: int = MAX_RESULTS) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()][:limit]


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def date_window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime | None]:
    """The spec's default: the 90 days before end_date (or now) when start_date is not given."""
    start, end = (as_utc(d) if d else None for d in (start, end))
    if start is None:
        try:
            start = (end or utcnow()) - DEFAULT_WINDOW
        except OverflowError:  # an end_date in year 1
            start = datetime.min.replace(tzinfo=UTC)
    return start, end


def _ok(schema: type, status: int = 200) -> dict:
    return {status: {"model": schema, "content": _XML}}


def _post_limit(request: Request) -> KeyedBuckets | None:
    """The per-address buckets of POST requests.json (create_app puts them on app.state)."""
    return getattr(request.app.state, "open311_posts", None)


_errors = Open311Errors()
router = APIRouter(
    prefix="/open311/v2", tags=["open311"], route_class=bounded_route(errors=_errors), responses=errors_for(400, 404)
)
_posts = APIRouter(route_class=bounded_route(per_address=_post_limit, errors=_errors))


@router.get("/services.{fmt}", response_model=list[Service], responses=_ok(list[Service]))
def services(fmt: Fmt, catalog: CatalogDep) -> Response:
    body = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": " / ".join(c.path),
            "metadata": True,
            "type": "realtime",
            "keywords": ",".join(c.keywords),
            "group": c.path[0],
        }
        for c in catalog
    ]
    return render(fmt, "services", body)


@router.get("/services/{code}.{fmt}", response_model=ServiceDefinition, responses=_ok(ServiceDefinition))
def service_definition(code: str, fmt: Fmt, catalog: CatalogDep) -> Response:
    if catalog.get(code) is None:
        return error(fmt, 404, f"unknown service_code {code}")
    district_values = [{"key": d, "name": d} for d in BEIJING_DISTRICTS]
    return render(
        fmt,
        "service_definition",
        {
            "service_code": code,
            "attributes": [
                {
                    "variable": True,
                    "code": "district",
                    "datatype": "singlevaluelist",
                    "required": False,
                    "datatype_description": "Beijing district",
                    "order": 1,
                    "description": "所在区",
                    "values": district_values,
                },
                {
                    "variable": True,
                    "code": "street",
                    "datatype": "string",
                    "required": False,
                    "datatype_description": "street office or town",
                    "order": 2,
                    "description": "街道/乡镇",
                    "values": [],
                },
                {
                    "variable": True,
                    "code": "request_type",
                    "datatype": "singlevaluelist",
                    "required": False,
                    "datatype_description": "kind of request",
                    "order": 3,
                    "description": "诉求类型",
                    "values": [
                        {"key": t, "name": t}
                        for t in ("complain", "report", "seek_help", "suggest", "praise", "consult")
                    ],
                },
            ],
        },
    )


def public_requests(repo: WorkOrderRepository, catalog: CategoryCatalog, orders: list[WorkOrder]) -> list[dict]:
    """The public views of work orders, with what their Open311 submissions added (e-mail, media)."""
    extras = repo.submissions([saved_id(o) for o in orders])
    return [request_json(o, catalog, extras.get(saved_id(o))) for o in orders]


def search_requests(repo: WorkOrderRepository, catalog: CategoryCatalog, flt: WorkOrderFilter) -> list[dict]:
    return public_requests(repo, catalog, repo.search(flt, 0, MAX_RESULTS)[1])


@router.get("/requests.{fmt}", response_model=list[ServiceRequest], responses=_ok(list[ServiceRequest]))
async def list_requests(
    fmt: Fmt,
    repo: WorkOrdersDep,
    catalog: CatalogDep,
    service_request_id: Annotated[
        str | None, Query(description="comma-separated; overrides every other parameter")
    ] = None,
    service_code: Annotated[str | None, Query(description="comma-separated codes (or code prefixes)")] = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Annotated[str | None, Query(description="open, closed or open,closed")] = None,
) -> Response:
    if service_request_id is not None:
        numbers = comma_list(service_request_id)
        found = (
            await asyncio.to_thread(search_requests, repo, catalog, WorkOrderFilter(numbers=numbers)) if numbers else []
        )
        return render(fmt, "service_requests", found)
    wanted = set(comma_list(status)) or set(_STATUSES)
    if not wanted <= set(_STATUSES):
        return error(fmt, 400, "status must be open, closed or open,closed")
    statuses = [s.value for s in Status if ("open" if s in OPEN_STATUSES else "closed") in wanted]
    start, end = date_window(start_date, end_date)
    flt = WorkOrderFilter(
        status=statuses, categories=comma_list(service_code) or None, created_from=start, created_to=end
    )
    return render(fmt, "service_requests", await asyncio.to_thread(search_requests, repo, catalog, flt))


@router.get("/requests/{number}.{fmt}", response_model=list[ServiceRequest], responses=_ok(list[ServiceRequest]))
async def get_request(number: str, fmt: Fmt, repo: WorkOrdersDep, catalog: CatalogDep) -> Response:
    try:
        order = await asyncio.to_thread(repo.get, number)
    except WorkOrderNotFound:
        return error(fmt, 404, f"no service request {number}")
    return render(fmt, "service_requests", await asyncio.to_thread(public_requests, repo, catalog, [order]))


@_posts.post(
    "/requests.{fmt}",
    status_code=201,
    response_model=list[CreatedRequest],
    responses={**_ok(list[CreatedRequest], 201), **errors_for(400, 403, 404, 413, 429)},
)
async def create_request(
    fmt: Fmt,
    api_key: Annotated[str, Form()],
    service_code: Annotated[str, Form()],
    description: Annotated[str, Form()],
    repo: WorkOrdersDep,
    catalog: CatalogDep,
    api_keys: ApiKeysDep,
    address_string: Annotated[str | None, Form()] = None,
    lat: Annotated[float | None, Form()] = None,
    long: Annotated[float | None, Form()] = None,
    email: Annotated[str | None, Form()] = None,
    device_id: Annotated[str | None, Form()] = None,
    account_id: Annotated[str | None, Form()] = None,
    first_name: Annotated[str | None, Form()] = None,
    last_name: Annotated[str | None, Form()] = None,
    phone: Annotated[str | None, Form()] = None,
    media_url: Annotated[str | None, Form()] = None,
    district: Annotated[str | None, Form(alias="attribute[district]")] = None,
    street: Annotated[str | None, Form(alias="attribute[street]")] = None,
    request_type: Annotated[str, Form(alias="attribute[request_type]")] = "complain",
) -> Response:
    if not is_valid_key(api_key, api_keys):
        raise HTTPException(403, "invalid api_key")
    category = catalog.get(service_code)
    if category is None:
        return error(fmt, 400, f"unknown service_code {service_code}")
    name = "".join(p for p in (last_name, first_name) if p) or None
    try:
        data = WorkOrderCreate(
            request_type=request_type,
            description=description,
            district=district,
            street=street,
            address=address_string,
            lat=lat,
            lon=long,
            contact_name=name,
            contact_phone=phone,
            channel="open311",
        )
        data = dispatch(data, catalog, utcnow(), category)
        extra = SubmissionFields(email=email, media_url=media_url, device_id=device_id, account_id=account_id)
    except ValidationError as exc:
        return error(fmt, 400, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    submission = Open311Submission(**extra.model_dump()) if any(extra.model_dump().values()) else None
    order = await asyncio.to_thread(repo.create, data, "open311", submission)
    created = [{"service_request_id": order.number, "service_notice": None, "account_id": account_id}]
    return render(fmt, "service_requests", created, 201)


router.include_router(_posts)


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
def unknown(rest: str) -> Response:
    return error("xml" if rest.endswith(".xml") else "json", 404, "no such Open311 resource")
