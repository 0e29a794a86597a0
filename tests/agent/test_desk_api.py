"""The Agent desk API and /ws/agent on a real gateway process, with real citizens on /ws/chat:
every transition, the take race, refusals (401/403/409/429, close code 4401), supervisor views."""

import asyncio
import json
import re
import time

import httpx
import pytest
import websockets

from desk.accounts.tokens import TokenSigner
from tests.agent.live import PASSWORD, TOKEN_SECRET, AgentClient, add_agent, queued_citizen, start_gateway
from tests.helpers import ChatClient, texts


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("desk-api")
    gw = start_gateway(var_dir)
    for name, role in (("alice", "agent"), ("bob", "agent"), ("carol", "agent"), ("sue", "supervisor")):
        add_agent(gw.env, name, role)
    yield gw
    gw.stop()


async def agents(gateway, *names: str) -> list[AgentClient]:
    return [await AgentClient.login(gateway.http, name) for name in names]


async def empty_queue(gateway) -> None:
    """Other tests of this module leave citizens waiting: a supervisor serves them."""
    [sue] = await agents(gateway, "sue")
    for item in (await sue.get("/api/agent/queue")).json()["items"]:
        await sue.post(sue.conv(item["conversation_id"], "take"))
        await sue.post(sue.conv(item["conversation_id"], "close"), json={"work_order": False})
    await sue.close()


def statuses(frames: list[dict]) -> list[str]:
    return [f["mode"] for f in frames if f["type"] == "status"]


def api_key(gateway) -> str:
    return (gateway.var_dir / "secrets" / "api_key").read_text().strip()


async def test_every_route_needs_a_valid_unexpired_token(gateway):
    expired, _ = TokenSigner(TOKEN_SECRET, 60, clock=lambda: time.time() - 120).issue("alice", "agent")
    forged, _ = TokenSigner(TOKEN_SECRET + "-other", 3600).issue("alice", "supervisor")
    routes = [
        ("GET", "/api/agent/queue"),
        ("GET", "/api/agent/conversations"),
        ("GET", "/api/agent/me"),
        ("GET", "/api/agent/conversations/web:x"),
        ("POST", "/api/agent/conversations/web:x/take"),
        ("POST", "/api/agent/conversations/web:x/messages"),
        ("POST", "/api/agent/conversations/web:x/release"),
        ("POST", "/api/agent/conversations/web:x/close"),
        ("PUT", "/api/agent/conversations/web:x/draft"),
        ("GET", "/api/agent/canned"),
        ("GET", "/api/agent/overview"),
    ]
    async with httpx.AsyncClient(base_url=gateway.http) as client:
        for header in (None, "Bearer", "Bearer nonsense", f"Bearer {expired}", f"Bearer {forged}", f"Basic {expired}"):
            for method, path in routes:
                resp = await client.request(
                    method,
                    path,
                    headers={"Authorization": header} if header else {},
                    json={"text": "x"} if method != "GET" else None,
                )
                assert resp.status_code == 401, (header, path, resp.text)
        valid, _ = TokenSigner(TOKEN_SECRET, 60).issue("alice", "agent")
        assert (await client.get("/api/agent/me", headers={"Authorization": f"Bearer {valid}"})).status_code == 200
        unknown, _ = TokenSigner(TOKEN_SECRET, 60).issue("mallory", "supervisor")  # no such account
        assert (await client.get("/api/agent/me", headers={"Authorization": f"Bearer {unknown}"})).status_code == 401


async def test_login(gateway):
    async with httpx.AsyncClient(base_url=gateway.http) as client:
        ok = await client.post("/api/agent/login", json={"username": "alice", "password": PASSWORD})
        assert ok.status_code == 200
        body = ok.json()
        assert body["agent"] == {"username": "alice", "display_name": "alice", "role": "agent"}
        assert abs(body["expires_at"] - (time.time() + 8 * 3600)) < 60
        wrong = await client.post("/api/agent/login", json={"username": "alice", "password": PASSWORD + "x"})
        assert wrong.status_code == 401
        assert (await client.post("/api/agent/login", json={"username": "alice"})).status_code == 422


async def test_login_attempts_are_rate_limited(gateway):
    async with httpx.AsyncClient(base_url=gateway.http) as client:
        codes = [
            (await client.post("/api/agent/login", json={"username": "carol", "password": f"guess {i}"})).status_code
            for i in range(6)
        ]
        assert codes == [401] * 5 + [429]
        right = await client.post("/api/agent/login", json={"username": "carol", "password": PASSWORD})
        assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
        other = await client.post("/api/agent/login", json={"username": "bob", "password": PASSWORD})
        assert other.status_code == 200  # another username from the same address is not locked out


async def test_websocket_refuses_bad_and_expired_tokens(gateway):
    expired, _ = TokenSigner(TOKEN_SECRET, 60, clock=lambda: time.time() - 120).issue("alice", "agent")
    for token in ("", "garbage", expired):
        async with websockets.connect(f"{gateway.ws}/ws/agent?token={token}") as ws:
            error = await asyncio.wait_for(ws.recv(), 10)
            assert '"unauthorized"' in error
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd.code == 4401
    # A token that runs out while the console is open: the socket is closed with 4401.
    short, _ = TokenSigner(TOKEN_SECRET, 60, clock=lambda: time.time() - 57).issue("alice", "agent")
    console = AgentClient(gateway.http, short)
    assert (await console.connect())["agent"]["username"] == "alice"
    await console.next_event(lambda e: e["type"] == "error" and e["code"] == "token_expired", timeout=15)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(console.ws.recv(), 10)
    assert closed.value.rcvd.code == 4401
    await console.close()


async def test_queue_take_reply_release_and_close(gateway):
    await empty_queue(gateway)
    [alice] = await agents(gateway, "alice")
    hello = await alice.connect()
    assert hello["queue"] == []
    chat = await queued_citizen(gateway.ws)
    cid = chat.conversation_id
    handoff = await alice.next_event(lambda e: e["type"] == "handoff")
    assert handoff["conversation_id"] == cid and handoff["summary"]["reason"] == "requested"
    queue = await alice.next_event(lambda e: e["type"] == "queue")
    assert [i["conversation_id"] for i in queue["items"]] == [cid]
    listed = (await alice.get("/api/agent/queue")).json()
    assert listed["length"] == 1 and listed["items"][0]["preview"] == "转人工"

    assert (await alice.post(alice.conv(cid, "take"))).json() == {
        "conversation_id": cid,
        "mode": "agent",
        "agent": "alice",
    }
    frames = await chat.recv_until(lambda f: f["type"] == "status")
    assert "人工客服已接入" in texts(frames) and statuses(frames) == ["agent"]

    sent = await alice.post(alice.conv(cid, "messages"), json={"text": "您好，我是人工客服，请讲。"})
    assert sent.status_code == 200
    [frame] = await chat.recv_until(lambda f: f["type"] == "message")
    assert (frame["sender"], frame["text"]) == ("agent", "您好，我是人工客服，请讲。")

    markup = '<img src=x onerror="alert(1)">楼下烧烤店太吵'
    await chat.ws.send(json.dumps({"type": "text", "text": markup}))
    said = await alice.next_event(lambda e: e["type"] == "message" and e["message"]["sender"] == "citizen")
    assert said["message"]["text"] == markup and said["conversation_id"] == cid
    detail = (await alice.get(alice.conv(cid))).json()
    assert [t["sender"] for t in detail["transcript"]][:3] == ["citizen", "system", "system"]
    assert detail["transcript"][-1]["text"] == markup and detail["summary"]["reason"] == "requested"

    release = await alice.post(alice.conv(cid, "release"))
    assert release.json()["mode"] == "bot"
    frames = await chat.recv_until(lambda f: f["type"] == "status")
    assert "已转回智能客服" in texts(frames) and statuses(frames) == ["bot"]

    # Queued again, taken again, the draft edited, then closed with a work order.
    frames = await chat.click("/request_human", "转人工")
    assert statuses(frames) == ["queued"]
    await alice.post(alice.conv(cid, "take"))
    await chat.recv_until(lambda f: f["type"] == "status")
    edit = await alice.http.put(
        alice.conv(cid, "draft"),
        json={"request_type": "complain", "district": "朝阳区", "description": "楼下烧烤店每天营业到凌晨，噪音扰民"},
    )
    assert edit.status_code == 200 and edit.json()["district"] == "朝阳区"
    bad = await alice.http.put(alice.conv(cid, "draft"), json={"district": "浦东新区"})
    assert bad.status_code == 422
    closed = await alice.post(alice.conv(cid, "close"), json={"draft": {"contact_phone": "13812345678"}})
    assert closed.status_code == 200 and closed.json()["work_order_action"] == "created"
    number = closed.json()["work_order"]
    frames = await chat.recv_until(lambda f: f["type"] == "status")
    assert "已为您登记工单" in texts(frames) and statuses(frames) == ["bot"]
    tickets = httpx.get(
        f"{gateway.http}/api/tickets",
        params={"conversation_id": cid},
        headers={"Authorization": f"Bearer {api_key(gateway)}"},
    ).json()
    [order] = tickets["items"]
    assert (order["number"], order["district"], order["request_type"]) == (number, "朝阳区", "complain")
    assert order["contact_phone"] == "13812345678" and "凌晨" in order["description"]
    await chat.close()
    await alice.close()


async def test_two_agents_take_the_same_conversation_exactly_one_wins(gateway):
    alice, bob = await agents(gateway, "alice", "bob")
    chats = [await queued_citizen(gateway.ws) for _ in range(6)]
    for chat in chats:
        take = alice.conv(chat.conversation_id, "take")
        results = await asyncio.gather(alice.post(take), bob.post(take))
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.text for r in results]
        winner = next(r for r in results if r.status_code == 200).json()["agent"]
        loser = next(r for r in results if r.status_code == 409).json()
        assert loser["code"] == "taken_by_other" and loser["agent"] == winner
        await chat.close()
    await alice.close()
    await bob.close()


async def test_an_agent_cannot_act_on_a_conversation_another_holds(gateway):
    alice, bob, sue = await agents(gateway, "alice", "bob", "sue")
    chat = await queued_citizen(gateway.ws)
    cid = chat.conversation_id
    assert (await bob.get(bob.conv(cid))).status_code == 200  # queued: any agent may look
    assert (await alice.post(alice.conv(cid, "take"))).status_code == 200
    for resp in (
        await bob.post(bob.conv(cid, "take")),
        await bob.post(bob.conv(cid, "messages"), json={"text": "我来"}),
        await bob.post(bob.conv(cid, "release")),
        await bob.post(bob.conv(cid, "close")),
        await bob.http.put(bob.conv(cid, "draft"), json={"district": "海淀区"}),
        await sue.post(sue.conv(cid, "messages"), json={"text": "主管插话"}),
    ):
        assert resp.status_code == 409 and resp.json()["agent"] == "alice", resp.text
    assert (await bob.get(bob.conv(cid))).status_code == 403
    assert (await sue.get(sue.conv(cid))).json()["agent"] == "alice"
    assert (await bob.get(bob.conv("web:no-such"))).status_code == 404
    assert (await bob.post(bob.conv("web:no-such", "take"))).status_code == 404
    await chat.close()
    for client in (alice, bob, sue):
        await client.close()


async def test_supervisor_sees_agents_and_watches_a_conversation(gateway):
    await empty_queue(gateway)
    alice, bob, sue = await agents(gateway, "alice", "bob", "sue")
    await alice.connect()
    await sue.connect()
    chat = await queued_citizen(gateway.ws)
    cid = chat.conversation_id
    await alice.post(alice.conv(cid, "take"))
    assert (await alice.get("/api/agent/overview")).status_code == 403
    view = (await sue.get("/api/agent/overview")).json()
    by_name = {a["username"]: a for a in view["agents"]}
    assert by_name["alice"]["online"] and cid in by_name["alice"]["conversations"]
    assert not by_name["bob"]["online"] and by_name["sue"]["role"] == "supervisor"
    assert view["queue_length"] == 0 and view["active"] >= 1

    await sue.ws.send(f'{{"type": "watch", "conversation_id": "{cid}"}}')
    await sue.next_event(lambda e: e["type"] == "watching")
    await chat.say("我家楼下又在烧烤了")
    watched = await sue.next_event(lambda e: e["type"] == "message" and e["message"]["sender"] == "citizen")
    assert watched["message"]["text"] == "我家楼下又在烧烤了"
    await alice.post(alice.conv(cid, "messages"), json={"text": "我们马上联系城管"})
    reply = await sue.next_event(lambda e: e["type"] == "message" and e["message"]["sender"] == "agent")
    assert reply["message"]["text"] == "我们马上联系城管"
    # An ordinary agent may not watch someone else's conversation.
    await bob.connect()
    await bob.ws.send(f'{{"type": "watch", "conversation_id": "{cid}"}}')
    refused = await bob.next_event(lambda e: e["type"] == "error")
    assert refused["code"] == "not_allowed"
    await chat.close()
    for client in (alice, bob, sue):
        await client.close()


async def test_citizens_behind_are_told_their_new_place(gateway):
    await empty_queue(gateway)
    [alice] = await agents(gateway, "alice")
    first = await queued_citizen(gateway.ws)
    second = await ChatClient.connect(gateway.ws)
    await second.recv()
    frames = await second.click("/request_human", "转人工")
    assert "您前面还有1位，预计等待约" in texts(frames)
    await alice.post(alice.conv(first.conversation_id, "take"))
    [update] = await second.recv_until(lambda f: f["type"] == "message")
    assert re.fullmatch(r"您是下一位，预计等待约\d+分钟。", update["text"]) and update["sender"] == "system"
    await first.close()
    await second.close()
    await alice.close()


async def test_a_queued_citizen_can_leave_a_callback_request(gateway):
    chat = await queued_citizen(gateway.ws)
    asked = await chat.click("/callback", "申请回电")
    assert "请留下您的联系电话" in texts(asked)
    done = await chat.say("我的电话是 139 1234 5678")
    assert "已为您登记回电请求" in texts(done) and statuses(done) == ["bot"]
    tickets = httpx.get(
        f"{gateway.http}/api/tickets",
        params={"conversation_id": chat.conversation_id},
        headers={"Authorization": f"Bearer {api_key(gateway)}"},
    ).json()
    [order] = tickets["items"]
    assert order["contact_phone"] == "13912345678" and order["description"].startswith("来电请求回电")
    assert order["request_type"] == "seek_help"
    await chat.close()


async def test_tokens_do_not_reach_the_logs(gateway):
    [alice] = await agents(gateway, "alice")
    await alice.connect()
    await alice.get("/api/agent/queue")
    await alice.close()
    log = gateway.log()
    assert "/ws/agent?token=[redacted]" in log
    assert alice.token not in log and alice.token.split(".")[1] not in log
