"""Open311 GeoReport v2 under /open311/v2/ (JSON). Fields beyond the spec (district, urgency,
department, deadline, request type …) are in each request's `extended_attributes`. The GET
routes are public: every free text in them goes out with personal data masked (core/pii.py)."""

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from core.api_keys import is_valid_key
from core.clock import iso_utc, utcnow
from core.pii import mask_phone, mask_pii
from tickets.category_catalog import CategoryCatalog
from tickets.crud import WorkOrderFilter, WorkOrderNotFound, WorkOrderRepository
from tickets.dispatch import dispatch
from tickets.lifecycle import OPEN_STATUSES
from tickets.models import Status, WorkOrder
from tickets.schemas import BEIJING_DISTRICTS, WorkOrderCreate


def request_json(order: WorkOrder, catalog: CategoryCatalog) -> dict:
    """The public view of a work order: phone, ID, bank card and plate numbers masked."""
    category = catalog.get(order.category_code or "")
    return {
        "service_request_id": order.number,
        "status": "open" if Status(order.status) in OPEN_STATUSES else "closed",
        "status_notes": None,
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
        "media_url": None,
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
        },
    }


def build_open311_router(repo: WorkOrderRepository, catalog: CategoryCatalog, api_keys: frozenset[str]) -> APIRouter:
    api = APIRouter(prefix="/open311/v2", tags=["open311"])

    def error(status: int, description: str) -> JSONResponse:
        """Open311 errors: a list of {code, description}."""
        return JSONResponse([{"code": status, "description": description}], status_code=status)

    @api.get("/services.json")
    def services() -> list[dict]:
        return [
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

    @api.get("/services/{code}.json", response_model=None)
    def service_definition(code: str) -> dict | JSONResponse:
        if catalog.get(code) is None:
            return error(404, f"unknown service_code {code}")
        district_values = [{"key": d, "name": d} for d in BEIJING_DISTRICTS]
        return {
            "service_code": code,
            "attributes": [
                {"variable": True, "code": "district", "datatype": "singlevaluelist", "required": False,
                 "datatype_description": "Beijing district", "order": 1, "description": "所在区", "values": district_values},
                {"variable": True, "code": "street", "datatype": "string", "required": False,
                 "datatype_description": "street office or town", "order": 2, "description": "街道/乡镇", "values": []},
                {"variable": True, "code": "request_type", "datatype": "singlevaluelist", "required": False,
                 "datatype_description": "kind of request", "order": 3, "description": "诉求类型",
                 "values": [{"key": t, "name": t} for t in ("complain", "report", "seek_help", "suggest", "praise", "consult")]},
            ],
        }  # fmt: skip

    @api.get("/requests.json")
    async def list_requests(
        service_request_id: str | None = None,
        service_code: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        status: Annotated[str | None, Query(pattern="^(open|closed)(,(open|closed))?$")] = None,
    ) -> list[dict]:
        if service_request_id:
            numbers = [n.strip() for n in service_request_id.split(",") if n.strip()]
            found = []
            for number in numbers:
                try:
                    found.append(await asyncio.to_thread(repo.get, number))
                except WorkOrderNotFound:
                    continue
            return [request_json(o, catalog) for o in found]
        wanted = set((status or "open,closed").split(","))
        statuses = [s.value for s in Status if ("open" if s in OPEN_STATUSES else "closed") in wanted]
        flt = WorkOrderFilter(status=statuses, category=service_code, created_from=start_date, created_to=end_date)
        _, rows = await asyncio.to_thread(repo.search, flt, 0, 1000)
        return [request_json(o, catalog) for o in rows]

    @api.get("/requests/{number}.json", response_model=None)
    async def get_request(number: str) -> list[dict] | JSONResponse:
        try:
            return [request_json(await asyncio.to_thread(repo.get, number), catalog)]
        except WorkOrderNotFound:
            return error(404, f"no service request {number}")

    @api.post("/requests.json", response_model=None)
    async def create_request(
        api_key: Annotated[str, Form()],
        service_code: Annotated[str, Form()],
        description: Annotated[str, Form()],
        address_string: Annotated[str | None, Form()] = None,
        lat: Annotated[float | None, Form()] = None,
        long: Annotated[float | None, Form()] = None,
        first_name: Annotated[str | None, Form()] = None,
        last_name: Annotated[str | None, Form()] = None,
        phone: Annotated[str | None, Form()] = None,
        district: Annotated[str | None, Form(alias="attribute[district]")] = None,
        street: Annotated[str | None, Form(alias="attribute[street]")] = None,
        request_type: Annotated[str, Form(alias="attribute[request_type]")] = "complain",
    ) -> JSONResponse:
        if not is_valid_key(api_key, api_keys):
            return error(403, "invalid api_key")
        category = catalog.get(service_code)
        if category is None:
            return error(400, f"unknown service_code {service_code}")
        name = "".join(p for p in (last_name, first_name) if p) or None
        try:
            data = WorkOrderCreate(
                request_type=request_type, description=description, district=district, street=street,
                address=address_string, lat=lat, lon=long, contact_name=name, contact_phone=phone, channel="open311",
            )  # fmt: skip
            data = dispatch(data, catalog, utcnow(), category)
        except ValidationError as exc:
            return error(400, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        order = await asyncio.to_thread(repo.create, data, "open311")
        return JSONResponse([{"service_request_id": order.number, "service_notice": None, "account_id": None}], 201)

    return api

