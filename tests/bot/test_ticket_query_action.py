"""The status query's actions with a fake gateway client, run in the engine environment: a typed
phone number lists nothing (the citizen is asked for the work-order number), the number a channel
proved is looked up with the gateway's proof, a work-order number alone is answered."""

import pytest

from tests.bot.engine import engine_cases


@pytest.fixture(scope="module")
def cases() -> dict:
    return engine_cases("engine_ticket_query.py")


def test_typed_phone_is_not_looked_up(cases):
    slot, said = cases["typed_form"]
    assert slot == {"ticket_ref": None} and "不能凭" in said[0] and "电话" in said[0]
    calls, said = cases["typed_answer"]
    assert calls == [] and "工单编号" in said[0]
    assert cases["unproven_claim_form"][0] == {"ticket_ref": None}  # a number without the gateway's proof


def test_proven_phone_is_looked_up_with_its_proof(cases):
    assert cases["proven_form"] == [{"ticket_ref": "verified_phone"}, []]
    calls, said = cases["proven_answer"]
    assert calls == [["phone", "13911112222", "signed"]]
    assert said == ["您的号码139****2222名下的工单：工单261121 00042：已派单，承办单位朝阳区城管委。"]
    assert "13911112222" not in said[0]


def test_refused_proof_asks_for_the_number(cases):
    calls, said = cases["forged_answer"]
    assert calls == [["phone", "13911112222", "forged"]] and "工单编号" in said[0] and "名下" not in said[0]


def test_work_order_number_alone_is_answered(cases):
    assert cases["number_form"] == [{"ticket_ref": "26112100042"}, []]
    calls, said = cases["number_answer"]
    assert calls == [["number", "26112100042"]] and said == ["工单261121 00042：已派单，承办单位朝阳区城管委。"]


def test_my_work_order_in_the_conversation_that_filed_it(cases):
    """我的工单办得怎么样了 right where it was filed: no number needed, and the unit's result is read."""
    assert cases["own_conversation_form"] == [{"ticket_ref": "this_conversation"}, []]
    assert cases["other_conversation_form"] == [{}, []]  # elsewhere the form asks for the number
    calls, said = cases["own_conversation_answer"]
    assert calls == [["conversation", "web:t"]]
    assert said == ["工单261205 00007：已办结，承办单位望京街道办事处，办理结果：已清理路边垃圾。"]


def test_an_answer_without_a_number_is_asked_again_and_a_cancel_fills_nothing(cases):
    assert cases["no_number_form"] == [{"ticket_ref": None}, ["没听清编号。工单编号是11位数字，比如26112100042。"]]
    assert cases["cancel_form"] == [{}, []], "nothing filled: the form is rejected and the cancel rule applies"


def test_unknown_number_and_ticket_system_down(cases):
    calls, said = cases["unknown_number_answer"]
    assert calls == [["number", "26112199999"]] and said == ["没有查到对应的工单，请核对编号。"]
    calls, said = cases["gateway_down_answer"]
    assert calls == [["number", "26112100042"]] and "暂时查不了" in said[0]
