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
from tests.e2e.loop_helpers import act, add_account, api_key, attempt, order, token, unique
from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e


def survey_question(frame: dict, question: str) -> bool:
    return frame.get("type") == "message" and (frame.get("data") or {}).get("survey", {}).get("question") == question


def button(frame: dict, title: str) -> str:
    return next(b["payload"] for b in frame["buttons"] if b["title"] == title)


async def file_complaint(stack) -> tuple[ChatClient, str]:
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    frames = await chat.say(
        "我要投诉 朝阳区望京街道阜通东大街有个工地每天半夜两点还在打桩 吵得睡不着 我电话是13911112222"
    )
    if "核对" not in texts(frames):
        frames = await chat.say("每天半夜两点")
    done = texts(await chat.say("对的确认提交"))
    assert "已为您登记工单" in done, done
    [filed] = httpx.get(
        f"{stack.http}/api/tickets", params={"conversation_id": chat.conversation_id}, headers=api_key(stack)
    ).json()["items"]
    return chat, filed["number"]


async def test_the_whole_loop_on_the_web_chat(stack):
    chat, number = await file_complaint(stack)
    filed = order(stack, number)
    assert filed["status"] == "dispatched" and filed["unit"]["name"].startswith("望京"), filed["unit"]
    unit = filed["unit"]["code"]
    wangjing = token(stack, add_account(stack, unique("wangjing_ops"), "unit", unit))

    inbox = httpx.get(f"{stack.http}/api/units/orders", headers=wangjing).json()
    [mine] = [o for o in inbox["items"] if o["number"] == number]
    assert mine["contact_phone"] == "139****2222" and "13911112222" not in json.dumps(inbox, ensure_ascii=False)
    assert act(stack, number, "accept", wangjing)["status"] == "in_progress"
    resolved = act(stack, number, "resolve", wangjing, {"text": "已责令施工单位停止夜间施工，并安排夜间巡查"})
    assert resolved["status"] == "resolved"

    got = await chat.recv_until(lambda f: survey_question(f, "resolved"), timeout=20)
    assert "停止夜间施工" in texts(got) and "问题解决了吗" in texts(got)
    reopened = texts(await chat.click(button(got[-1], "未解决"), "未解决"))
    assert "重新交承办单位" in reopened
    reopened = order(stack, number)
    assert (reopened["status"], reopened["reopen_count"], reopened["unit"]["code"]) == ("dispatched", 1, unit)
    assert reopened["survey"]["resolved"] is False

    act(stack, number, "accept", wangjing)
    act(stack, number, "resolve", wangjing, {"text": "施工单位已调整作业时间，夜间不再施工"})
    got = await chat.recv_until(lambda f: survey_question(f, "resolved"), timeout=20)
    frames = await chat.click(button(got[-1], "已解决"), "已解决")
    [q2] = [f for f in frames if survey_question(f, "satisfaction")]
    assert "感谢" in texts(await chat.click(button(q2, "满意"), "满意"))
    status = texts(await chat.say("我的工单办得怎么样了"))
    assert "已回访" in status and "夜间不再施工" in status, status
    await chat.close()

    final = order(stack, number)
    assert final["status"] == "visited"
    assert final["survey"]["resolved"] is True and final["survey"]["satisfaction"] == "满意"
    kinds = [e["kind"] for e in final["events"]]
    assert kinds[:2] == ["created", "dispatch"] and kinds.count("resolve") == 2 and "reopened" in kinds
    accepted_by = {e["actor"] for e in final["events"] if e["kind"] == "accept"}
    assert len(accepted_by) == 1 and accepted_by.pop().startswith("unit:wangjing_ops")

    public = httpx.get(f"{stack.http}/open311/v2/requests/{number}.json").json()[0]
    assert public["status"] == "closed" and "夜间不再施工" in public["status_notes"]

    report = subprocess.run(
        [sys.executable, "-m", "cli", "report", "daily", "--format", "json"],
        cwd=ROOT,
        env=stack.env,
        text=True,
        capture_output=True,
        timeout=120,
    )
    assert report.returncode == 0, report.stderr
    daily = json.loads(report.stdout)
    assert daily["received"] >= 1 and daily["resolved"] >= 1
    assert daily["rates"]["resolution"] > 0 and daily["rates"]["satisfaction"] > 0


async def test_permissions_and_illegal_transitions(stack):
    chat, number = await file_complaint(stack)
    await chat.close()
    unit = order(stack, number)["unit"]["code"]
    other = token(stack, add_account(stack, unique("heat_ops"), "unit", "UTIL-HEAT"))
    agent = token(stack, add_account(stack, unique("desk_agent"), "agent"))
    supervisor = token(stack, add_account(stack, unique("desk_lead"), "supervisor"))

    assert number not in json.dumps(httpx.get(f"{stack.http}/api/units/orders", headers=other).json())
    assert httpx.get(f"{stack.http}/api/units/orders/{number}", headers=other).status_code == 403
    assert httpx.get(f"{stack.http}/api/units/orders", params={"unit": unit}, headers=other).status_code == 403
    assert attempt(stack, number, "accept", other).status_code == 403
    assert attempt(stack, number, "resolve", agent, {"text": "坐席不能办结"}).status_code == 403
    assert attempt(stack, number, "resolve", supervisor, {"text": "主管也不办理"}).status_code == 403
    assert attempt(stack, number, "accept", {}).status_code == 401

    conflict = attempt(stack, number, "resolve", api_key(stack), {})
    assert conflict.status_code == 422  # the result text is required
    assert attempt(stack, number, "close", supervisor, {"reason": "重复工单"}).status_code == 200
    conflict = attempt(stack, number, "accept", api_key(stack))
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "illegal_transition" and conflict.json()["status"] == "closed"
    # an agent's token does not open the unit inbox, a unit's token not the agent console's APIs
    assert httpx.get(f"{stack.http}/api/units/orders", headers=agent).status_code == 403
    assert httpx.get(f"{stack.http}/api/agent/queue", headers=other).status_code == 403
