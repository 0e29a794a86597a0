"""API keys for the machine-to-machine APIs (tickets, Open311 POST, knowledge-base admin)."""

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, HTTPException


def is_valid_key(token: str, api_keys: frozenset[str]) -> bool:
    """Constant-time comparison on bytes (compare_digest refuses str with non-ASCII characters)."""
    if not token:
        return False
    given = token.encode("utf-8", "surrogatepass")
    return any(secrets.compare_digest(given, k.encode("utf-8", "surrogatepass")) for k in api_keys)


def has_bearer_key(authorization: str | None, api_keys: frozenset[str]) -> bool:
    """Whether an `Authorization` header value is `Bearer <one of the keys>`."""
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and is_valid_key(token, api_keys)


def require_bearer_key(authorization: str | None, api_keys: frozenset[str]) -> str:
    """The bearer API key of an `Authorization` header value; HTTP 401 without a valid one."""
    if not has_bearer_key(authorization, api_keys):
        raise HTTPException(401, "a valid bearer API key is required", headers={"WWW-Authenticate": "Bearer"})
    return (authorization or "").partition(" ")[2]


def bearer_key_dependency(api_keys: frozenset[str]) -> Callable[..., str]:
    """A FastAPI dependency returning the bearer API key of the request, or answering 401."""

    def require_key(authorization: Annotated[str | None, Header()] = None) -> str:
        return require_bearer_key(authorization, api_keys)

    return require_key
