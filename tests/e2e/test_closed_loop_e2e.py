"""The closed loop over the real stack, on the web chat: a complaint is filed and dispatched to
its unit at once; a unit account (created with the CLI) accepts and resolves; the connected
citizen hears the result and 问题解决了吗？; 未解决 reopens the order to the same unit; resolved
again, 已解决 + 满意 → `visited`; `hotline report daily` counts it. Permissions and illegal
transitions are checked on the same stack."""

import json
import subprocess
import sys

import httpx
import pytest

from tests.conftest import ROOT
from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e
PASSWORD = "unit-secret-2026"


def cli(stack, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=stack.env, input=stdin, text=True,
                          capture_output=True, timeout=120)  # fmt: skip


def login(stack, username: str, role: str, unit: str | None = None) -> dict:
    extra = ["--unit", unit] if unit else []
    added = cli(stack, "agents", "add", username, "--role", role, *extra, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    resp = httpx.post(f"{stack.http}/api/agent/login", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def api_key(stack) -> dict:
    return {"Authorization": f"Bearer {stack.secret('api_key')}"}


def act(stack, number: str, action: str, headers: dict, body: dict | None = None) -> httpx.Response:
    return httpx.post(f"{stack.http}/api/tickets/{number}/{action}", json=body or {}, headers=headers, timeout=20)


def survey_question(frame: dict, question: str) -> bool:
    return frame.get("type") == "message" and (frame.get("data") or {}).get("survey", {}).get("question") == question


def button(frame: dict, title: str) -> str:
    return next(b["payload"] for b in frame["buttons"] if b["title"] == title)


async def file_complaint(stack) -> tuple[ChatClient, str]:
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    frames = await chat.say("我要投诉 朝阳区望京街道阜通东大街有个工地每天半夜两点还在打桩 吵得睡不着 我电话是13911112222")
    if "核对" not in texts(frames):
        frames = await chat.say("每天半夜两点")
    done = texts(await chat.say("对的确认提交"))
    assert "已为您登记工单" in done, done
    [order] = httpx.get(f"{stack.http}/api/tickets", params={"conversation_id": chat.conversation_id},
                        headers=api_key(stack)).json()["items"]  # fmt: skip
    return chat, order["number"]


async def test_the_whole_loop_on_the_web_chat(stack):
    chat, number = await file_complaint(stack)
    order = httpx.get(f"{stack.http}/api/tickets/{number}", headers=api_key(stack)).json()
    assert order["status"] == "dispatched" and order["unit"]["name"].startswith("望京"), order["unit"]
    unit = order["unit"]["code"]
    wangjing = login(stack, "wangjing_ops", "unit", unit)

    inbox = httpx.get(f"{stack.http}/api/units/orders", headers=wangjing).json()
    [mine] = [o for o in inbox["items"] if o["number"] == number]
    assert mine["contact_phone"] == "139****2222" and "13911112222" not in json.dumps(inbox, ensure_ascii=False)
    assert act(stack, number, "accept", wangjing).json()["status"] == "in_progress"
    resolved = act(stack, number, "resolve", wangjing, {"text": "已责令施工单位停止夜间施工，并安排夜间巡查"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"

    got = await chat.recv_until(lambda f: survey_question(f, "resolved"), timeout=20)
    assert "停止夜间施工" in texts(got) and "问题解决了吗" in texts(got)
    reopened = texts(await chat.click(button(got[-1], "未解决"), "未解决"))
    assert "重新交承办单位" in reopened
    order = httpx.get(f"{stack.http}/api/tickets/{number}", headers=api_key(stack)).json()
    assert (order["status"], order["reopen_count"], order["unit"]["code"]) == ("dispatched", 1, unit)
    assert order["survey"]["resolved"] is False

    act(stack, number, "accept", wangjing)
    act(stack, number, "resolve", wangjing, {"text": "施工单位已调整作业时间，夜间不再施工"})
    got = await chat.recv_until(lambda f: survey_question(f, "resolved"), timeout=20)
    frames = await chat.click(button(got[-1], "已解决"), "已解决")
    [q2] = [f for f in frames if survey_question(f, "satisfaction")]
    assert "感谢" in texts(await chat.click(button(q2, "满意"), "满意"))
    status = texts(await chat.say("我的工单办得怎么样了"))
    assert "已回访" in status and "夜间不再施工" in status, status
    await chat.close()

    order = httpx.get(f"{stack.http}/api/tickets/{number}", headers=api_key(stack)).json()
    assert order["status"] == "visited"
    assert order["survey"]["resolved"] is True and order["survey"]["satisfaction"] == "满意"
    kinds = [e["kind"] for e in order["events"]]
    assert kinds[:2] == ["created", "dispatch"] and kinds.count("resolve") == 2 and "reopened" in kinds
    assert [e["actor"] for e in order["events"] if e["kind"] == "accept"] == ["unit:wangjing_ops"] * 2

    public = httpx.get(f"{stack.http}/open311/v2/requests/{number}.json").json()[0]
    assert public["status"] == "closed" and "夜间不再施工" in public["status_notes"]

    report = cli(stack, "report", "daily", "--format", "json")
    assert report.returncode == 0, report.stderr
    daily = json.loads(report.stdout)
    assert daily["received"] >= 1 and daily["resolved"] >= 1
    assert daily["rates"]["resolution"] > 0 and daily["rates"]["satisfaction"] > 0


async def test_permissions_and_illegal_transitions(stack):
    chat, number = await file_complaint(stack)
    await chat.close()
    unit = httpx.get(f"{stack.http}/api/tickets/{number}", headers=api_key(stack)).json()["unit"]["code"]
    other = login(stack, "other_unit_ops", "unit", "UTIL-HEAT")
    agent = login(stack, "desk_agent_li", "agent")
    supervisor = login(stack, "desk_super_zhao", "supervisor")

    assert number not in json.dumps(httpx.get(f"{stack.http}/api/units/orders", headers=other).json())
    assert httpx.get(f"{stack.http}/api/units/orders/{number}", headers=other).status_code == 403
    assert httpx.get(f"{stack.http}/api/units/orders", params={"unit": unit}, headers=other).status_code == 403
    assert act(stack, number, "accept", other).status_code == 403
    assert act(stack, number, "resolve", agent, {"text": "坐席不能办结"}).status_code == 403
    assert act(stack, number, "resolve", supervisor, {"text": "主管也不办理"}).status_code == 403
    assert act(stack, number, "accept", {}).status_code == 401

    conflict = act(stack, number, "resolve", api_key(stack), {})
    assert conflict.status_code == 422  # the result text is required
    assert act(stack, number, "close", supervisor, {"reason": "重复工单"}).status_code == 200
    conflict = act(stack, number, "accept", api_key(stack))
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "illegal_transition" and conflict.json()["status"] == "closed"
    # an agent's token does not open the unit inbox, a unit's token not the agent console's APIs
    assert httpx.get(f"{stack.http}/api/units/orders", headers=agent).status_code == 403
    assert httpx.get(f"{stack.http}/api/agent/queue", headers=other).status_code == 403
