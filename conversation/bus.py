"""The event bus of the agent desk: pub/sub for live events and agent <-> citizen messages
across gateway processes, expiring memberships (which gateway holds a citizen's connection,
which agents are online) and windowed counters (login limits).

`MemoryBus` serves one gateway process; `RedisBus` joins several gateways behind one address
into one desk. Settings select it: HOTLINE_REDIS_URL set -> Redis, unset -> in-process. Events
are JSON objects in both, delivered in publish order to every subscriber of the topic, on every
gateway; a gateway's private topic is `gateway_topic(bus.gateway_id)`."""

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
DESK_TOPIC = "desk"  # every desk event, seen by every gateway


class BusEvent(StrEnum):
    """The `type` of an event on the bus (the value goes on the wire: Redis, agent consoles)."""

    # On DESK_TOPIC, about one conversation:
    HANDOFF = "handoff"  # queued for a person, with the handoff summary
    ALERT = "alert"  # the agents are alerted (emergency, anger …)
    MESSAGE = "message"  # a message of the conversation, live
    TAKEN = "taken"  # an agent took it
    RELEASED = "released"  # handed back to the bot
    LEFT = "left"  # the citizen left the queue
    CALLBACK = "callback"  # the citizen left the queue for a callback
    DRAFT = "draft"  # the agent edited the draft work order
    CLOSED = "closed"  # the agent closed it
    # On DESK_TOPIC, for supervisors and everyone:
    AGENTS = "agents"  # agents came online or left
    WORK_ORDER = "work_order"  # a work order's lifecycle moved
    SURGE = "surge"  # one problem surges in one street (未诉先办)
    EMERGENCY_DELIVERY = "emergency_delivery"  # an emergency order could not reach its unit
    # On a gateway's own topic:
    DELIVER = "deliver"  # replies for a citizen connected to that gateway


def gateway_topic(gateway_id: str) -> str:
    return f"gateway:{gateway_id}"


def new_gateway_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class EventBus(ABC):
    kind = "abstract"

    def __init__(self, gateway_id: str | None = None) -> None:
        self.gateway_id = gateway_id or new_gateway_id()
        self._handlers: defaultdict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Register a handler (before start()). Handlers run one event at a time, in order."""
        self._handlers[topic].append(handler)

    async def _dispatch(self, topic: str, event: dict[str, Any]) -> None:
        for handler in self._handlers.get(topic, ()):
            try:
                await handler(event)
            except Exception:
                log.exception("bus handler for %s failed on a %s event", topic, event.get("type"))

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def publish(self, topic: str, event: dict[str, Any]) -> bool:
        """Send an event to every subscriber of `topic` on every gateway; False if it was lost."""

    @abstractmethod
    async def mark(self, group: str, member: str, ttl_s: float) -> None:
        """Add or refresh `member` of `group` until ttl_s from now."""

    @abstractmethod
    async def unmark(self, group: str, member: str) -> None: ...

    @abstractmethod
    async def members(self, group: str) -> set[str]:
        """The members of `group` whose time has not run out."""

    @abstractmethod
    async def hit(self, key: str, window_s: int) -> int:
        """Count one more event under `key`; the count restarts window_s after its first event."""

    @abstractmethod
    async def peek(self, key: str) -> int: ...

    @abstractmethod
    async def clear(self, key: str) -> None: ...

    async def health(self) -> dict[str, Any]:
        return {"ok": True, "kind": self.kind}


class MemoryBus(EventBus):
    """Everything in this process. Events are JSON round-tripped, as on Redis."""

    kind = "memory"

    def __init__(self, gateway_id: str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(gateway_id)
        self.clock = clock
        self._queue: asyncio.Queue[tuple[str, dict]] | None = None
        self._worker: asyncio.Task | None = None
        self._groups: defaultdict[str, dict[str, float]] = defaultdict(dict)
        self._counters: dict[str, tuple[int, float]] = {}

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._run(), name="memory-bus")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None

    async def drain(self) -> None:
        """Wait until every event published so far has been handled (for tests)."""
        if self._queue is not None:
            await self._queue.join()

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            topic, event = await self._queue.get()
            try:
                await self._dispatch(topic, event)
            finally:
                self._queue.task_done()

    async def publish(self, topic: str, event: dict[str, Any]) -> bool:
        if self._queue is None:
            raise RuntimeError("MemoryBus.start() was not called")
        self._queue.put_nowait((topic, json.loads(json.dumps(event, ensure_ascii=False))))
        return True

    async def mark(self, group: str, member: str, ttl_s: float) -> None:
        self._groups[group][member] = self.clock() + ttl_s

    async def unmark(self, group: str, member: str) -> None:
        self._groups[group].pop(member, None)

    async def members(self, group: str) -> set[str]:
        now = self.clock()
        entries = self._groups.get(group, {})
        for member in [m for m, until in entries.items() if until <= now]:
            del entries[member]
        return set(entries)

    async def hit(self, key: str, window_s: int) -> int:
        now = self.clock()
        count, until = self._counters.get(key, (0, 0.0))
        if until <= now:
            count, until = 0, now + window_s
        self._counters[key] = (count + 1, until)
        return count + 1

    async def peek(self, key: str) -> int:
        count, until = self._counters.get(key, (0, 0.0))
        return count if until > self.clock() else 0

    async def clear(self, key: str) -> None:
        self._counters.pop(key, None)


class RedisBus(EventBus):
    """Redis pub/sub (channels `<prefix>:<topic>`), sorted sets for memberships (score = expiry),
    INCR/EXPIRE counters. The subscriber reconnects by itself after Redis restarts."""

    kind = "redis"

    def __init__(self, url: str, gateway_id: str | None = None, prefix: str = "hotline") -> None:
        super().__init__(gateway_id)
        self.url, self.prefix = url, prefix
        self._redis: Any = None
        self._listener: asyncio.Task | None = None
        self._subscribed = asyncio.Event()

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    async def start(self) -> None:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        self._redis = Redis.from_url(self.url, decode_responses=True, health_check_interval=15)
        try:
            await self._redis.ping()
        except RedisError as exc:
            await self._redis.aclose()
            raise ConnectionError(f"HOTLINE_REDIS_URL is set but Redis at {self.url} does not answer: {exc}") from None
        self._listener = asyncio.create_task(self._listen(), name="redis-bus")
        await asyncio.wait_for(self._subscribed.wait(), 10)
        log.info("event bus on Redis %s as gateway %s", self.url, self.gateway_id)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            self._listener = None
        if self._redis is not None:
            await self._redis.aclose()

    async def _listen(self) -> None:
        from redis.exceptions import RedisError

        channels = {self._key(topic): topic for topic in self._handlers}
        backoff = 0.5
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*channels)
                self._subscribed.set()
                backoff = 0.5
                async for message in pubsub.listen():
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        event = json.loads(message["data"])
                    except ValueError:
                        log.warning("ignored a non-JSON message on %s", message.get("channel"))
                        continue
                    await self._dispatch(channels[message["channel"]], event)
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except (RedisError, OSError) as exc:
                log.error("Redis subscription lost (%s); reconnecting in %.1f s", exc, backoff)
                await pubsub.aclose()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def publish(self, topic: str, event: dict[str, Any]) -> bool:
        from redis.exceptions import RedisError

        try:
            await self._redis.publish(self._key(topic), json.dumps(event, ensure_ascii=False))
            return True
        except (RedisError, OSError) as exc:
            log.error("could not publish a %s event on %s: %s", event.get("type"), topic, exc)
            return False

    async def mark(self, group: str, member: str, ttl_s: float) -> None:
        key = self._key(f"group:{group}")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {member: time.time() + ttl_s})
            pipe.zremrangebyscore(key, "-inf", time.time())
            pipe.expire(key, int(ttl_s) + 60)
            await pipe.execute()

    async def unmark(self, group: str, member: str) -> None:
        await self._redis.zrem(self._key(f"group:{group}"), member)

    async def members(self, group: str) -> set[str]:
        return set(await self._redis.zrangebyscore(self._key(f"group:{group}"), time.time(), "+inf"))

    async def hit(self, key: str, window_s: int) -> int:
        name = self._key(f"count:{key}")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_s, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def peek(self, key: str) -> int:
        return int(await self._redis.get(self._key(f"count:{key}")) or 0)

    async def clear(self, key: str) -> None:
        await self._redis.delete(self._key(f"count:{key}"))

    async def health(self) -> dict[str, Any]:
        try:
            await asyncio.wait_for(self._redis.ping(), 2)
        except Exception as exc:  # noqa: BLE001  (any failure means the desk cannot span gateways)
            return {"ok": False, "kind": self.kind, "error": type(exc).__name__}
        return {"ok": True, "kind": self.kind}


def make_bus(redis_url: str | None, prefix: str = "hotline") -> EventBus:
    return RedisBus(redis_url, prefix=prefix) if redis_url else MemoryBus()
