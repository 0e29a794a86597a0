"""Surges (未诉先办) reach the supervisors' consoles, on a real gateway process (`hotline serve`
with the surge watch scanning every second): three 停水 orders at one estate filed through the
ticket API become one surge alert that a supervisor's console shows in headless Chromium and
that a supervisor's /ws/agent receives, while an agent's /ws/agent never does."""

import json
import time

import httpx
import pytest
from websockets.sync.client import connect

from tests.agent.live import PASSWORD, add_agent, start_gateway
from tests.helpers import ARTIFACTS, launch_chromium

pytestmark = pytest.mark.browser
API_KEY = "surge-console-key-0123456789abcdef"
ORDER = {"request_type": "complain", "description": "突然停水了，没有任何通知，做饭洗澡都成问题", "district": "朝阳区",
         "street": "望京街道", "address": "丽发新城小区5号楼", "category_code": "020101",
         "category_path": ["市政公用", "供水排水", "停水与供水管线故障"], "urgency": "24h", "channel": "web"}  # fmt: skip


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("surge"), HOTLINE_SURGE_CHECK_S="1", HOTLINE_API_KEYS=API_KEY)
    try:
        add_agent(gw.env, "surge.lead", "supervisor")
        add_agent(gw.env, "surge.agent", "agent")
        yield gw
    finally:
        gw.stop()


def _token(base: str, username: str) -> str:
    resp = httpx.post(f"{base}/api/agent/login", json={"username": username, "password": PASSWORD}, timeout=20)
    assert resp.status_code == 200, resp.text
    return resp.json()["token"]


def _frames(ws, seconds: float) -> list[dict]:
    frames, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frames.append(json.loads(ws.recv(timeout=left)))
        except TimeoutError:
            break
    return frames


def test_a_surge_shows_in_the_supervisor_console_only(gateway) -> None:
    lead, agent = (
        f"{gateway.ws}/ws/agent?token={_token(gateway.http, name)}" for name in ("surge.lead", "surge.agent")
    )
    with connect(lead) as lead_ws, connect(agent) as agent_ws:
        text, numbers = _console_sees_a_surge(gateway)
        lead_frames, agent_frames = _frames(lead_ws, 5), _frames(agent_ws, 2)
    assert "诉求突增" in text and "丽发新城小区" in text and "停水" in text and "3 件" in text
    assert all(number in text for number in numbers)
    surges = [f for f in lead_frames if f["type"] == "surge"]
    assert len(surges) == 1 and sorted(surges[0]["work_orders"]) == sorted(numbers)
    assert surges[0]["district"] == "朝阳区" and surges[0]["category_code"] == "020101"
    assert "13900000000" not in json.dumps(surges[0])
    assert [f for f in agent_frames if f["type"] == "surge"] == []


def _log_in(page, base: str) -> None:
    page.goto(base + "/agent")
    page.fill("#username", "surge.lead")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector('#conn[data-state="open"]')


def _console_sees_a_surge(gateway) -> tuple[str, list[str]]:
    """A supervisor logged in at /agent; three orders filed; the alert's text and the numbers.
    A supervisor who logs in afterwards finds the same alert, once."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            _log_in(page, gateway.http)
            numbers = []
            for k in range(3):
                resp = httpx.post(
                    f"{gateway.http}/api/tickets",
                    json={**ORDER, "contact_phone": f"1390000000{k}"},
                    headers={"Authorization": f"Bearer {API_KEY}"},
                    timeout=20,
                )
                assert resp.status_code == 201, resp.text
                numbers.append(resp.json()["number"])
            alert = page.locator(".surge-alert")
            alert.wait_for(timeout=30_000)
            text = alert.inner_text()
            page.screenshot(path=str(ARTIFACTS / "surge-console.png"))
            later = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            _log_in(later, gateway.http)
            later.locator(".surge-alert").wait_for(timeout=10_000)
            assert later.locator(".surge-alert").count() == 1
            assert all(number in later.locator(".surge-alert").inner_text() for number in numbers)
        finally:
            browser.close()
    return text, numbers
