"""The citizen widget in real headless Chromium against the real stack (Rasa, action server,
gateway): a whole complaint ending in a work-order card, a button click, 长辈模式, the mobile
layout, reconnecting after a network drop without losing messages, and markup shown as text.
Screenshots go to test-artifacts/."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.loop_helpers import tickets_of
from tests.web.browser import ARTIFACTS
from tickets.models import STATUS_LABELS, Status

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture()
def open_page(browser, stack):
    contexts = []

    def make(width: int = 1280, height: int = 860):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(ctx)
        page = ctx.new_page()
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(stack.http + "/")
        page.wait_for_selector('#conn[data-state="open"]')
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def say(page, text: str, expect: str, timeout: float = 30_000) -> None:
    """Type like a citizen (Enter sends) and wait for a bot/system reply containing `expect`."""
    before = page.locator(".msg-bot, .msg-system, .msg-agent").count()
    page.fill("#input", text)
    page.press("#input", "Enter")
    page.wait_for_function(
        """([n, expect]) => {
            const rows = [...document.querySelectorAll('.msg-bot, .msg-system, .msg-agent')].slice(n);
            return rows.some(r => r.textContent.includes(expect));
        }""",
        arg=[before, expect],
        timeout=timeout,
    )


def beijing_deadline(iso_z: str) -> str:
    d = datetime.fromisoformat(iso_z.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{d.month}月{d.day}日 {d.hour:02d}:{d.minute:02d}前"


def test_complaint_through_the_widget_ends_with_a_work_order_card(stack, open_page):
    page = open_page()
    assert page.inner_text(".title") == "12345 市民服务热线" and page.inner_text("#mode") == "智能客服"
    say(page, "你好", "12345")
    page.locator(".msg-bot button.chip", has_text="反映问题").last.click()  # the greeting has one too
    page.wait_for_selector(".msg-bot >> text=具体说一下")
    assert page.locator(".msg-citizen .msg-text").last.inner_text() == "反映问题"
    say(page, "楼下新开的饭馆油烟太大 窗户都不敢开", "哪个区")
    say(page, "海淀区中关村大街1号院", "什么时候")
    say(page, "昨天晚上十点", "联系电话")
    say(page, "13900001111", "核对")
    say(page, "对的", "已为您登记工单")

    card = page.locator(".msg-bot .wo-card").last
    card.wait_for()
    conversation_id = page.evaluate("window.hotlineChat.conversationId()")
    [order] = tickets_of(stack, conversation_id)
    assert card.locator(".wo-number").inner_text() == order["number"]
    assert card.locator(".wo-status").inner_text() == STATUS_LABELS[Status(order["status"])]  # 已派单 to its unit
    assert card.locator(".wo-deadline").inner_text() == beijing_deadline(order["deadline"])
    assert "海淀区" in card.inner_text() and "投诉工单" in card.inner_text()
    assert page.locator(".time-sep").count() >= 1 and page.locator(".msg-bot .avatar-bot").count() >= 6
    page.screenshot(path=str(ARTIFACTS / "widget-desktop.png"))


def test_mobile_layout_and_elder_mode(open_page):
    page = open_page(390, 844)
    say(page, "你好", "12345")
    width = page.eval_on_selector(".app", "e => e.getBoundingClientRect().width")
    assert width == 390, "full screen on a phone"
    page.screenshot(path=str(ARTIFACTS / "widget-mobile.png"))

    def font_px(selector: str) -> float:
        return page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)")

    def height(selector: str) -> float:
        return page.eval_on_selector(selector, "e => e.getBoundingClientRect().height")

    text_before, chip_before = font_px(".msg-bot .msg-text"), height(".msg-bot .chip")
    page.get_by_role("button", name="长辈模式").click()
    assert font_px(".msg-bot .msg-text") >= text_before * 1.3
    assert height(".msg-bot .chip") > chip_before
    page.screenshot(path=str(ARTIFACTS / "widget-elder-mode.png"))
    page.reload()
    page.wait_for_selector(".msg-bot .msg-text")
    assert font_px(".msg-bot .msg-text") >= text_before * 1.3, "elders' mode is remembered"


def test_messages_typed_during_a_network_drop_arrive_after_reconnect(open_page):
    page = open_page(420, 860)
    say(page, "你好", "12345")
    conversation_id = page.evaluate("window.hotlineChat.conversationId()")

    page.context.set_offline(True)
    page.evaluate("window.hotlineChat.socket() && window.hotlineChat.socket().close()")
    page.wait_for_selector('#conn[data-state="closed"]')
    for text in ("我要投诉", "楼下新开的饭馆油烟太大 窗户都不敢开"):
        page.fill("#input", text)
        page.press("#input", "Enter")
    assert page.locator(".msg-pending").count() == 2
    page.wait_for_timeout(1500)  # a few reconnect attempts fail while offline
    assert page.locator(".msg-pending").count() == 2

    page.context.set_offline(False)
    page.wait_for_selector('#conn[data-state="open"]', timeout=15_000)
    page.wait_for_selector(".msg-bot >> text=哪个区", timeout=30_000)
    assert page.locator(".msg-pending").count() == 0
    assert page.evaluate("window.hotlineChat.conversationId()") == conversation_id

    page.reload()
    page.wait_for_selector(".msg-bot >> text=哪个区")
    said = page.locator(".msg-citizen .msg-text").all_inner_texts()
    assert said == ["你好", "我要投诉", "楼下新开的饭馆油烟太大 窗户都不敢开"]


def test_markup_and_scripts_are_shown_as_text(open_page):
    page = open_page(420, 860)
    evil = "<img src=x onerror=alert(1)><script>alert(2)</script><b>加粗</b>"
    page.fill("#input", evil)
    page.press("#input", "Enter")
    page.wait_for_selector(".msg-bot, .msg-system")
    assert page.locator(".msg-citizen .msg-text").last.inner_text() == evil
    page.reload()
    page.wait_for_selector(".msg-citizen .msg-text")
    assert page.locator(".msg-citizen .msg-text").first.inner_text() == evil
    page.wait_for_timeout(300)
    assert page.dialogs == [] and page.locator(".messages img, .messages script, .messages b").count() == 0


def test_consultation_answer_shows_its_source(open_page):
    page = open_page(420, 860)
    say(page, "外地人怎么办居住证", "居住证")  # one article fits: answered with its source
    source = page.locator(".msg-bot .kb-source").last
    source.wait_for()
    text = source.inner_text()
    assert "来源：" in text and "《" in text and "核对于" in text and "如需确认" in text, text
    page.screenshot(path=str(ARTIFACTS / "widget-consultation.png"))


def test_reply_is_read_aloud_by_the_gateway(open_page):
    page = open_page(420, 860)
    say(page, "你好", "12345")
    with page.expect_response(lambda r: "/api/tts?" in r.url, timeout=30_000) as answer:
        page.locator(".msg-bot .speak").first.click()
    response = answer.value
    assert response.status == 200 and response.headers["content-type"] == "audio/wav"
    assert "rate=normal" in response.url and len(response.body()) > 16000  # over half a second of speech
    # Predicates as functions: a bare expression would be eval'ed in the page, which its CSP forbids.
    page.wait_for_function(
        "() => document.querySelector('.msg-bot .speak').getAttribute('aria-pressed') === 'false'", timeout=60_000
    )
    assert page.evaluate("window.hotlineChat.speechMode()") == "server", "no fallback to the browser's voice"

    page.get_by_role("button", name="长辈模式").click()
    with page.expect_response(lambda r: "/api/tts?" in r.url, timeout=30_000) as slow:
        page.locator(".msg-bot .speak").first.click()
    assert "rate=slow" in slow.value.url and slow.value.status == 200
    assert len(slow.value.body()) > len(response.body()), "slower speech in 长辈模式"
