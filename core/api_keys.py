"""API keys for the machine-to-machine APIs (tickets, Open311 POST, knowledge-base admin)."""

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, HTTPException


def is_valid_key(token: str, api_keys: frozenset[str]) -> bool:
    return bool(token) and any(secrets.compare_digest(token, k) for k in api_keys)


def bearer_key_dependency(api_keys: frozenset[str]) -> Callable[..., str]:
    """A FastAPI dependency returning the bearer API key of the request, or answering 401."""

    def require_key(authorization: Annotated[str | None, Header()] = None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not is_valid_key(token, api_keys):
            raise HTTPException(401, "a valid bearer API key is required", headers={"WWW-Authenticate": "Bearer"})
        return token

    return require_key
