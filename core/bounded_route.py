"""A FastAPI route class for public endpoints: an optional per-address rate limit (token buckets,
core/rate_limit.py: 429 with Retry-After, checked before the body is read), then the body is
refused with 413 above a size limit before anything parses it (declared Content-Length or counted
while streaming), and validation errors answer without echoing the input back (no `input`/`ctx`
keys: a refused body may be huge or carry personal data).

Errors are FastAPI's `{"detail": …}` by default; a router that speaks another error format (Open311)
passes its own `ErrorRenderer`, which then also renders the route's HTTPExceptions."""

import math
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import Message

from core.rate_limit import KeyedBuckets

DEFAULT_MAX_BODY_BYTES = 64 * 1024


class ErrorRenderer(Protocol):
    def too_large(self, request: Request, limit: int) -> Response: ...
    def rate_limited(self, request: Request, retry_after_s: int) -> Response: ...
    def invalid(self, request: Request, errors: list[dict]) -> Response: ...
    def http_error(self, request: Request, exc: HTTPException) -> Response | None:
        """None: let FastAPI's own handler answer."""


class DetailErrors:
    """FastAPI's error bodies: `{"detail": …}`."""

    def too_large(self, request: Request, limit: int) -> Response:
        return JSONResponse({"detail": f"request body larger than {limit} bytes"}, status_code=413)

    def rate_limited(self, request: Request, retry_after_s: int) -> Response:
        return JSONResponse(
            {"detail": "too many requests, retry later"}, status_code=429, headers={"Retry-After": str(retry_after_s)}
        )

    def invalid(self, request: Request, errors: list[dict]) -> Response:
        return JSONResponse({"detail": errors}, status_code=422)

    def http_error(self, request: Request, exc: HTTPException) -> Response | None:
        return None


def client_address(request: Request) -> str:
    """The peer address (behind a proxy, uvicorn's --forwarded-allow-ips makes it the real one)."""
    return request.client.host if request.client else "-"


# The per-address buckets of a route, or how to find them for a request (a module-level router
# reads the ones create_app put on `app.state`).
AddressLimit = KeyedBuckets | Callable[[Request], KeyedBuckets | None]


def bounded_route(
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    per_address: AddressLimit | None = None,
    errors: ErrorRenderer = DetailErrors(),
) -> type[APIRoute]:
    """The route class to give an APIRouter(route_class=...)."""

    class BoundedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def bounded(request: Request) -> Response:
                limit = per_address(request) if callable(per_address) else per_address
                if limit is not None and (wait := limit.get(client_address(request)).take()):
                    return errors.rate_limited(request, max(1, math.ceil(wait)))
                declared = request.headers.get("content-length")
                if declared is not None and (not declared.isdigit() or int(declared) > max_body_bytes):
                    return errors.too_large(request, max_body_bytes)
                body = bytearray()
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > max_body_bytes:
                        return errors.too_large(request, max_body_bytes)

                async def replay() -> Message:
                    return {"type": "http.request", "body": bytes(body), "more_body": False}

                try:
                    return await handler(Request(request.scope, replay))
                except RequestValidationError as exc:
                    return errors.invalid(request, without_input(exc.errors()))
                except HTTPException as exc:
                    if (answer := errors.http_error(request, exc)) is None:
                        raise
                    return answer

            return bounded

    return BoundedRoute


def without_input(errors: Any) -> list[dict]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in errors
    ]


def detail_response(description: str) -> dict:
    """An OpenAPI `responses=` entry for a FastAPI-style `{"detail": …}` error."""
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"type": "object", "required": ["detail"], "properties": {"detail": {}}}}
        },
    }


# The OpenAPI `responses=` of a bounded route with the default error bodies.
LIMIT_RESPONSES: dict[int | str, dict] = {
    400: detail_response("undecodable body"),
    413: detail_response("request body too large"),
    429: detail_response("too many requests from this address (see Retry-After)"),
}
