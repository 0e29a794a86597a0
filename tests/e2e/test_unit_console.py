"""The unit console at /unit in a real headless Chromium, on the real stack: a unit account logs
in and sees its orders nearest deadline first, coloured by deadline; opens one (the citizen's
words and phone masked, the summary, the log), reveals the phone for a call back, accepts, adds
a progress note, cannot resolve without a result, resolves → 已办结. A refusal of the API (the
order moved meanwhile) is shown in Chinese; another unit does not see the orders; the page
works from the keyboard and on a narrow screen."""

import httpx
import pytest

from tests.e2e.loop_helpers import PASSWORD, act, add_account, api_key, file_order, order, unique
from tests.helpers import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

UNIT_A, UNIT_B = "110101-003", "110101-004"  # 交道口街道办事处, 安定门街道办事处
PHONE = "13912345678"


@pytest.fixture(scope="module")
def loop(stack):
    unit_a = add_account(stack, unique("jdk_ops"), "unit", UNIT_A)
    unit_b = add_account(stack, unique("adm_ops"), "unit", UNIT_B)
    place = {"district": "东城区", "street": "交道口街道", "address": "南锣鼓巷12号院"}
    near = file_order(
        stack,
        description=f"南锣鼓巷工地每天夜里施工噪音很大，我电话{PHONE}",
        category_code="030301",
        contact_phone=PHONE,
        contact_name="张建国",
        **place,
    )  # 24 h on the clock: near at once
    normal = file_order(
        stack, description="小区物业不管楼道堆放杂物", category_code="010101", contact_phone="13800001111", **place
    )  # 7 working days
    for number in (near, normal):
        act(stack, number, "dispatch", api_key(stack), {"unit": UNIT_A})
    return {"a": unit_a, "b": unit_b, "near": near, "normal": normal}


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/unit")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_selector("#desk-view:not([hidden])")
    page.wait_for_selector("#updated:not(:empty)")  # the inbox has loaded


def item(page, number: str):
    return page.locator(f'.order-item[data-number="{number}"]')


def test_unit_accepts_and_resolves_an_order(stack, browser, loop):
    near, normal = loop["near"], loop["normal"]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, stack.http, loop["a"])
    assert page.inner_text("#unit-name") == "交道口街道办事处"

    # Nearest deadline first, coloured: 24 h left is near (amber), 7 working days is not.
    item(page, near).wait_for()
    numbers = page.eval_on_selector_all(".order-item", "els => els.map(e => e.dataset.number)")
    assert numbers.index(near) < numbers.index(normal)
    assert item(page, near).get_attribute("data-urgency") == "near"
    assert item(page, normal).get_attribute("data-urgency") == "normal"
    colour = item(page, near).evaluate("e => getComputedStyle(e).borderLeftColor")
    assert colour == "rgb(240, 165, 0)", colour
    assert "临期" in item(page, near).inner_text() and "待接单" in item(page, near).inner_text()
    assert PHONE not in page.content()

    # The order: the citizen's words masked, the place, the summary, the log, the phone masked.
    item(page, near).click()
    page.wait_for_selector(f'#order[data-number="{near}"]')
    assert page.evaluate("document.activeElement.id") == "order-title"
    assert "139****5678" in page.inner_text("#order-description")
    assert "南锣鼓巷" in page.inner_text("#order-place") and "东城区" in page.inner_text("#order-place")
    summary = page.inner_text("#order-summary")
    assert "噪声扰民 / 施工噪音" in summary and "投诉" in summary and "加急（24小时）" in summary
    assert "北京时间" in summary
    assert list(page.eval_on_selector_all("#timeline li", "els => els.map(e => e.dataset.kind)"))[-1] == "dispatch"
    assert "139****5678" in page.inner_text("#order-contact") and "张**" in page.inner_text("#order-contact")
    assert PHONE not in page.content()
    page.click("#reveal")
    page.wait_for_selector('#order-contact[data-revealed="true"]')
    assert PHONE in page.inner_text("#order-contact") and "张建国" in page.inner_text("#order-contact")
    page.wait_for_selector('#timeline li[data-kind="contact_viewed"]')
    assert "查看联系电话" in page.inner_text("#timeline")

    # Accept; a progress note; no result, no 办结; with the result → 已办结.
    page.click("#accept")
    page.wait_for_selector('#order[data-status="in_progress"]')
    assert page.inner_text("#order-status") == "办理中"
    assert "接单成功" in page.inner_text("#notice")
    assert page.locator("#accept").is_hidden()
    page.fill("#reply-text", "已联系施工单位，今晚起停止夜间施工")
    page.click("#reply-submit")
    page.wait_for_selector('#timeline li[data-kind="reply"] >> text=停止夜间施工')
    page.click("#resolve-submit")  # the result is required
    assert page.evaluate("document.getElementById('resolve-text').validity.valueMissing")
    assert order(stack, near)["status"] == "in_progress"
    page.fill("#resolve-text", "经现场核查，施工单位已停止夜间作业，城管执法队将夜间巡查")
    page.click("#resolve-submit")
    page.wait_for_selector('#order[data-status="resolved"]')
    assert page.inner_text("#order-status") == "已办结"
    assert "夜间巡查" in page.inner_text("#order-result")
    assert page.locator("#actions").is_hidden()
    page.wait_for_selector(f'.order-item[data-number="{near}"][data-status="resolved"]')
    assert "已办结" in item(page, near).inner_text() and item(page, near).get_attribute("data-urgency") == "done"
    saved = order(stack, near)
    assert saved["status"] == "resolved" and saved["result"].startswith("经现场核查")
    assert [e["actor"] for e in saved["events"] if e["kind"] in ("accept", "reply", "resolve")] == [
        f"unit:{loop['a']}"
    ] * 3

    # Filters: 已办结 shows it, 办理中 does not.
    page.click('#filters button[data-filter="resolved"]')
    page.wait_for_selector('#filters button[data-filter="resolved"][aria-pressed="true"]')
    item(page, near).wait_for()
    item(page, normal).wait_for(state="detached")
    page.screenshot(path=str(ARTIFACTS / "unit-console-resolved.png"), full_page=True)
    page.click('#filters button[data-filter="dispatched"]')
    item(page, normal).wait_for()
    item(page, near).wait_for(state="detached")
    page.click('#filters button[data-filter=""]')

    # The order moved meanwhile (the ticket system accepted it): the refusal, in Chinese.
    item(page, normal).click()
    page.wait_for_selector(f'#order[data-number="{normal}"][data-status="dispatched"]')
    act(stack, normal, "accept", api_key(stack))
    page.click("#accept")
    page.wait_for_selector("#error >> text=工单当前状态为「办理中」")
    assert "接单未成功" in page.inner_text("#error")
    page.wait_for_selector(f'#order[data-number="{normal}"][data-status="in_progress"]')  # shown as it is now

    # From the keyboard: an extension request.
    page.focus("#extend-days")
    page.fill("#extend-days", "3")
    page.keyboard.press("Tab")
    page.keyboard.type("需协调物业公司和社区共同清理")
    page.keyboard.press("Enter")
    page.wait_for_selector("#extension-block:not([hidden])")
    assert "3 个工作日" in page.inner_text("#order-extension")
    assert order(stack, normal)["extension"]["days"] == 3
    page.screenshot(path=str(ARTIFACTS / "unit-console.png"), full_page=False)
    assert errors == []
    context.close()


def test_another_unit_does_not_see_the_orders(stack, browser, loop):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    log_in(page, stack.http, loop["b"])
    assert page.inner_text("#unit-name") == "安定门街道办事处"
    listed = page.eval_on_selector_all(".order-item", "els => els.map(e => e.dataset.number)")
    assert loop["near"] not in listed and loop["normal"] not in listed
    headers = {"Authorization": "Bearer " + page.evaluate("sessionStorage.getItem('hotline.unit.token')")}
    assert httpx.get(f"{stack.http}/api/units/orders/{loop['near']}", headers=headers).status_code == 403
    context.close()


def test_narrow_screen_and_keyboard(stack, browser, loop):
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    log_in(page, stack.http, loop["a"])
    target = item(page, loop["normal"])
    target.wait_for()
    assert page.locator("#detail").is_hidden()  # the list first
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    target.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f'#order[data-number="{loop["normal"]}"]')
    assert page.locator(".inbox").is_hidden() and page.evaluate("document.activeElement.id") == "order-title"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "unit-console-narrow.png"), full_page=True)
    page.click("#back")
    page.wait_for_selector(".inbox:visible")
    assert page.evaluate("document.activeElement.dataset.number") == loop["normal"]
    context.close()


def test_text_contrast_is_at_least_4_5_to_1(stack, browser, loop):
    """WCAG 2.1 AA in the unit console at a laptop's 1366×768: every text against what it is
    painted on, computed from the rendered styles, with the list and an order open."""
    from tests.e2e.contrast import contrast_failures

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    log_in(page, stack.http, loop["a"])
    failures = contrast_failures(page)  # the empty detail pane's hint too
    item(page, loop["normal"]).click()
    page.wait_for_selector(f'#order[data-number="{loop["normal"]}"]')
    failures += contrast_failures(page)
    page.screenshot(path=str(ARTIFACTS / "unit-console-contrast.png"))
    context.close()
    assert not failures, failures
