"""`GET /ws/agent?token=…`: live events for agent consoles.

Every gateway subscribes once to the desk's bus topic and fans events out to its own consoles:
queue changes (with a fresh queue snapshot), handoffs, alerts, takes, releases, closes to
everyone; messages and draft edits of a conversation to the consoles watching it (an agent
watches what they hold and may watch queued or alerted conversations; a supervisor may watch
any, read-only); agent presence, work-order changes and surge alerts (未诉先办) to supervisors.
Each console has its own send queue, so a slow one never holds up the others. Invalid or expired
tokens are refused with close code 4401 (also when a token expires while connected).

Server frames: hello, queue, handoff, alert, taken, released, closed, left, callback, message,
draft, agents, work_order, surge, pong, error. Client frames: {"type": "watch"|"unwatch",
"conversation_id"}, {"type": "ping"}."""

import asyncio
import contextlib
import itertools
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from channels.agent.auth import DeskAuth, Session
from conversation.bus import DESK_TOPIC, BusEvent, EventBus
from desk.accounts.models import DESK_ROLES
from desk.accounts.tokens import InvalidToken
from desk.agent_desk import AGENTS_ONLINE, AgentDesk

log = logging.getLogger(__name__)

UNAUTHORIZED = 4401
PRESENCE_TTL_S = 45.0
HEARTBEAT_S = 15.0
SEND_QUEUE = 500
QUEUE_EVENTS = {BusEvent.HANDOFF, BusEvent.TAKEN, BusEvent.RELEASED, BusEvent.LEFT, BusEvent.CALLBACK}
TO_EVERYONE = QUEUE_EVENTS | {BusEvent.ALERT, BusEvent.CLOSED, BusEvent.EMERGENCY_DELIVERY}
TO_WATCHERS = {BusEvent.MESSAGE, BusEvent.DRAFT}
TO_SUPERVISORS = {BusEvent.AGENTS, BusEvent.WORK_ORDER, BusEvent.SURGE}
_ids = itertools.count(1)


class Console:
    def __init__(self, ws: WebSocket, session: Session) -> None:
        self.ws, self.session = ws, session
        self.id = f"{next(_ids)}-{id(ws):x}"
        self.watching: set[str] = set()
        self.outbox: asyncio.Queue[dict] = asyncio.Queue(SEND_QUEUE)
        self.overflowed = False

    @property
    def username(self) -> str:
        return self.session.agent.username

    @property
    def supervisor(self) -> bool:
        return self.session.agent.role == "supervisor"

    def push(self, frame: dict[str, Any]) -> None:
        if self.overflowed:
            return
        try:
            self.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            log.warning("agent console of %s is not reading; closing it", self.username)
            self.overflowed = True
            self._closing = asyncio.get_running_loop().create_task(self.ws.close(code=1013, reason="too slow"))

    def wants(self, event: dict[str, Any]) -> bool:
        kind = event.get("type")
        if kind in TO_EVERYONE:
            return True
        if kind in TO_WATCHERS:
            return event.get("conversation_id") in self.watching
        return kind in TO_SUPERVISORS and self.supervisor


class AgentHub:
    def __init__(self, desk: AgentDesk, auth: DeskAuth, bus: EventBus) -> None:
        self.desk, self.auth, self.bus = desk, auth, bus
        self.consoles: dict[str, Console] = {}
        bus.subscribe(DESK_TOPIC, self.on_event)

    async def on_event(self, event: dict[str, Any]) -> None:
        if not self.consoles:
            return
        kind = event.get("type")
        cid = event.get("conversation_id")
        extra: dict | None = None
        if kind in QUEUE_EVENTS:
            extra = {"type": "queue", "items": await self.desk.queue()}
        for console in list(self.consoles.values()):
            if kind == BusEvent.TAKEN and event.get("agent") == console.username:
                console.watching.add(cid)
            if console.wants(event):
                console.push(event)
            if extra is not None:
                console.push(extra)
            if (
                kind in (BusEvent.RELEASED, BusEvent.CLOSED)
                and event.get("agent") == console.username
                and not console.supervisor
            ):
                console.watching.discard(cid)

    async def serve(self, ws: WebSocket, token: str | None) -> None:
        await ws.accept()
        try:
            session = await self.auth.session_for(token or "")
        except InvalidToken as exc:
            await ws.send_json(
                {"type": "error", "code": "unauthorized", "message": "登录已失效，请重新登录。", "detail": str(exc)}
            )
            await ws.close(code=UNAUTHORIZED, reason="invalid or expired token")
            return
        if session.agent.role not in DESK_ROLES:
            await ws.send_json({"type": "error", "code": "forbidden", "message": "此账号不能使用坐席工作台。"})
            await ws.close(code=UNAUTHORIZED, reason="not an agent account")
            return
        console = Console(ws, session)
        held = await self.desk.conversations(session.agent)
        console.watching = {c["conversation_id"] for c in held if c["agent"] == console.username}
        self.consoles[console.id] = console
        await self.bus.mark(AGENTS_ONLINE, f"{console.username}/{console.id}", PRESENCE_TTL_S)
        tasks = [
            asyncio.create_task(self._writer(console)),
            asyncio.create_task(self._presence(console)),
            asyncio.create_task(self._expiry(console)),
        ]
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "agent": session.agent.to_json(),
                    "gateway": self.bus.gateway_id,
                    "expires_at": session.claims.expires_at,
                    "queue": await self.desk.queue(),
                    "conversations": held,
                }
            )
            await self.bus.publish(DESK_TOPIC, {"type": BusEvent.AGENTS})
            await self._reader(console)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.consoles.pop(console.id, None)
            for task in tasks:
                task.cancel()
            await self.bus.unmark(AGENTS_ONLINE, f"{console.username}/{console.id}")
            await self.bus.publish(DESK_TOPIC, {"type": BusEvent.AGENTS})

    async def _reader(self, console: Console) -> None:
        while True:
            event = await console.ws.receive()
            if event["type"] == "websocket.disconnect":
                return
            try:
                frame = json.loads(event.get("text") or "")
                kind, cid = frame.get("type"), frame.get("conversation_id")
            except (ValueError, AttributeError):
                console.push(
                    {
                        "type": "error",
                        "code": "invalid_frame",
                        "message": "消息格式有误。",
                        "detail": "frames are JSON objects with a 'type'",
                    }
                )
                continue
            if kind == "ping":
                console.push({"type": "pong"})
            elif kind == "watch" and isinstance(cid, str):
                await self._watch(console, cid)
            elif kind == "unwatch" and isinstance(cid, str):
                console.watching.discard(cid)
            else:
                console.push(
                    {
                        "type": "error",
                        "code": "unknown_type",
                        "message": "不支持的操作。",
                        "detail": "expected ping, watch or unwatch",
                    }
                )

    async def _watch(self, console: Console, cid: str) -> None:
        conv = await asyncio.to_thread(self.desk.store.get, cid)
        if conv is None or not self.desk.can_view(conv, console.session.agent):
            console.push(
                {
                    "type": "error",
                    "code": "not_allowed",
                    "message": "无权查看该会话。",
                    "conversation_id": cid,
                    "detail": "agents watch queued, alerted and their own conversations",
                }
            )
            return
        console.watching.add(cid)
        console.push({"type": "watching", "conversation_id": cid})

    async def _writer(self, console: Console) -> None:
        while True:
            frame = await console.outbox.get()
            try:
                await console.ws.send_json(frame)
            except (WebSocketDisconnect, RuntimeError):
                return

    async def _presence(self, console: Console) -> None:
        member = f"{console.username}/{console.id}"
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            await self.bus.mark(AGENTS_ONLINE, member, PRESENCE_TTL_S)

    async def _expiry(self, console: Console) -> None:
        await asyncio.sleep(max(0.0, console.session.claims.expires_at - time.time()))
        console.push({"type": "error", "code": "token_expired", "message": "登录已过期，请重新登录。"})
        await asyncio.sleep(0.2)  # let the writer send it
        with contextlib.suppress(RuntimeError):
            await console.ws.close(code=UNAUTHORIZED, reason="token expired")

    async def stop(self) -> None:
        for console in list(self.consoles.values()):
            with contextlib.suppress(RuntimeError):
                await console.ws.close(code=1001)


def build_agent_socket(hub: AgentHub) -> APIRouter:
    api = APIRouter()

    @api.websocket("/ws/agent")
    async def agent_socket(ws: WebSocket, token: str | None = None) -> None:
        await hub.serve(ws, token)

    return api
