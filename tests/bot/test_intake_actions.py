"""The intake form's actions with a fake gateway client, run in the engine environment: the
validation action fills slots from the gateway's recognised details and refuses bad values politely
(a way to a person from the second miss), leaves an interruption unfilled so Rasa's rules take
over, the ask actions say what was wrong and read the details back masked, and the submit action
sends the work order and tells its number and deadline (or hands over when the ticket system is down)."""

import pytest

from tests.bot.engine import engine_cases


@pytest.fixture(scope="module")
def cases() -> dict:
    return engine_cases("engine_intake.py")


def slots(case: dict) -> dict:
    return dict(case["slots"])


def test_one_breath_answer_fills_every_detail_it_names(cases):
    case = cases["one_breath"]
    assert slots(case) == {
        "address": "朝阳区劲松街道农光里",
        "district": "朝阳区",
        "street": "劲松街道",
        "address_problem": None,
        "contact_phone": "13520086677",
        "contact_name": "王",
    }
    assert case["said"] == []


def test_a_named_request_type_wins_but_never_over_a_consultation(cases):
    assert slots(cases["named_type"])["request_type"] == "report"
    assert "request_type" not in slots(cases["consult_keeps_type"])


def test_a_consultation_needs_only_a_phone(cases):
    assert slots(cases["consult_keeps_type"]) == {"contact_phone": "13910203040", "requested_slot": "intake_confirmed"}


def test_anonymous_skips_the_phone(cases):
    assert slots(cases["anonymous"]) == {"anonymous": True, "requested_slot": "intake_confirmed"}


@pytest.mark.parametrize(
    ("case", "problem", "failures"),
    [("unplaced_address", "unknown", 1.0), ("outside_beijing", "outside", 2.0), ("ambiguous_street", "ambiguous", 1.0)],
)
def test_an_address_that_cannot_be_placed_is_refused_silently(cases, case, problem, failures):
    found = slots(cases[case])
    assert found["address"] is None and found["address_problem"] == problem and found["intake_failures"] == failures
    assert cases[case]["said"] == [], "action_ask_address says what was wrong, once"


def test_the_skip_button_keeps_a_placeholder_address(cases):
    assert slots(cases["skipped_address"])["address"] == "未提供具体地址（待回电核实）"
    assert slots(cases["skipped_address"])["address_problem"] is None


def test_time_answers(cases):
    assert slots(cases["ongoing_since"]) == {"occurred": "ongoing:2026-11-15T00:00:00+08:00"}
    assert slots(cases["occurred_unknown"]) == {"occurred": "unknown"}, "记不清了 is an answer, not an error"


def test_a_bad_phone_is_asked_again_and_the_second_miss_offers_a_person(cases):
    first, second = cases["bad_phone"], cases["bad_phone_again"]
    assert slots(first) == {"contact_phone": None, "intake_failures": 1.0}
    [[text, buttons]] = first["said"]
    assert "号码好像不对" in text and buttons == []
    assert slots(second)["intake_failures"] == 2.0
    [[text, buttons]] = second["said"]
    assert "转人工" in text and buttons == ["转人工"]


def test_description_without_content(cases):
    [[text, _]] = cases["description_too_short"]["said"]
    assert slots(cases["description_too_short"]) == {"description": None, "intake_failures": 1.0} and "具体说说" in text
    # a button opening the form: the question is asked, no reproach
    assert cases["button_opening"] == {"slots": [["description", None]], "said": []}


def test_an_interruption_fills_nothing_so_the_rules_take_over(cases):
    assert cases["cancel_inside"] == {"slots": [], "said": []}


def test_confirmation_and_correction(cases):
    assert slots(cases["confirmed"]) == {"intake_confirmed": True}
    denied = cases["denied"]
    assert slots(denied) == {"intake_confirmed": None} and "哪一项需要修改" in denied["said"][0][0]
    corrected = cases["denied_with_correction"]
    assert slots(corrected)["address"] == "朝阳区劲松街道农光东里" and slots(corrected)["intake_confirmed"] is None
    assert corrected["said"] == [], "a correction given at once needs no question"


def test_asking_for_the_address(cases):
    assert [m["response"] for m in cases["ask_address"]] == ["utter_ask_address"]
    [unknown] = cases["ask_address_unknown"]
    assert "没能识别这个地址" in unknown["text"] and unknown["buttons"] == []
    [stuck] = cases["ask_address_stuck"]
    assert "哪个区" in stuck["text"] and "可以跳过" in stuck["text"]
    assert [b["title"] for b in stuck["buttons"]] == ["跳过地址", "转人工"]
    [spoken] = cases["ask_address_stuck_phone"]
    assert spoken["buttons"] == [] and "转人工" in spoken["text"] and "输入" not in spoken["text"]


def test_the_read_back_masks_the_phone(cases):
    [message] = cases["read_back"]
    assert message["text"] == (
        "我核对一下：投诉，小区门口的垃圾桶好几天没人清了；地点：朝阳区劲松街道农光里；"
        "时间：约11月30日起，至今仍存在；联系电话：135****6677。对吗？"
    )
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]
    [consult] = cases["read_back_consult"]
    assert "地点" not in consult["text"] and "咨询" in consult["text"] and "139****3040" in consult["text"]
    [anonymous] = cases["read_back_anonymous"]
    assert "举报" in anonymous["text"] and "联系电话：匿名" in anonymous["text"] and "12月5日22点" in anonymous["text"]


def test_submit_sends_the_work_order_and_tells_number_and_deadline(cases):
    submit = cases["submit"]
    [payload] = submit["payloads"]
    assert payload == {
        "request_type": "complain",
        "description": "小区门口的垃圾桶好几天没人清了",
        "district": "朝阳区",
        "street": "劲松街道",
        "address": "朝阳区劲松街道农光里",
        "occurred_at": "2026-12-05T22:00:00+08:00",
        "ongoing": False,
        "contact_name": "王",
        "contact_phone": "13520086677",
        "emergency": False,
        "channel": "web",
        "conversation_id": "web:t",
    }
    [message] = submit["messages"]
    assert message["text"] == "已为您登记工单，编号26120600012。承办单位会在24小时内处理并答复您。"
    card = message["custom"]["work_order"]
    assert card["category"] == "城乡建设/市容环卫/垃圾清运" and "contact_phone" not in card, (
        "no personal data on the card"
    )
    assert "261206 00012" in cases["submit_phone_channel"]["messages"][0]["text"], "read apart on the phone"
    assert cases["submit_phone_channel"]["payloads"][0]["channel"] == "phone"
    assert cases["submit_invalid_phone"]["payloads"][0]["contact_phone"] is None


def test_an_emergency_work_order_carries_the_citizens_words(cases):
    [payload] = cases["submit_emergency"]["payloads"]
    assert payload["emergency"] is True and payload["channel"] == "tg"
    assert payload["description"] == "【紧急·119】楼道里着火了 小区门口的垃圾桶好几天没人清了"
    [message] = cases["submit_emergency"]["messages"]
    assert message["custom"]["alert"] == {"reason": "emergency", "work_order": "26120600012"}
    [alone] = cases["submit_emergency_alone"]["payloads"]
    assert alone["request_type"] == "seek_help" and alone["description"] == "【紧急】快来人，有人晕倒了"


def test_ticket_system_down_hands_over(cases):
    down = cases["submit_gateway_down"]
    assert len(down["payloads"]) == 1
    assert "无法登记" in down["messages"][0]["text"]
    assert down["messages"][1]["custom"] == {"handoff": {"reason": "ticket_system_down"}}


INTAKE_SLOTS = {"request_type", "description", "address", "district", "street", "occurred", "contact_phone",
                "contact_name", "anonymous", "intake_confirmed", "intake_failures", "address_problem"}  # fmt: skip


def test_reset_clears_every_intake_slot(cases):
    reset = dict(cases["reset"])
    assert set(reset) >= INTAKE_SLOTS and set(reset.values()) == {None}


@pytest.mark.parametrize("case", ["submit", "submit_emergency", "submit_gateway_down"])
def test_submitting_clears_the_intake_in_the_same_call(cases, case):
    """No action_reset_intake round trip after a work order: action_create_work_order resets."""
    reset = {e["name"]: e["value"] for e in cases[case]["events"] if e["event"] == "slot"}
    assert set(reset) >= INTAKE_SLOTS and set(reset.values()) == {None}
