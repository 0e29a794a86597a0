"""GeoReport v2 wire formats: the same data as JSON or XML (element names as the spec:
`<services><service>`, `<service_definition>`, `<service_requests><request>`), and errors as the
spec says: `[{"code", "description"}]` or `<errors><error><code/><description/></error></errors>`,
with the HTTP status of the error."""

import xml.etree.ElementTree as ET
from typing import Any, Literal

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse

Format = Literal["json", "xml"]
FORMATS: tuple[str, ...] = ("json", "xml")
XML_MEDIA_TYPE = "text/xml; charset=utf-8"
# The element of one entry of a list, by the list's name (the spec's plurals and ours).
_ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "category_path": "name",
}
_REASONS = {
    400: "bad request",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    413: "request too large",
    429: "too many requests",
}


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        name = _ITEM_NAMES.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, name), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(fmt: str, root: str, value: Any, status_code: int = 200, headers: dict | None = None) -> Response:
    """`value` as JSON, or as XML under the element `root` (a list's entries named after it)."""
    if fmt == "xml":
        return Response(to_xml(root, value), status_code=status_code, media_type=XML_MEDIA_TYPE, headers=headers)
    return JSONResponse(value, status_code=status_code, headers=headers)


def format_of(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


def error(fmt: str, status: int, description: str, headers: dict | None = None) -> Response:
    return render(fmt, "errors", [{"code": status, "description": description}], status, headers)


class Open311Errors:
    """The error renderer for core/bounded_route.py: every error of the Open311 routes in the
    spec's format (a bad parameter is 400, as the spec's examples; an unknown format suffix 404)."""

    def too_large(self, request: Request, limit: int) -> Response:
        return error(format_of(request), 413, f"request body larger than {limit} bytes")

    def rate_limited(self, request: Request, retry_after_s: int) -> Response:
        return error(format_of(request), 429, "too many requests, retry later", {"Retry-After": str(retry_after_s)})

    def invalid(self, request: Request, errors: list[dict]) -> Response:
        if any(e["loc"][:2] == ["path", "fmt"] for e in errors):
            return error("json", 404, "format must be .json or .xml")
        parts = [f"{e['loc'][-1] if e['loc'] else 'request'}: {e['msg']}" for e in errors]
        return error(format_of(request), 400, "; ".join(parts))

    def http_error(self, request: Request, exc: HTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else _REASONS.get(exc.status_code, "error")
        return error(format_of(request), exc.status_code, detail, dict(exc.headers or {}))


def error_schema(description: str) -> dict:
    """An OpenAPI `responses=` entry for an Open311 error status."""
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "description"],
                        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
                    },
                }
            },
            "text/xml": {"schema": {"type": "string"}},
        },
    }


def errors_for(*statuses: int) -> dict[int | str, dict]:
    return {status: error_schema(_REASONS.get(status, "error")) for status in statuses}
