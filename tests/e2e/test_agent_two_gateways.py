"""Two gateway processes behind one address behave as one desk: they share the database (one
SQLite file) and the real Redis at 127.0.0.1:6379 (pub/sub, conversation ownership, login
limits). A citizen on gateway A and an agent on gateway B talk in real time, both ways."""

import asyncio
import json
import uuid

import httpx
import pytest
import redis

from tests.agent.live import PASSWORD, AgentClient, add_agent, queued_citizen, start_gateway
from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def gateways(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("two-gateways")
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.fail(f"this test needs the real Redis at {REDIS_URL}: {exc}")
    a = start_gateway(var_dir, HOTLINE_REDIS_URL=REDIS_URL, HOTLINE_REDIS_PREFIX=prefix)
    b = start_gateway(var_dir, HOTLINE_REDIS_URL=REDIS_URL, HOTLINE_REDIS_PREFIX=prefix)
    add_agent(a.env, "alice")
    add_agent(a.env, "bob")
    add_agent(a.env, "carol")
    yield a, b, prefix
    a.stop()
    b.stop()
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def statuses(frames: list[dict]) -> list[str]:
    return [f["mode"] for f in frames if f["type"] == "status"]


async def gateway_id(base: str) -> str:
    probe = await AgentClient.login(base, "bob")
    hello = await probe.connect()
    await probe.close()
    return hello["gateway"]


async def test_citizen_on_one_gateway_and_agent_on_the_other_talk_in_real_time(gateways):
    a, b, prefix = gateways
    key = (a.var_dir / "secrets" / "api_key").read_text().strip()
    health = httpx.get(f"{a.http}/healthz", headers={"Authorization": f"Bearer {key}"}).json()
    assert health["components"]["agent_desk"] == {"ok": True, "kind": "redis"}
    alice = await AgentClient.login(b.http, "alice")
    await alice.connect()

    chat = await queued_citizen(a.ws)  # the citizen is on gateway A
    cid = chat.conversation_id
    handoff = await alice.next_event(lambda e: e["type"] == "handoff" and e["conversation_id"] == cid)
    assert handoff["reason"] == "requested"
    owners = redis.Redis.from_url(REDIS_URL, decode_responses=True).zrange(f"{prefix}:group:owner:{cid}", 0, -1)
    assert owners == [await gateway_id(a.http)]

    assert (await alice.post(alice.conv(cid, "take"))).status_code == 200  # the agent is on gateway B
    frames = await chat.recv_until(lambda f: f["type"] == "status", timeout=10)
    assert "人工客服已接入" in texts(frames) and statuses(frames) == ["agent"]

    for i in range(3):
        await alice.post(alice.conv(cid, "messages"), json={"text": f"第{i + 1}条：请问具体地址在哪里？"})
    got = [
        f["text"]
        for f in await chat.recv_until(lambda f: f.get("text", "").startswith("第3条"), timeout=10)
        if f["type"] == "message"
    ]
    assert got == [f"第{i + 1}条：请问具体地址在哪里？" for i in range(3)]  # in order, marked as the agent's
    assert all(f["sender"] == "agent" for f in chat.frames[-3:])

    await chat.ws.send(json.dumps({"type": "text", "text": "在海淀区中关村大街1号"}, ensure_ascii=False))
    said = await alice.next_event(lambda e: e["type"] == "message" and e["message"]["sender"] == "citizen")
    assert said["message"]["text"] == "在海淀区中关村大街1号" and said["conversation_id"] == cid
    with pytest.raises(TimeoutError):  # nothing from the bot while the agent holds the conversation
        await chat.recv(timeout=0.5)

    # The citizen's connection moves to gateway B (a reload behind the load balancer): ownership
    # follows, and an agent on gateway A now reaches them there.
    await chat.close()
    moved = await ChatClient.resume(b.ws, chat)
    await moved.recv_until(lambda f: f["type"] == "status")
    for _ in range(50):
        owners = redis.Redis.from_url(REDIS_URL, decode_responses=True).zrange(f"{prefix}:group:owner:{cid}", 0, -1)
        if owners == [await gateway_id(b.http)]:
            break
        await asyncio.sleep(0.1)
    assert owners == [await gateway_id(b.http)]
    alice_on_a = await AgentClient.login(a.http, "alice")
    await alice_on_a.post(alice_on_a.conv(cid, "messages"), json={"text": "已为您记录，稍后回电。"})
    [frame] = await moved.recv_until(lambda f: f["type"] == "message", timeout=10)
    assert (frame["sender"], frame["text"]) == ("agent", "已为您记录，稍后回电。")

    released = await alice_on_a.post(alice_on_a.conv(cid, "release"))
    assert released.status_code == 200
    frames = await moved.recv_until(lambda f: f["type"] == "status", timeout=10)
    assert "已转回智能客服" in texts(frames) and statuses(frames) == ["bot"]
    await alice.next_event(lambda e: e["type"] == "released" and e["conversation_id"] == cid)
    await moved.close()
    await alice.close()
    await alice_on_a.close()


async def test_agents_on_different_gateways_race_for_one_conversation(gateways):
    a, b, _ = gateways
    alice = await AgentClient.login(a.http, "alice")
    bob = await AgentClient.login(b.http, "bob")
    for _ in range(5):
        chat = await queued_citizen(a.ws)
        cid = chat.conversation_id
        results = await asyncio.gather(alice.post(alice.conv(cid, "take")), bob.post(bob.conv(cid, "take")))
        assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
        await chat.close()
    await alice.close()
    await bob.close()


async def test_login_limits_are_shared_by_the_gateways(gateways):
    a, b, _ = gateways
    async with httpx.AsyncClient() as client:
        for i in range(5):
            resp = await client.post(
                f"{(a if i % 2 else b).http}/api/agent/login", json={"username": "carol", "password": f"wrong {i}"}
            )
            assert resp.status_code == 401
        blocked = await client.post(f"{a.http}/api/agent/login", json={"username": "carol", "password": PASSWORD})
        assert blocked.status_code == 429
