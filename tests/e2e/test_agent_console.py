"""The agent console at /agent and the citizen chat page at / in a real headless Chromium, on the
real stack: the citizen asks the bot for a person, an agent logs in, takes the queued
conversation, sees the citizen's markup as text, uses a canned reply and a knowledge-base answer,
replies (the citizen's page shows the reply as an agent's), and closes it with a work order; a
supervisor sees the agent at work."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.helpers import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PASSWORD = "console pass phrase 9"
XSS = "<img src=x onerror=\"document.body.dataset.xss='1'\">楼下烧烤店半夜太吵"


@pytest.fixture(scope="module")
def accounts(stack):
    for name, role in (("console.agent", "agent"), ("console.lead", "supervisor")):
        done = subprocess.run(
            [sys.executable, "-m", "cli", "agents", "add", name, "--role", role],
            cwd=ROOT,
            env=stack.env,
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/agent")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector('#conn[data-state="open"]')


def test_agent_takes_a_queued_conversation_and_the_citizen_sees_the_reply(stack, browser, accounts):
    ARTIFACTS.mkdir(exist_ok=True)
    citizen = browser.new_page(viewport={"width": 420, "height": 800}, locale="zh-CN")
    citizen.goto(stack.http + "/")
    citizen.wait_for_selector('#conn[data-state="open"]')
    citizen.fill("#input", "我要找人工客服")
    citizen.press("#input", "Enter")
    citizen.wait_for_selector(".msg >> text=正在为您转接人工客服")
    citizen.wait_for_selector('#mode[data-mode="queued"]')
    citizen.fill("#input", XSS)
    citizen.press("#input", "Enter")
    citizen.wait_for_selector(".msg >> text=等待人工客服")
    cid = citizen.evaluate("window.hotlineChat.conversationId()")

    agent = browser.new_page(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    errors: list[str] = []
    agent.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(agent, stack.http, "console.agent")
    item = agent.locator(f'li.queue-item[data-cid="{cid}"]')
    item.wait_for()
    assert "市民要求" in item.inner_text()
    item.locator("button.take").click()
    agent.wait_for_selector("#composer:not([hidden])")
    citizen.wait_for_selector(".msg >> text=人工客服已接入")
    citizen.wait_for_selector('#mode[data-mode="agent"]')

    # The citizen's markup is shown as text in the console, and nothing in it ran.
    agent.wait_for_selector(".msg-citizen .msg-text >> text=楼下烧烤店半夜太吵")
    shown = agent.locator(".msg-citizen .msg-text").last.inner_text()
    assert shown == XSS
    assert agent.evaluate("document.body.dataset.xss") is None
    assert agent.locator("#transcript img").count() == 0
    assert "转接原因" in agent.locator("#summary").inner_text()

    agent.select_option("#canned", label="问候")
    assert "12345热线人工客服" in agent.input_value("#reply")
    agent.fill("#kb-query", "居住证怎么办理")  # knowledge-base answer, one click into the reply box
    agent.click("#kb-search")
    agent.locator(".kb-item").first.wait_for()
    agent.locator(".kb-insert").first.click()
    assert "居住证" in agent.input_value("#reply") and "依据" in agent.input_value("#reply")
    agent.fill("#reply", "您好，我是人工客服小王，烧烤店的位置在哪里？")
    agent.press("#reply", "Enter")
    reply = citizen.locator(".msg-agent", has_text="我是人工客服小王")
    reply.wait_for()
    assert reply.locator(".msg-name").inner_text() == "人工客服"  # marked as an agent's words
    citizen.screenshot(path=str(ARTIFACTS / "agent-reply-citizen-page.png"), full_page=True)

    citizen.fill("#input", "在朝阳区望京西园三区")
    citizen.press("#input", "Enter")
    agent.wait_for_selector(".msg-citizen .msg-text >> text=在朝阳区望京西园三区")
    agent.screenshot(path=str(ARTIFACTS / "agent-console.png"), full_page=True)

    lead = browser.new_page(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    log_in(lead, stack.http, "console.lead")
    lead.click("#tab-team")  # the agents' table has a tab of its own
    row = lead.locator('#agents tr[data-agent="console.agent"]')
    row.wait_for()
    assert "在线" in row.inner_text()
    row.locator("button.link").first.click()  # watch the conversation, read-only
    lead.wait_for_selector("#readonly:not([hidden])")
    lead.wait_for_selector(".msg-agent .msg-text >> text=我是人工客服小王")
    assert lead.locator("#composer").is_hidden()
    lead.screenshot(path=str(ARTIFACTS / "agent-console-supervisor.png"), full_page=True)

    agent.select_option('#draft-form select[name="request_type"]', "complain")
    agent.fill('#draft-form textarea[name="description"]', "望京西园三区楼下烧烤店半夜营业，噪音扰民")
    agent.select_option('#draft-form select[name="district"]', "朝阳区")
    agent.fill('#draft-form input[name="address"]', "望京西园三区")
    agent.click("#close-order")
    citizen.wait_for_selector(".msg >> text=已为您登记工单")
    citizen.wait_for_selector('#mode[data-mode="bot"]')
    agent.wait_for_selector("#notice >> text=已登记")
    agent.screenshot(path=str(ARTIFACTS / "agent-console-closed.png"), full_page=True)
    assert errors == []
    for page in (citizen, agent, lead):
        page.close()


def test_agents_see_whether_an_emergency_order_reached_the_emergency_services(stack, browser, accounts):
    """12345+110: an emergency work order is pushed at once to the emergency webhook (a real local
    receiver) exactly once, and the agent console says it arrived."""
    import httpx

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, stack.http, "console.agent")
    body = {
        "request_type": "seek_help",
        "description": "小区地下车库着火了，浓烟很大，有人被困",
        "district": "朝阳区",
        "emergency": True,
        "channel": "web",
    }
    order = httpx.post(
        f"{stack.http}/api/tickets", json=body, headers={"Authorization": f"Bearer {stack.secret('api_key')}"}
    ).json()
    item = page.wait_for_selector(
        f'#alerts [data-work-order="{order["number"]}"][data-delivered="yes"]', timeout=20_000
    )
    assert "已送达应急联动平台" in item.inner_text()
    received = stack.emergency_services.accepted[f"emergency-{order['number']}"]
    assert received["event"] == "work_order.created" and received["work_order"]["urgency"] == "2h"
    page.screenshot(path=str(ARTIFACTS / "agent-console-emergency-delivery.png"))
    page.close()
