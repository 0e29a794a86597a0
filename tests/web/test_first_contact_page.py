"""Issue 15 on the chat page (headless Chromium, scripted gateway), phone 390×844 and laptop
1366×768: the document height stays bounded and the End key keeps the chat in place, stale chips are
disabled once an agent joins, WCAG AA contrast of meta text and the idle send button computed from
the rendered styles, 新对话 asks first, an agent-filed work order shows a full card."""

import pytest

from tests.helpers import ARTIFACTS
from tests.web.browser import FakeGateway
from tests.web.test_page import WORK_ORDER, bot

pytestmark = pytest.mark.browser

PHONE, LAPTOP = (390, 844), (1366, 768)

# The contrast ratio of every visible text element against its effective background (WCAG 2.1).
CONTRAST_JS = """(selectors) => {
  const parse = (c) => { const m = c.match(/[0-9.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const lum = ({r, g, b}) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (e) => { for (let n = e; n; n = n.parentElement) { const c = parse(getComputedStyle(n).backgroundColor);
    if (c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const out = [];
  for (const sel of selectors) for (const e of document.querySelectorAll(sel)) {
    if (!e.getClientRects().length || !e.textContent.trim()) continue;
    const fg = lum(parse(getComputedStyle(e).color)), bg = lum(background(e));
    out.push({sel, text: e.textContent.trim().slice(0, 20), size: parseFloat(getComputedStyle(e).fontSize),
              ratio: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)});
  }
  return out;
}"""
META = [".time-sep span", "#conn", "#mode", ".counter", ".wo-fields dt", ".wo-hint", ".kb-line", ".kb-title",
        ".msg-name", ".send", ".chip:not(:disabled)", ".error-notice", ".msg-system .msg-text"]  # fmt: skip


@pytest.fixture()
def open_chat(browser):
    contexts = []

    def make(size):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        return page, FakeGateway(page)

    yield make
    for c in contexts:
        c.close()


def fill_with_messages(page, gw, n: int = 40) -> None:
    def answer(frame, gw):
        for i in range(n):
            gw.push(
                bot(
                    f"第{i}条回复，内容比较长，用来让对话记录超过一屏。",
                    buttons=[{"title": "好的", "payload": "/affirm"}],
                )
            )

    gw.reply = answer
    gw.open()
    page.fill("#input", "你好")
    page.press("#input", "Enter")
    page.wait_for_function(f"() => document.querySelectorAll('.msg-bot').length >= {n}")


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_document_height_is_bounded_and_end_key_keeps_the_chat(open_chat, size):
    page, gw = open_chat(size)
    fill_with_messages(page, gw)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height <= size[1] + 1, f"document {height}px tall in a {size[1]}px window"
    page.locator("body").press("End")
    page.evaluate("() => document.querySelector('.msg-bot').scrollIntoView()")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.scrollY") == 0
    header, composer = page.locator(".header").bounding_box(), page.locator("#composer").bounding_box()
    assert header["y"] == 0 and composer["y"] + composer["height"] <= size[1] + 1
    page.screenshot(path=str(ARTIFACTS / f"chat-bounded-{size[0]}x{size[1]}.png"))


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_meta_text_and_idle_send_button_meet_wcag_aa(open_chat, size):
    page, gw = open_chat(size)
    gw.reply = lambda f, gw: gw.push(bot("已为您登记工单。", data={"work_order": WORK_ORDER}))
    gw.open()
    page.fill("#input", "登记")
    page.press("#input", "Enter")
    page.wait_for_selector(".wo-card")
    assert "send-idle" in page.get_attribute("#send", "class")
    results = page.evaluate(CONTRAST_JS, META)
    seen = {r["sel"] for r in results}
    assert {".time-sep span", "#conn", ".counter", ".wo-fields dt", ".send"} <= seen
    low = [r for r in results if r["ratio"] < 4.5]
    assert not low, low
    page.screenshot(path=str(ARTIFACTS / f"chat-contrast-{size[0]}x{size[1]}.png"))


def test_stale_chips_are_disabled_once_an_agent_joins(open_chat):
    page, gw = open_chat(PHONE)

    def answer(frame, gw):
        if frame.get("payload") == "/request_human":
            gw.push(
                {
                    "type": "message",
                    "sender": "system",
                    "text": "正在为您转接人工客服，请稍候…",
                    "buttons": [{"title": "返回智能客服", "payload": "/back_to_bot"}],
                    "data": {"mode": "queued"},
                }
            )
            gw.push({"type": "status", "mode": "queued"})
        else:
            gw.push(
                bot(
                    "请问有什么可以帮您？",
                    buttons=[
                        {"title": "咨询政策", "payload": "/consult"},
                        {"title": "转人工", "payload": "/request_human"},
                    ],
                )
            )

    gw.reply = answer
    gw.open()
    page.fill("#input", "你好")
    page.press("#input", "Enter")
    page.locator("button.chip", has_text="转人工").click()
    back = page.locator("button.chip", has_text="返回智能客服")
    back.wait_for()
    assert back.is_enabled(), "leaving the queue is possible while waiting"
    gw.push({"type": "status", "mode": "agent"})
    gw.push({"type": "message", "sender": "agent", "text": "您好，我是人工客服。", "buttons": []})
    page.wait_for_selector(".msg-agent")
    assert page.locator("button.chip:enabled").count() == 0
    page.screenshot(path=str(ARTIFACTS / "chat-agent-joined.png"))


def test_new_chat_asks_before_wiping(open_chat):
    page, gw = open_chat(PHONE)
    gw.open()
    page.fill("#input", "我要反映噪音")
    page.press("#input", "Enter")
    page.wait_for_selector(".msg-bot")
    answers = []
    page.once("dialog", lambda d: (answers.append(d.message), d.dismiss()))
    page.click("#new-chat")
    page.wait_for_timeout(200)
    assert answers and "新对话" in answers[0]
    assert page.locator(".msg-citizen").count() == 1, "dismissed: the conversation stays"
    page.once("dialog", lambda d: d.accept())
    page.click("#new-chat")
    page.wait_for_function("() => document.querySelectorAll('.msg-citizen').length === 0")


def test_agent_filed_work_order_shows_a_full_card_with_one_number_format(open_chat):
    page, gw = open_chat(PHONE)
    gw.open()
    order = {
        "number": "26120500030",
        "status": "accepted",
        "deadline": "2026-12-06T10:00:00+08:00",
        "request_type": "complain",
    }  # what an agent's filing carries
    gw.push(
        {
            "type": "message",
            "sender": "agent",
            "text": "已为您登记工单，编号 26120500030。",
            "buttons": [],
            "data": {"work_order": order},
        }
    )
    card = page.locator(".msg-agent .wo-card")
    card.wait_for()
    text = card.inner_text()
    assert "26120500030" in text and "投诉工单" in text and "已受理" in text and "办理时限" in text
    assert "查询工单 26120500030" in text


def test_a_card_without_a_deadline_shows_the_time_limit_of_its_urgency(open_chat):
    page, gw = open_chat(PHONE)
    gw.open()
    card_data = {"number": "26120500031", "status": "accepted", "urgency": "24h"}  # an agent's filing today
    gw.push(
        {
            "type": "message",
            "sender": "system",
            "text": "本次人工服务已结束。已为您登记工单，编号26120500031。",
            "buttons": [],
            "data": {"work_order": card_data, "mode": "bot"},
        }
    )
    card = page.locator(".msg-system .wo-card")
    card.wait_for()
    assert (
        card.locator(".wo-deadline").inner_text() == "24小时内" and card.locator(".wo-status").inner_text() == "已受理"
    )
    assert card.locator(".wo-number").inner_text() == "26120500031"
    page.screenshot(path=str(ARTIFACTS / "chat-agent-filed-card.png"))
