"""The one door from the actions to the gateway's HTTP API (the gateway owns all data)."""

import asyncio
import os
from typing import Any

import aiohttp


class GatewayUnavailable(Exception):
    pass


class NotFound(LookupError):
    pass


class Forbidden(GatewayUnavailable):
    """The gateway refused the request (403), e.g. a phone lookup without a valid proof."""


class GatewayClient:
    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout_s: float = 10.0) -> None:
        self.base_url = (base_url or os.environ.get("HOTLINE_GATEWAY_URL", "http://127.0.0.1:8000")).rstrip("/")
        self.api_key = api_key or os.environ.get("HOTLINE_API_KEY", "")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def create_work_order(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._request("POST", "/api/tickets", json=payload)

    async def get_work_order(self, number: str) -> dict[str, Any] | None:
        try:
            return await self._request("GET", f"/api/tickets/{number}")
        except NotFound:
            return None

    async def work_orders_of_phone(self, phone: str, proof: str, limit: int = 3) -> list[dict[str, Any]]:
        """Only for a number a channel verified: `proof` is the gateway's signature of it."""
        params = {"phone": phone, "phone_proof": proof, "page_size": limit}
        page = await self._request("GET", "/api/tickets", params=params)
        return page["items"]

    async def work_orders_of_conversation(self, conversation_id: str, limit: int = 3) -> list[dict[str, Any]]:
        """The work orders filed in this conversation (the citizen's own, newest first)."""
        page = await self._request(
            "GET", "/api/tickets", params={"conversation_id": conversation_id, "page_size": limit}
        )
        return page["items"]

    async def kb_search(self, text: str, context_article: str | None = None) -> dict[str, Any]:
        body = {"text": text[:500], "context_article": context_article, "top_k": 3}
        return await self._request("POST", "/api/kb/search", json=body)

    async def kb_article(self, article_id: str) -> dict[str, Any] | None:
        try:
            return await self._request("GET", f"/api/kb/articles/{article_id}")
        except NotFound:
            return None

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout, headers=headers) as session,
                session.request(method, self.base_url + path, **kwargs) as resp,
            ):
                body = await resp.json(content_type=None)
                if resp.status == 404:
                    raise NotFound(path)
                if resp.status == 403:
                    raise Forbidden(f"{method} {path}: HTTP 403: {str(body)[:300]}")
                if resp.status >= 400:
                    raise GatewayUnavailable(f"{method} {path}: HTTP {resp.status}: {str(body)[:300]}")
                return body
        # asyncio.TimeoutError (what aiohttp raises) is not the builtin TimeoutError on Python 3.10.
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise GatewayUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
