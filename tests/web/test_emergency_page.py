"""Emergency advice on the chat page (headless Chromium, scripted gateway): red, with tap-to-call
`tel:` buttons, and pinned on screen while the work order and queue notices push in below."""

import pytest

from tests.helpers import ARTIFACTS
from tests.web.browser import FakeGateway
from tests.web.test_page import bot

pytestmark = pytest.mark.browser

ADVICE = {
    "type": "message",
    "sender": "system",
    "buttons": [],
    "text": "情况紧急！请立即拨打119火警电话，尽快撤到安全的地方，不要乘电梯。也请拨打120急救电话。我们同时通知人工客服跟进。",
    "data": {
        "emergency": {
            "services": ["fire", "medical"],
            "numbers": [
                {"service": "fire", "number": "119", "label": "火警 119"},
                {"service": "medical", "number": "120", "label": "急救 120"},
                {"service": "bad", "number": "javascript:alert(1)", "label": "x"},
            ],
        }
    },
}


def test_advice_is_red_with_call_buttons_and_stays_on_screen(browser):
    context = browser.new_context(viewport={"width": 390, "height": 700}, locale="zh-CN")
    page = context.new_page()
    gw = FakeGateway(page)

    def answer(frame, gw):
        gw.push(ADVICE)
        for i in range(12):
            gw.push(bot(f"已同步登记紧急工单，第{i}条后续消息，内容比较长，用来把页面往上推。"))
        gw.push({"type": "status", "mode": "queued"})

    gw.reply = answer
    gw.open()
    page.fill("#input", "楼道里着火了")
    page.press("#input", "Enter")
    page.wait_for_function("document.querySelectorAll('.msg-bot').length >= 12")
    row = page.locator(".msg-emergency")
    assert row.get_attribute("role") == "alert"
    calls = row.locator("a.call-button")
    assert calls.count() == 2, "only real numbers become call buttons"
    assert [calls.nth(i).get_attribute("href") for i in range(2)] == ["tel:119", "tel:120"]
    assert calls.nth(0).inner_text() == "拨打 火警 119"
    background = row.locator(".msg-text").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(198, 40, 40)"
    page.locator(".msg-bot").last.scroll_into_view_if_needed()
    box, viewport = row.bounding_box(), page.viewport_size
    assert box is not None and 0 <= box["y"] < viewport["height"] - box["height"], "the advice stays in view"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-emergency.png"))
    context.close()
