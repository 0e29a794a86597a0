"""Issue 15, the citizen's first contact with the widget in real headless Chromium against the real
stack, on a phone (390×844) and a laptop (1366×768): the greeting and its topic chips before the
citizen types, and the chips answering. Screenshots go to test-artifacts/."""

import pytest

from tests.web.browser import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PHONE, LAPTOP = (390, 844), (1366, 768)
GREETING_CHIPS = ["咨询政策", "反映问题", "查询工单", "转人工"]


@pytest.fixture()
def open_page(browser, stack):
    contexts = []

    def make(size: tuple[int, int]):
        ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto(stack.http + "/")
        page.wait_for_selector('#conn[data-state="open"]')
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


def bot_rows_after(page, n: int, expect_chip: str, timeout: float = 30_000) -> None:
    page.wait_for_function(
        """([n, chip]) => [...document.querySelectorAll('.msg-bot')].slice(n)
            .some(r => [...r.querySelectorAll('button.chip')].some(c => c.textContent === chip))""",
        arg=[n, expect_chip],
        timeout=timeout,
    )


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_greeting_and_topic_chips_show_before_the_citizen_types(open_page, size):
    page = open_page(size)
    greeting = page.locator(".msg-bot").first
    greeting.wait_for(timeout=5_000)
    assert "12345" in greeting.locator(".msg-text").inner_text()
    chips = greeting.locator("button.chip")
    assert chips.all_inner_texts() == GREETING_CHIPS
    for i in range(chips.count()):
        assert chips.nth(i).is_enabled() and in_view(page, chips.nth(i)), GREETING_CHIPS[i]
    assert page.locator(".msg-citizen").count() == 0
    page.screenshot(path=str(ARTIFACTS / f"widget-first-screen-{size[0]}x{size[1]}.png"))


def test_the_greetings_consult_chip_offers_topics_that_answer(open_page):
    page = open_page(PHONE)
    page.locator(".msg-bot button.chip", has_text="咨询政策").click()
    bot_rows_after(page, 1, "供暖时间")
    reply = page.locator(".msg-bot").nth(1)
    assert "没有找到" not in reply.inner_text() and "咨询哪方面" in reply.inner_text()
    page.screenshot(path=str(ARTIFACTS / "widget-consult-topics.png"))
    reply.locator("button.chip", has_text="供暖时间").click()
    page.wait_for_function("() => document.querySelectorAll('.msg-bot').length >= 3", timeout=30_000)
    answer = page.locator(".msg-bot").nth(2)
    answer.locator(".kb-source").wait_for()
    assert "供暖" in answer.inner_text() and "没有找到" not in answer.inner_text()
    # A question typed after the chip is still answered from the knowledge base.
    page.fill("#input", "外地人怎么办居住证")
    page.press("#input", "Enter")
    page.wait_for_function("() => document.querySelectorAll('.msg-bot .kb-source').length >= 2", timeout=30_000)
    assert "居住证" in page.locator(".msg-bot").last.inner_text()


def replies_to(page, text: str, settle_ms: int = 2_500, timeout: float = 30_000) -> list[str]:
    """Send `text` like a citizen and return every bot/system bubble of that turn (after it settled)."""
    before = page.locator(".msg-bot, .msg-system").count()
    page.fill("#input", text)
    page.press("#input", "Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('.msg-bot, .msg-system').length > {before}", timeout=timeout
    )
    page.wait_for_timeout(settle_ms)
    return page.locator(".msg-bot, .msg-system").all_inner_texts()[before:]


def test_emergency_advice_is_urgent_and_its_call_links_stay_in_view_on_a_phone(open_page):
    page = open_page(PHONE)
    replies_to(page, "楼道里着火了", settle_ms=4_000)  # the advice, then the work order and queue notices
    row = page.locator(".msg-emergency").first
    row.wait_for()
    assert row.locator(".msg-text").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(198, 40, 40)"
    calls = row.locator('a[href^="tel:"]')
    assert "tel:119" in [calls.nth(i).get_attribute("href") for i in range(calls.count())]
    assert page.locator(".msg-bot, .msg-system").count() >= 3, "follow-ups arrived below the advice"
    for i in range(calls.count()):
        assert in_view(page, calls.nth(i)), f"{calls.nth(i).inner_text()} pushed off screen"
    page.screenshot(path=str(ARTIFACTS / "widget-emergency-phone.png"))


def test_an_unrecognised_address_is_asked_once_per_turn_then_can_be_skipped(open_page):
    page = open_page(PHONE)
    page.locator(".msg-bot button.chip", has_text="反映问题").click()
    page.wait_for_selector(".msg-bot >> text=具体说一下")
    asked = replies_to(page, "小区门口的路灯坏了好几天了 晚上特别黑")
    assert any("哪个区" in t for t in asked), asked
    first = replies_to(page, "就在我家楼下那边")
    assert len(first) == 1, first
    assert "没听清" not in first[0] and "没能识别" in first[0]
    second = replies_to(page, "就是那个路口旁边")
    assert len(second) == 1, second
    chips = page.locator(".msg-bot").last.locator("button.chip")
    assert chips.all_inner_texts() == ["跳过地址", "转人工"]
    page.screenshot(path=str(ARTIFACTS / "widget-address-way-out.png"))
    before = page.locator(".msg-bot, .msg-system").count()
    chips.first.click()
    page.wait_for_function(f"() => document.querySelectorAll('.msg-bot, .msg-system').length > {before}")
    page.wait_for_timeout(2_500)
    after_skip = page.locator(".msg-bot, .msg-system").all_inner_texts()[before:]
    assert len(after_skip) == 1 and "地址" not in after_skip[0], after_skip  # the form goes on
    if "什么时候" in after_skip[0]:
        replies_to(page, "一直都这样")
    checked = replies_to(page, "13900002222")
    assert any("未提供具体地址" in t for t in checked), checked
    done = replies_to(page, "对的", settle_ms=1_000)
    card = page.locator(".msg-bot .wo-card").last
    card.wait_for()
    number = card.locator(".wo-number").inner_text()
    assert any(f"编号{number}" in t for t in done), (number, done)  # written the same way as on the card
