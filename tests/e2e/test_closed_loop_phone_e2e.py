"""The survey (回访) of a phone citizen over the real stack: an order filed from a call is resolved
by its unit through the HTTP API; the stack's gateway originates the survey call through a local
Asterisk speaking ARI (the session's), which dials back into the stack's AudioSocket server like
the dialplan `AudioSocket(${HOTLINE_CALL_ID},…)`; the callee answers with keypad digits:
2 (未解决) reopens, then after a second result 1, 1 (已解决, 满意) → `visited`."""

import asyncio
import time

import pytest

from tests.e2e.loop_helpers import act, add_account, file_order, order, token, unique

pytestmark = pytest.mark.e2e
CITIZEN = "13911113333"


def wait_status(stack, number: str, status: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        current = order(stack, number)
        if current["status"] == status or time.monotonic() > deadline:
            return current
        time.sleep(0.3)


def next_callee_presses(stack, keys: str) -> int:
    """The keys the next callee presses (set before the call is placed); the calls so far."""
    stack.pbx.asterisk.keys.append(keys)
    return len(stack.pbx.asterisk.callees)


def answered_call(stack, before: int):
    asterisk = stack.pbx.asterisk
    deadline = time.monotonic() + 20
    while len(asterisk.callees) == before:
        assert time.monotonic() < deadline, f"no survey call: {asterisk.requests} {stack.log_tail('gateway', 30)}"
        time.sleep(0.1)
    callee = asterisk.callees[-1]
    stack.pbx.run(asyncio.wait_for(callee.closed.wait(), 150), timeout=160)
    assert callee.error is None and callee.hung_up_by_gateway, (callee.error, stack.log_tail("gateway", 40))
    return callee


def test_a_phone_citizen_is_called_back_and_answers_with_the_keypad(stack):
    number = file_order(
        stack,
        description="小区门口的路灯坏了一个多月了，晚上一片漆黑",
        district="朝阳区",
        street="望京街道",
        address="望京西园三区",
        contact_phone=CITIZEN,
        conversation_id="phone:4b1d9a52-0c3e-4f6a-9a57-3f1e2d6c7b80",
    )  # a call's order
    unit = order(stack, number)["unit"]["code"]
    headers = token(stack, add_account(stack, unique("wangjing_phone_ops"), "unit", unit))

    act(stack, number, "accept", headers)
    calls = next_callee_presses(stack, "2")
    assert act(stack, number, "resolve", headers, {"text": "已更换路灯灯泡"})["status"] == "resolved"
    answered_call(stack, calls)
    reopened = wait_status(stack, number, "dispatched")
    assert reopened["reopen_count"] == 1 and reopened["survey"]["resolved"] is False, stack.log_tail("gateway", 60)
    request = stack.pbx.asterisk.requests[-1]
    assert request["endpoint"].endswith(f"{CITIZEN}@trunk") and request["context"] == "hotline-survey"

    act(stack, number, "accept", headers)
    calls = next_callee_presses(stack, "11")
    act(stack, number, "resolve", headers, {"text": "已更换整条线路，路灯恢复照明"})
    answered_call(stack, calls)
    final = wait_status(stack, number, "visited")
    assert final["survey"]["resolved"] is True and final["survey"]["satisfaction"] == "满意"
    kinds = [e["kind"] for e in final["events"]]
    assert kinds.count("notified") == 2 and kinds[-1] == "visited"
    assert [e["note"] for e in final["events"] if e["kind"] == "notified"] == ["phone", "phone"]
    assert CITIZEN not in stack.log_tail("gateway", 400), "the citizen's number is masked in the logs"
