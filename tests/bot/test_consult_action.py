"""The consultation action with a fake gateway, run in the engine environment: a who-handles answer
names the unit and how to reach it, offers a work order (a button) and files nothing; accepting
the offer turns the question into the work order's description; an answer offers a close
runner-up beside it; a message the NLU did not understand is answered when the knowledge base
answers it confidently."""

import json

import pytest

from tests.bot.engine import engine_cases


@pytest.fixture(scope="module")
def cases() -> dict:
    return engine_cases("engine_consult.py")


def test_who_handles_names_the_unit_and_offers_a_work_order(cases):
    refer = cases["refer"]
    [message] = refer["messages"]
    assert "北京市自来水集团负责" in message["text"] and "96116" in message["text"]
    assert "登记工单" in message["text"] and "依据：" in message["text"]
    titles = [b["title"] for b in message["buttons"]]
    assert titles == ["登记工单", "停水了怎么查询原因和恢复时间"]
    assert message["buttons"][0]["payload"] == '/consult{"kb_order": "yes"}'
    assert message["custom"]["referral"]["unit"]["code"] == "UTIL-WATER"
    assert refer["calls"] == [["kb_search", "停水了找哪个部门"]], "nothing is filed before the citizen accepts"
    assert refer["slots"]["kb_referral"] == {
        "unit_name": "北京市自来水集团",
        "request_type": "seek_help",
        "category_code": "020101",
    }
    assert refer["slots"]["kb_question"] == "停水了找哪个部门" and refer["slots"]["kb_article"] is None


def test_who_handles_on_the_phone_is_short_and_spoken(cases):
    [message] = cases["refer_phone"]["messages"]
    assert message["text"].startswith("这类问题由北京市自来水集团负责") and "（" not in message["text"].split("，")[0]
    assert [b["title"] for b in message["buttons"]] == ["登记工单"], "no article titles read out on the phone"


def test_accepting_the_offer_starts_the_work_order_with_the_question(cases):
    started = cases["start_order"]
    assert started["slots"] == {
        "request_type": "seek_help",
        "description": "停水了找哪个部门",
        "kb_article": None,
        "kb_referral": None,
    }
    assert "北京市自来水集团" in started["messages"][0]["text"]


def test_an_answer_offers_the_close_runner_up(cases):
    [message] = cases["answer_with_related"]["messages"]
    assert message["custom"]["kb"]["article_id"] == "utilities-water-outage-query" and "依据" in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["自来水发黄、浑浊、有异味怎么办"]
    assert json.loads(message["buttons"][0]["payload"].removeprefix("/consult")) == {
        "kb_article": "utilities-water-quality"
    }


def test_a_message_not_understood_is_answered_when_the_knowledge_base_is_sure(cases):
    answered = cases["fallback_answer"]
    assert answered["calls"] == [["kb_search", "停水了咋查原因"]]
    assert answered["messages"][0]["custom"]["kb"]["article_id"] == "utilities-water-outage-query"
    assert answered["slots"]["kb_article"] == "utilities-water-outage-query"
    for case in ("fallback_choose", "fallback_none", "fallback_choose_phone"):
        [message] = cases[case]["messages"]
        assert "没有听明白" in message["text"] and cases[case]["slots"] == {}, "no choice offered on a guess"
    asked = cases["fallback_choose_question"]
    [choice] = asked["messages"]
    assert "没有听明白" not in choice["text"] and choice["buttons"][-1]["title"] == "都不是"
    assert asked["slots"] == {"kb_question": "水的事该咋办"}, "a question gets the choice"
    assert cases["fallback_button"]["calls"] == [] and "没有听明白" in cases["fallback_button"]["messages"][0]["text"]


def test_nothing_found_offers_a_person_or_a_consultation_work_order(cases):
    [message] = cases["not_found"]["messages"]
    assert "没有找到准确的政策答复" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/request_human", '/consult{"kb_record": "yes"}']
    assert cases["not_found"]["slots"] == {"kb_article": None, "kb_question": "开宠物医院要办哪些手续"}


def test_knowledge_base_down_says_so_and_offers_a_person(cases):
    [message] = cases["kb_down"]["messages"]
    assert "暂时不可用" in message["text"] and [b["title"] for b in message["buttons"]] == ["转人工"]
    assert cases["kb_down"]["slots"] == {}


def test_the_consult_button_alone_offers_common_questions(cases):
    [message] = cases["bare_button"]["messages"]
    assert cases["bare_button"]["calls"] == [], "nothing to search yet"
    payloads = [b["payload"] for b in message["buttons"]]
    assert len(payloads) == 7 and payloads[-1] == "/request_human"
    assert all(json.loads(p.removeprefix("/consult"))["kb_article"] for p in payloads[:-1])
    [spoken] = cases["bare_button_phone"]["messages"]
    assert spoken["buttons"] == [] and "请直接说出您的问题" in spoken["text"]


def test_a_chosen_article_is_answered_and_none_of_these_is_not_found(cases):
    chosen = cases["chosen"]
    assert chosen["calls"] == [["kb_article", "utilities-water-outage-query"]], "no search for a choice"
    assert chosen["slots"] == {"kb_article": "utilities-water-outage-query", "kb_question": "水的事"}
    assert "96116" in chosen["messages"][0]["text"]
    none = cases["chosen_none"]
    assert none["calls"] == [] and "没有找到" in none["messages"][0]["text"]
    assert none["slots"]["kb_question"] == "水的事", "the original question goes on the work order"


def test_recording_a_consultation_starts_the_form_with_the_question(cases):
    started = cases["start_record"]
    assert started["slots"] == {"request_type": "consult", "description": "开宠物医院要办哪些手续", "kb_article": None}
    assert "咨询工单" in started["messages"][0]["text"]


def test_a_question_taken_for_a_complaint_is_answered_with_the_offer_to_file_it(cases):
    answered = cases["screen_answer"]
    [message] = answered["messages"]
    assert message["custom"]["kb"]["article_id"] == "utilities-water-outage-query"
    assert "登记工单" in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["登记工单", "自来水发黄、浑浊、有异味怎么办"]
    assert answered["slots"]["answered_from_kb"] is True
    assert answered["slots"]["kb_question"] == "停水了 一般多久能来水啊"
    assert answered["slots"]["kb_referral"] == {"unit_name": None, "request_type": "complain", "category_code": None}
    [spoken] = cases["screen_answer_phone"]["messages"]
    assert spoken["buttons"] == [] and "登记工单" not in spoken["text"]


def test_a_screened_who_question_keeps_the_request_type_the_citizen_meant(cases):
    report = cases["screen_refer_report"]
    assert "北京市自来水集团负责" in report["messages"][0]["text"]
    assert report["slots"]["kb_referral"]["request_type"] == "report", "举报 stays 举报"
    assert cases["screen_refer_inform"]["slots"]["kb_referral"]["request_type"] == "seek_help"


def test_a_question_taken_for_a_suggestion_is_answered_but_a_proposal_stays_a_suggestion(cases):
    answered = cases["screen_suggest_question"]
    assert answered["slots"]["answered_from_kb"] is True
    assert answered["slots"]["kb_referral"]["request_type"] == "suggest", "filed, it stays 建议"
    assert "登记工单" in answered["messages"][0]["text"]


def test_a_question_taken_for_a_short_turn_a_person_a_status_query_or_a_filing_is_answered(cases):
    for case in ("screen_goodbye_question", "screen_human_question", "screen_status_question", "screen_hotline_number", "screen_a_not_a",
                 "screen_about_filing", "screen_alternative", "screen_small_talk_then_question"):  # fmt: skip
        answered = cases[case]
        assert answered["slots"]["answered_from_kb"] is True, case
        assert answered["messages"][0]["custom"]["kb"]["article_id"] == "utilities-water-outage-query", case
        wanted = "report" if case == "screen_about_filing" else None
        assert answered["slots"]["kb_referral"]["request_type"] == wanted, f"{case}: the type filed if accepted"


def test_what_is_not_a_confidently_answered_question_goes_on_to_the_rules(cases):
    not_asked = ("screen_grievance", "screen_statement", "screen_button", "screen_statement_ne",
                 "screen_statement_several", "screen_distress", "screen_plea", "screen_suggest_proposal",
                 "screen_short_deny", "screen_short_thank", "screen_asks_for_person", "screen_own_order",
                 "screen_own_order_number", "screen_own_order_phone", "screen_adjective_a_not_a", "screen_wants_to_file", "screen_still_not",
                 "screen_still_color", "screen_send_someone", "screen_small_talk_to_me")  # fmt: skip
    for case in ("screen_choose", "screen_down", *not_asked):
        result = cases[case]
        assert result["messages"] == [] and result["slots"] == {"answered_from_kb": False}, case
    assert cases["screen_choose"]["calls"] == [["kb_search", "水的事该咋办"]]
    [down] = cases["screen_down"]["logged"]
    assert down.startswith("knowledge base not asked") and "1b4e28ba" not in down, "no conversation id in the log"
    for case in not_asked:
        assert cases[case]["calls"] == [], f"{case}: the knowledge base is not asked"
