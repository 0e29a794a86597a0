"""A local HTTP server that speaks the Bot API methods the channel uses (getMe, getUpdates long
polling with offsets, sendMessage, sendVoice, sendChatAction, answerCallbackQuery, getFile and
file downloads, setWebhook, deleteWebhook), so the real aiogram client can be tested over HTTP."""

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.helpers import free_port


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeBotApi:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.pending: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        # method -> queued (HTTP status, error body) answers given before the real one
        self.failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.webhook: dict[str, Any] | None = None
        self._changed = asyncio.Condition()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(500)
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.url = ""

    async def start(self) -> "FakeBotApi":
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        async with self._changed:  # end open long polls now
            self._closing = True
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what a test does ---

    async def push(self, **event: Any) -> int:
        update_id = next(self._update_ids)
        async with self._changed:
            self.pending.append({"update_id": update_id, **event})
            self._changed.notify_all()
        return update_id

    def fail(self, method: str, status: int, description: str, retry_after: int | None = None) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.failures.setdefault(method, []).append((status, body))

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until `method` has been called `count` times (in all); return those calls."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.of(method)) >= count)
        return self.of(method)

    # --- the Bot API ---

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = {k: _value(v) for k, v in (await request.post()).items()}
        async with self._changed:
            self.calls.append(Call(method, params))
            self._changed.notify_all()
        if self.failures.get(method):
            status, body = self.failures[method].pop(0)
            return web.json_response(body, status=status)
        result = await self._answer(method, params)
        return web.json_response({"ok": True, "result": result})

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 777, "is_bot": True, "first_name": "12345热线", "username": "hotline12345_bot"}
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in ("sendMessage", "sendVoice"):
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
            }
            if method == "sendMessage":
                message["text"] = params["text"]
            else:
                message["voice"] = {"file_id": "reply", "file_unique_id": "reply", "duration": 1}
            return message
        if method == "getFile":
            path = f"voice/{params['file_id']}.oga"
            return {
                "file_id": params["file_id"],
                "file_unique_id": params["file_id"],
                "file_size": len(self.files.get(path, b"")),
                "file_path": path,
            }
        if method == "setWebhook":
            self.webhook = params
        elif method == "deleteWebhook":
            self.webhook = None
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 30.0)
        async with self._changed:
            if offset:  # confirm: Telegram forgets every update below the offset
                self.pending = [u for u in self.pending if u["update_id"] >= offset]
            try:
                async with asyncio.timeout(timeout):
                    await self._changed.wait_for(lambda: bool(self.pending) or self._closing)
            except TimeoutError:
                return []
            return list(self.pending[:100])

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["path"])
        if request.match_info["token"] != self.token or data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="audio/ogg")


def _value(raw: Any) -> Any:
    """Form fields: complex values arrive as JSON text; uploads as file fields."""
    if isinstance(raw, web.FileField):
        return raw.file.read()
    if isinstance(raw, str) and raw[:1] in "{[":
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw
