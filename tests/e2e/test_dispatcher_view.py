"""The dispatcher's view (派单调度) and the callback list (回访回电) of the agent console in a real
headless Chromium, on the real stack: a supervisor sees 待派单, 退单, 延期申请 (a new request
arrives live, over /ws/agent), re-dispatches a returned order to another unit with another
category, approves an extension and closes an order nobody can take; an agent has no dispatcher
tab, and records a phone survey (已解决, 满意) of an order whose citizen could not be told."""

import pytest

from tests.e2e.loop_helpers import PASSWORD, act, add_account, api_key, file_order, order, token, unique
from tests.helpers import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

UNIT_A, UNIT_B = "110101-005", "110101-006"  # 北新桥街道办事处, 东四街道办事处
PLACE = {"district": "东城区", "street": "北新桥街道", "address": "簋街东口"}


@pytest.fixture(scope="module")
def people(stack):
    names = {
        "lead": add_account(stack, unique("lead"), "supervisor"),
        "agent": add_account(stack, unique("agent"), "agent"),
        "a": add_account(stack, unique("bxq_ops"), "unit", UNIT_A),
        "b": add_account(stack, unique("ds_ops"), "unit", UNIT_B),
    }
    return {**names, "a_token": token(stack, names["a"]), "b_token": token(stack, names["b"])}


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/agent")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector('#conn[data-state="open"]')


def test_supervisor_redispatches_approves_and_closes(stack, browser, people):
    returned = file_order(stack, description="簋街餐馆油烟直排，整条街都是味", category_code="030102", **PLACE)
    act(stack, returned, "dispatch", api_key(stack), {"unit": UNIT_A})
    act(stack, returned, "return", people["a_token"], {"reason": "该路段属东四街道管辖，非本单位职责"})
    extended = file_order(stack, description="东四胡同路灯不亮已经一周", category_code="010101", **PLACE)
    act(stack, extended, "dispatch", api_key(stack), {"unit": UNIT_B})
    act(stack, extended, "accept", people["b_token"])
    # No place, a local matter: nobody to dispatch it to (待派单).
    waiting = file_order(stack, description="楼下商铺占道经营，重复反映", category_code="030302")
    assert order(stack, waiting)["status"] == "accepted"

    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, stack.http, people["lead"])
    page.click("#tab-dispatch")
    page.wait_for_selector("#dispatch-panel:not([hidden])")
    assert page.locator("#desk-panel").is_hidden()
    page.locator(f'#dispatch-list .dispatch-item[data-number="{waiting}"]').wait_for()  # 待派单 is the first list

    # A returned order: the unit's reason, then re-dispatch to another unit with another category.
    page.click('#dispatch-filters [data-list="returned"]')
    row = page.locator(f'.dispatch-item[data-number="{returned}"]')
    row.wait_for()
    assert "退单" in row.inner_text()
    row.click()
    page.wait_for_selector(f'#dispatch-order[data-number="{returned}"][data-status="returned"]')
    assert "非本单位职责" in page.inner_text("#dispatch-fields")
    page.fill("#unit-query", "东四街道")
    page.wait_for_selector(f'#unit-choice option[value="{UNIT_B}"]')
    page.select_option("#unit-choice", UNIT_B)
    page.wait_for_selector('#category-choice option[value="030101"]', state="attached")
    page.select_option("#category-choice", "030101")
    page.click("#redispatch")
    page.wait_for_selector("#notice >> text=改派成功")
    assert "东四街道办事处" in page.inner_text("#notice")
    page.wait_for_selector(f'#dispatch-order[data-number="{returned}"][data-status="dispatched"]')
    page.locator(f'#dispatch-list .dispatch-item[data-number="{returned}"]').wait_for(state="detached")
    saved = order(stack, returned)
    assert saved["status"] == "dispatched" and saved["unit"]["code"] == UNIT_B and saved["category_code"] == "030101"
    assert saved["events"][-1]["kind"] == "dispatch" and saved["events"][-1]["actor"] == f"supervisor:{people['lead']}"

    # An extension request arrives while the console is open: the live event refreshes the list.
    page.click('#dispatch-filters [data-list="extension"]')
    act(stack, extended, "extend", people["b_token"], {"days": 5, "reason": "需协调电力公司更换线路"})
    row = page.locator(f'.dispatch-item[data-number="{extended}"]')
    row.wait_for(timeout=10_000)  # well before the 30 s refresh
    assert "申请延期 5 个工作日" in row.inner_text()
    deadline_before = order(stack, extended)["deadline"]
    row.click()
    page.wait_for_selector(f'#dispatch-order[data-number="{extended}"] #extension-box:not([hidden])')
    assert page.input_value("#extension-days") == "5"
    assert "需协调电力公司" in page.inner_text("#extension-request")
    page.fill("#extension-reason", "同意延期")
    page.screenshot(path=str(ARTIFACTS / "dispatcher-view.png"), full_page=False)
    page.click("#extension-approve")
    page.wait_for_selector("#notice >> text=批准延期成功")
    page.wait_for_selector("#extension-box", state="hidden")
    saved = order(stack, extended)
    assert saved["extension"] is None and saved["deadline"] > deadline_before
    assert [e for e in saved["events"] if e["kind"] == "extended"][-1]["actor"] == f"supervisor:{people['lead']}"

    # The order nobody can take: closed with a reason.
    page.click('#dispatch-filters [data-list="accepted"]')
    page.locator(f'.dispatch-item[data-number="{waiting}"]').click()
    page.wait_for_selector(f'#dispatch-order[data-number="{waiting}"]')
    assert page.inner_text("#redispatch") == "派单"
    page.click("#close-order-button")  # a reason is required
    assert order(stack, waiting)["status"] == "accepted"
    page.fill("#close-reason", "重复工单，已并入其他工单")
    page.click("#close-order-button")
    page.wait_for_selector("#notice >> text=关闭工单成功")
    assert order(stack, waiting)["status"] == "closed"
    page.screenshot(path=str(ARTIFACTS / "dispatcher-view-closed.png"), full_page=False)
    assert errors == []
    page.close()


def test_agent_records_a_callback_survey(stack, browser, people):
    # Filed by phone without a conversation: nobody to tell the result to → the callback list.
    number = file_order(
        stack,
        description="北新桥地铁站出口共享单车乱停放",
        category_code="010101",
        contact_phone="13700002222",
        contact_name="李女士",
        **PLACE,
    )
    act(stack, number, "dispatch", api_key(stack), {"unit": UNIT_A})
    act(stack, number, "accept", people["a_token"])
    act(stack, number, "resolve", people["a_token"], {"text": "已联系运营企业清理，并增设停放区"})

    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, stack.http, people["agent"])
    assert page.locator("#tab-dispatch").is_hidden()  # supervisors only
    page.focus("#tab-desk")
    page.keyboard.press("ArrowRight")  # the tabs work from the keyboard
    page.wait_for_selector("#callbacks-panel:not([hidden])")
    card = page.locator(f'.callback[data-number="{number}"]')
    card.wait_for()
    text = card.inner_text()
    assert "13700002222" in text and "增设停放区" in text and "问题解决了吗" in text
    card.locator('button[data-answer="已解决"]').click()
    page.wait_for_selector(f'.callback[data-number="{number}"][data-question="satisfaction"]')
    assert "您对办理结果满意吗" in card.inner_text()
    page.screenshot(path=str(ARTIFACTS / "callback-list.png"), full_page=False)
    card.locator('button[data-answer="满意"]').click()
    page.wait_for_selector("#notice >> text=回访完成")
    card.wait_for(state="detached")
    saved = order(stack, number)
    assert saved["status"] == "visited"
    assert saved["survey"]["resolved"] is True and saved["survey"]["satisfaction"] == "满意"
    assert {e["actor"] for e in saved["events"] if e["kind"] == "survey"} == {f"agent:{people['agent']}"}
    assert errors == []
    page.close()
