"""Conversations pinned to Rasa replicas: stable (across processes and list order), spread evenly,
few moves when a replica is added, and RasaEngine follows the pins, failing over only when a
replica is gone (connection refused or dropped without an answer)."""

import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from conversation.engine import EngineUnavailable, RasaEngine
from conversation.messages import InboundMessage
from conversation.replicas import ReplicaPins

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = ["http://127.0.0.1:5005", "http://127.0.0.1:5006", "http://127.0.0.1:5007"]
IDS = [f"web:{uuid.UUID(int=i)}" for i in range(6000)]


def test_one_conversation_always_gets_the_same_replica():
    pins = ReplicaPins(REPLICAS)
    again = ReplicaPins(list(reversed(REPLICAS)) + [REPLICAS[0] + "/"])  # order and duplicates do not matter
    for cid in IDS[:500]:
        assert pins.pinned(cid) == pins.pinned(cid) == again.pinned(cid)
        assert sorted(pins.order(cid)) == sorted(REPLICAS)


def test_pins_do_not_depend_on_the_process():
    """Two gateways must agree: no salted hash(). Another interpreter with another hash seed."""
    code = (
        "import sys; from conversation.replicas import ReplicaPins; "
        f"print(','.join(ReplicaPins({REPLICAS!r}).pinned(c) for c in sys.argv[1:]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *IDS[:50]],
        cwd=ROOT,
        env={"PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    pins = ReplicaPins(REPLICAS)
    assert out.split(",") == [pins.pinned(c) for c in IDS[:50]]


def test_conversations_spread_over_the_replicas():
    counts = Counter(ReplicaPins(REPLICAS).pinned(cid) for cid in IDS)
    assert set(counts) == set(REPLICAS)
    assert all(abs(n - len(IDS) / 3) < 0.06 * len(IDS) for n in counts.values()), counts
    tg = Counter(ReplicaPins(REPLICAS[:2]).pinned(f"tg:{100000 + i}") for i in range(4000))  # numeric ids too
    assert all(abs(n - 2000) < 200 for n in tg.values()), tg


def test_a_new_replica_takes_conversations_only_for_itself():
    before, after = ReplicaPins(REPLICAS[:2]), ReplicaPins(REPLICAS)
    moved = [cid for cid in IDS if before.pinned(cid) != after.pinned(cid)]
    assert all(after.pinned(cid) == REPLICAS[2] for cid in moved)
    assert 0.25 < len(moved) / len(IDS) < 0.42  # about a third, not a reshuffle


def test_requests_of_no_conversation_take_turns():
    pins = ReplicaPins(REPLICAS)
    assert [pins.spread()[0] for _ in range(6)] == REPLICAS * 2
    assert ReplicaPins(["http://only"]).spread() == ["http://only"]
    with pytest.raises(ValueError):
        ReplicaPins([])


class FakeRasas:
    """Replicas behind httpx.MockTransport: records which one got what; `down` refuse connections,
    `dying` drop a kept-alive connection without an answer (a replica just killed)."""

    def __init__(self, down: set[str] = frozenset()) -> None:
        self.down = set(down)
        self.dying: set[str] = set()
        self.seen: list[tuple[str, str, str | None]] = []  # (replica, path, sender)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        if base in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if base in self.dying:
            raise httpx.ReadError("connection reset by peer", request=request)
        sender = None
        if request.url.path == "/webhooks/rest/webhook":
            sender = httpx.Response(200, content=request.content).json()["sender"]
        self.seen.append((base, request.url.path, sender))
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "m.tar.gz"})
        if request.url.path == "/model/parse":
            return httpx.Response(200, json={"intent": {"name": "greet"}})
        return httpx.Response(200, json=[{"text": f"from {base}"}])


def message(cid: str) -> InboundMessage:
    return InboundMessage(cid, "web", "u", "你好", {})


async def test_the_engine_sends_every_turn_of_a_conversation_to_its_replica():
    rasas = FakeRasas()
    async with httpx.AsyncClient(transport=httpx.MockTransport(rasas)) as client:
        engine = RasaEngine(REPLICAS, client, token="t0ken-0123456789abcdef")
        for cid in IDS[:30]:
            for _ in range(3):
                [reply] = await engine.handle(message(cid))
                assert reply.text == f"from {engine.pins.pinned(cid)}"
            await engine.reset(cid)
    by_conversation: dict[str, set[str]] = {}
    for base, path, sender in rasas.seen:
        key = sender or path.split("/")[2]  # the reset's /conversations/<id>/tracker/events
        by_conversation.setdefault(key, set()).add(base)
    assert len(by_conversation) == 30 and all(len(bases) == 1 for bases in by_conversation.values())
    assert {b for bases in by_conversation.values() for b in bases} == set(REPLICAS)


async def test_a_refused_connection_fails_over_in_the_conversations_own_order():
    cid = IDS[7]
    own, second, third = ReplicaPins(REPLICAS).order(cid)
    rasas = FakeRasas(down={own})
    async with httpx.AsyncClient(transport=httpx.MockTransport(rasas)) as client:
        engine = RasaEngine(REPLICAS, client)
        [reply] = await engine.handle(message(cid))
        assert reply.text == f"from {second}"
        rasas.down = {own, second}
        assert (await engine.handle(message(cid)))[0].text == f"from {third}"
        rasas.down = set(REPLICAS)
        with pytest.raises(EngineUnavailable):
            await engine.handle(message(cid))
        rasas.down = set()
        assert (await engine.handle(message(cid)))[0].text == f"from {own}"  # back home once it answers
        rasas.dying = {own}
        assert (await engine.handle(message(cid)))[0].text == f"from {second}"


async def test_a_dropped_connection_fails_over_too(caplog):
    cid = IDS[11]
    own, second, _ = ReplicaPins(REPLICAS).order(cid)
    rasas = FakeRasas()
    rasas.dying = {own}
    async with httpx.AsyncClient(transport=httpx.MockTransport(rasas)) as client:
        [reply] = await RasaEngine(REPLICAS, client).handle(message(cid))
    assert reply.text == f"from {second}"
    assert f"rasa replica {own} did not answer (ReadError); trying {second}" in caplog.text


@pytest.mark.parametrize("failure", ["http 500", "read timeout"])
async def test_an_answer_or_a_slow_replica_is_not_retried_elsewhere(failure):
    """A 500 means the replica worked on the turn; a slow one may still be working on it: another
    replica would run the turn a second time, at the same time."""
    calls: list[str] = []

    def failing(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if failure == "read timeout":
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(500)

    async with httpx.AsyncClient(transport=httpx.MockTransport(failing)) as client:
        with pytest.raises(EngineUnavailable):
            await RasaEngine(REPLICAS, client).handle(message(IDS[0]))
    assert len(calls) == 1


async def test_health_lists_every_replica_and_parse_spreads():
    rasas = FakeRasas(down={REPLICAS[1]})
    async with httpx.AsyncClient(transport=httpx.MockTransport(rasas)) as client:
        engine = RasaEngine(REPLICAS, client, token="t0ken-0123456789abcdef")
        health = await engine.health()
        assert health["ok"] is False
        assert [(r["url"], r["ok"]) for r in health["replicas"]] == [(u, u != REPLICAS[1]) for u in REPLICAS]
        assert [await engine.parse("你好") for _ in range(6)] == ["greet"] * 6
        parsed = Counter(base for base, path, _ in rasas.seen if path == "/model/parse")
        assert set(parsed) == {REPLICAS[0], REPLICAS[2]} and sum(parsed.values()) == 6  # none lost
        single = await RasaEngine(REPLICAS[0], client).health()
        assert single == {"ok": True, "url": REPLICAS[0], "model": "m.tar.gz"}  # one replica: as before
