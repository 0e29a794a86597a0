"""ChannelRegistry: delivers replies that do not answer a citizen's own message (an agent's
words, 人工客服已接入, queue updates) to the citizen on whatever channel and gateway they are on.

Channels register with `register(channel)` (conversation ids carry the channel: `web:…`,
`tg:…`, `phone:…`) and only implement `Channel.send`. A channel whose citizens hold a live
connection to one gateway (web socket, phone call) also reports `connected(conversation_id, key)`
/ `disconnected(…)`: the registry then records on the bus that this gateway owns the
conversation (refreshed while it lasts), and deliveries from other gateways are routed here.
Without an owner (connectionless channels such as Telegram) the delivering gateway sends itself."""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from fastapi import WebSocket

from channels.base import Channel
from channels.web.chat_socket import WebChatChannel
from conversation.bus import BusEvent, EventBus, gateway_topic
from conversation.messages import Button, Reply
from core.log_ids import short_id

log = logging.getLogger(__name__)

OWNER_TTL_S = 90.0
REFRESH_S = 30.0


def owner_group(conversation_id: str) -> str:
    return f"owner:{conversation_id}"


def reply_from_dict(body: dict[str, Any]) -> Reply:
    buttons = tuple(Button(str(b["title"]), str(b["payload"])) for b in body.get("buttons", ()))
    return Reply(
        text=body.get("text", ""), buttons=buttons, data=body.get("data") or {}, sender=body.get("sender", "bot")
    )


class ChannelRegistry:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._channels: dict[str, Channel] = {}
        self._present: defaultdict[str, set[Hashable]] = defaultdict(set)
        self._tasks: set[asyncio.Task] = set()
        self._refresher: asyncio.Task | None = None
        bus.subscribe(gateway_topic(bus.gateway_id), self._on_direct)

    def register(self, channel: Channel, prefix: str | None = None) -> None:
        self._channels[prefix or channel.name] = channel

    def channel_of(self, conversation_id: str) -> Channel | None:
        return self._channels.get(conversation_id.split(":", 1)[0])

    def local_conversations(self) -> list[str]:
        return list(self._present)

    # Ownership (called synchronously by channels when a live connection opens or closes).

    def connected(self, conversation_id: str, key: Hashable) -> None:
        first = not self._present[conversation_id]
        self._present[conversation_id].add(key)
        if first:
            self._spawn(self.bus.mark(owner_group(conversation_id), self.bus.gateway_id, OWNER_TTL_S))

    def disconnected(self, conversation_id: str, key: Hashable) -> None:
        keys = self._present.get(conversation_id)
        if keys is None or key not in keys:
            return
        keys.discard(key)
        if not keys:
            del self._present[conversation_id]
            self._spawn(self.bus.unmark(owner_group(conversation_id), self.bus.gateway_id))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        self._refresher = asyncio.create_task(self._refresh(), name="ownership-refresh")

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
        for conversation_id in list(self._present):
            await self.bus.unmark(owner_group(conversation_id), self.bus.gateway_id)
        self._present.clear()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_S)
            for conversation_id in list(self._present):
                try:
                    await self.bus.mark(owner_group(conversation_id), self.bus.gateway_id, OWNER_TTL_S)
                except Exception as exc:  # noqa: BLE001  (retried at the next round)
                    log.error("could not refresh ownership of %s: %s", short_id(conversation_id), exc)

    # Delivery.

    async def deliver(self, conversation_id: str, replies: list[Reply]) -> None:
        if not replies:
            return
        owners = await self.bus.members(owner_group(conversation_id))
        if not owners or self.bus.gateway_id in owners:
            await self._send_local(conversation_id, replies)
        for gateway in owners - {self.bus.gateway_id}:
            event = {
                "type": BusEvent.DELIVER,
                "conversation_id": conversation_id,
                "replies": [r.to_dict() for r in replies],
            }
            await self.bus.publish(gateway_topic(gateway), event)

    async def _on_direct(self, event: dict[str, Any]) -> None:
        if event.get("type") == BusEvent.DELIVER:
            replies = [reply_from_dict(body) for body in event.get("replies", ())]
            await self._send_local(str(event["conversation_id"]), replies)

    async def _send_local(self, conversation_id: str, replies: list[Reply]) -> None:
        channel = self.channel_of(conversation_id)
        if channel is None:
            log.warning(
                "no channel on this gateway for %s; %d replies only stored", short_id(conversation_id), len(replies)
            )
            return
        await channel.send(conversation_id, replies)


class TrackedWebChatChannel(WebChatChannel):
    """The web chat channel reporting its open sockets to the registry (ownership)."""

    def __init__(self, registry: ChannelRegistry) -> None:
        super().__init__()
        self.registry = registry
        registry.register(self)

    def attach(self, conversation_id: str, ws: WebSocket) -> None:
        super().attach(conversation_id, ws)
        self.registry.connected(conversation_id, id(ws))

    def detach(self, conversation_id: str, ws: WebSocket) -> None:
        super().detach(conversation_id, ws)
        self.registry.disconnected(conversation_id, id(ws))
