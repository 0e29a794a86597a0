"""The event bus: the in-process one, and the Redis one against the real Redis on this machine
(two bus instances stand for two gateways)."""

import asyncio
import uuid

import pytest

from conversation.bus import DESK_TOPIC, MemoryBus, RedisBus, gateway_topic

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_bus_delivers_json_in_order():
    bus = MemoryBus()
    got: list[dict] = []

    async def handler(event: dict) -> None:
        got.append(event)

    bus.subscribe(DESK_TOPIC, handler)
    await bus.start()
    for i in range(5):
        await bus.publish(DESK_TOPIC, {"type": "n", "i": i, "text": "市民"})
    await bus.publish("other", {"type": "ignored"})
    await bus.drain()
    assert [e["i"] for e in got] == [0, 1, 2, 3, 4] and got[0]["text"] == "市民"
    with pytest.raises(TypeError):  # only JSON travels on a bus
        await bus.publish(DESK_TOPIC, {"type": "bad", "value": object()})
    await bus.stop()


async def test_a_failing_handler_does_not_stop_the_bus():
    bus = MemoryBus()
    got = []

    async def broken(event: dict) -> None:
        raise RuntimeError("boom")

    async def fine(event: dict) -> None:
        got.append(event["type"])

    bus.subscribe(DESK_TOPIC, broken)
    bus.subscribe(DESK_TOPIC, fine)
    await bus.start()
    await bus.publish(DESK_TOPIC, {"type": "a"})
    await bus.publish(DESK_TOPIC, {"type": "b"})
    await bus.drain()
    assert got == ["a", "b"]
    await bus.stop()


async def test_memory_memberships_expire_and_counters_reset():
    clock = Clock()
    bus = MemoryBus(clock=clock)
    await bus.mark("agents", "alice/1", 30)
    await bus.mark("agents", "bob/1", 10)
    assert await bus.members("agents") == {"alice/1", "bob/1"}
    clock.now += 15
    assert await bus.members("agents") == {"alice/1"}
    await bus.unmark("agents", "alice/1")
    assert await bus.members("agents") == set()
    assert [await bus.hit("k", 60) for _ in range(3)] == [1, 2, 3]
    assert await bus.peek("k") == 3
    clock.now += 61
    assert await bus.peek("k") == 0 and await bus.hit("k", 60) == 1
    await bus.clear("k")
    assert await bus.peek("k") == 0


@pytest.fixture()
async def two_gateways():
    """Two Redis buses with a private prefix, as two gateway processes would have."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    a, b = RedisBus(REDIS_URL, "gw-a", prefix), RedisBus(REDIS_URL, "gw-b", prefix)
    inbox: dict[str, list[dict]] = {"a-desk": [], "b-desk": [], "a-own": [], "b-own": []}

    def collect(name: str):
        async def handler(event: dict) -> None:
            inbox[name].append(event)

        return handler

    a.subscribe(DESK_TOPIC, collect("a-desk"))
    b.subscribe(DESK_TOPIC, collect("b-desk"))
    a.subscribe(gateway_topic("gw-a"), collect("a-own"))
    b.subscribe(gateway_topic("gw-b"), collect("b-own"))
    try:
        await a.start()
        await b.start()
    except OSError as exc:
        pytest.fail(f"the real Redis at {REDIS_URL} is needed for this test: {exc}")
    yield a, b, inbox
    await a.stop()
    await b.stop()


async def until(predicate, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not delivered in time")


async def test_redis_bus_joins_two_gateways(two_gateways):
    a, b, inbox = two_gateways
    for i in range(20):
        assert await a.publish(DESK_TOPIC, {"type": "message", "i": i, "text": "您好"})
    await until(lambda: len(inbox["b-desk"]) == 20 and len(inbox["a-desk"]) == 20)
    assert [e["i"] for e in inbox["b-desk"]] == list(range(20)) and inbox["b-desk"][0]["text"] == "您好"

    await a.publish(gateway_topic("gw-b"), {"type": "deliver", "to": "b"})
    await until(lambda: inbox["b-own"])
    await asyncio.sleep(0.1)
    assert inbox["a-own"] == []  # a gateway's own topic is private to it


async def test_redis_memberships_and_counters_are_shared(two_gateways):
    a, b, _ = two_gateways
    await a.mark("owner:web:1", "gw-a", 30)
    await b.mark("owner:web:1", "gw-b", 0.3)
    assert await b.members("owner:web:1") == {"gw-a", "gw-b"}
    await asyncio.sleep(0.4)
    assert await a.members("owner:web:1") == {"gw-a"}  # b's membership ran out
    await b.unmark("owner:web:1", "gw-a")
    assert await a.members("owner:web:1") == set()

    assert [await a.hit("login", 60), await b.hit("login", 60), await a.hit("login", 60)] == [1, 2, 3]
    assert await b.peek("login") == 3
    await b.clear("login")
    assert await a.peek("login") == 0
    assert (await a.health())["ok"] is True


async def test_redis_bus_reports_an_unreachable_redis():
    bus = RedisBus("redis://127.0.0.1:1/0", "gw-x", "test-down")
    with pytest.raises(OSError):
        await bus.start()
