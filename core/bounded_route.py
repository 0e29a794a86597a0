"""A FastAPI route class for public JSON endpoints: the body is refused with 413 above a size
limit before anything parses it (declared Content-Length or counted while streaming), and
validation errors answer 422 without echoing the input back (no `input`/`ctx` keys: a refused
body may be huge or carry personal data)."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import Message

DEFAULT_MAX_BODY_BYTES = 64 * 1024


def bounded_route(max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> type[APIRoute]:
    """The route class to give an APIRouter(route_class=...)."""

    class BoundedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def bounded(request: Request) -> Response:
                declared = request.headers.get("content-length")
                if declared is not None and (not declared.isdigit() or int(declared) > max_body_bytes):
                    return too_large(max_body_bytes)
                body = bytearray()
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > max_body_bytes:
                        return too_large(max_body_bytes)

                async def replay() -> Message:
                    return {"type": "http.request", "body": bytes(body), "more_body": False}

                try:
                    return await handler(Request(request.scope, replay))
                except RequestValidationError as exc:
                    return JSONResponse({"detail": without_input(exc.errors())}, status_code=422)

            return bounded

    return BoundedRoute


def too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": f"request body larger than {limit} bytes"}, status_code=413)


def without_input(errors: Any) -> list[dict]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in errors
    ]
