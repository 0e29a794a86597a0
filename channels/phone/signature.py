"""Twilio-style request signatures on the telephony webhooks (`X-Twilio-Signature`): base64 of
HMAC-SHA1, keyed with the account's auth token, over the full URL the provider requested followed
by every POST parameter as name + value, sorted by name. With HOTLINE_TWILIO_AUTH_TOKEN set, the
phone webhooks and the /ws/media upgrade refuse unsigned or wrongly signed requests (403); the
caller number a call carries is then proof of the caller's phone (work-order lookups by phone)."""

import base64
import hashlib
import hmac
from collections.abc import Iterable

from starlette.requests import HTTPConnection

HEADER = "X-Twilio-Signature"


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]] = ()) -> str:
    data = url + "".join(name + value for name, value in sorted(params, key=lambda p: p[0]))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def public_origin(conn: HTTPConnection) -> tuple[str, str]:
    """(http|https, host) as the provider sees the gateway (a proxy passes X-Forwarded-Proto / -Host)."""
    proto = conn.headers.get("x-forwarded-proto", "https" if conn.url.scheme in ("https", "wss") else "http")
    host = conn.headers.get("x-forwarded-host") or conn.headers.get("host", conn.url.netloc)
    return proto, host


def public_url(conn: HTTPConnection, websocket: bool = False) -> str:
    """The URL as the provider requested it."""
    proto, host = public_origin(conn)
    if websocket:
        proto = "wss" if proto == "https" else "ws"
    query = f"?{conn.url.query}" if conn.url.query else ""
    return f"{proto}://{host}{conn.url.path}{query}"


def signature_ok(
    auth_token: str | None, conn: HTTPConnection, params: Iterable[tuple[str, str]] = (), websocket: bool = False
) -> bool:
    """True without a configured token (unsigned deployments, e.g. a PBX on a private network)."""
    if not auth_token:
        return True
    expected = twilio_signature(auth_token, public_url(conn, websocket), params)
    return hmac.compare_digest(conn.headers.get(HEADER, ""), expected)
