"""Security headers on every HTTP response: no MIME sniffing, a referrer policy, and a Content
Security Policy per page. Scripts, styles and connections come from the gateway itself; only the
chat page `/` may be framed, by the sites listed in HOTLINE_WIDGET_ORIGINS (the widget embeds it
in an iframe); every other page (the agent console, the API) refuses to be framed."""

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WIDGET_PATHS = frozenset({"/"})
# FastAPI's API docs load Swagger UI / ReDoc from a CDN with an inline bootstrap script.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")

BASE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def widget_origins(value: str | None) -> tuple[str, ...]:
    """`HOTLINE_WIDGET_ORIGINS` (comma-separated `https://host[:port]`) → frame-ancestors sources."""
    origins = [o.strip().rstrip("/") for o in (value or "").split(",") if o.strip()]
    bad = [o for o in origins if o != "'self'" and not ORIGIN.match(o)]
    if bad:
        raise ValueError(f"HOTLINE_WIDGET_ORIGINS: not an origin (scheme://host[:port]): {', '.join(bad)}")
    return ("'self'", *(o for o in origins if o != "'self'"))


class SecurityHeaders:
    """Pure ASGI middleware (WebSockets and streamed responses pass untouched)."""

    def __init__(self, app: ASGIApp, frame_ancestors: tuple[str, ...] = ("'self'",)) -> None:
        self.app = app
        common = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")]
        ancestors = " ".join(frame_ancestors)
        self.widget = [*common, ("Content-Security-Policy", f"{BASE_POLICY}; frame-ancestors {ancestors}")]
        self.docs = [*common, ("Content-Security-Policy", DOCS_POLICY), ("X-Frame-Options", "DENY")]
        self.other = [
            *common,
            ("Content-Security-Policy", f"{BASE_POLICY}; frame-ancestors 'none'"),
            ("X-Frame-Options", "DENY"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        headers = self.widget if path in WIDGET_PATHS else self.docs if path in DOCS_PATHS else self.other

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                mutable = MutableHeaders(scope=message)
                for name, value in headers:
                    mutable[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
