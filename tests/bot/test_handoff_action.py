"""The handoff and fallback actions, run in the engine environment: a handoff carries what an
agent needs (why, the request type, the filled slots, the last six turns in the citizen's own
words); a message not understood is answered when the knowledge base is sure, else the citizen is
asked to rephrase, and the second miss in a row hands over to a person."""

import pytest

from tests.bot.engine import engine_cases


@pytest.fixture(scope="module")
def cases() -> dict:
    return engine_cases("engine_handoff.py")


def test_handoff_tells_the_agent_why_and_what_was_collected(cases):
    [message] = cases["requested"]
    assert message["text"] is None, "the router shows its own notice; the payload is for the agent"
    summary = message["custom"]["handoff"]
    assert summary["reason"] == "requested" and summary["request_type"] == "complain"
    assert summary["slots"] == {
        "request_type": "complain",
        "address": "朝阳区劲松街道农光里",
        "requested_slot": "occurred",
    }
    assert summary["last_turns"][0] == {"sender": "citizen", "text": "我要投诉，楼下饭馆油烟太大"}
    assert summary["last_turns"][-1] == {"sender": "citizen", "text": "给我转人工"}


def test_emergency_handoff_keeps_the_citizens_own_words(cases):
    summary = cases["emergency"][0]["custom"]["handoff"]
    assert summary["reason"] == "emergency"
    assert summary["last_turns"] == [{"sender": "citizen", "text": "楼道里着火了"}], "not the /emergency intent"


def test_handoff_keeps_the_last_six_turns(cases):
    turns = cases["long_chat"][0]["custom"]["handoff"]["last_turns"]
    assert len(turns) == 6 and turns[0] == {"sender": "bot", "text": "回复6"} and turns[-1]["text"] == "转人工"


def test_first_miss_asks_to_rephrase(cases):
    first = cases["first_miss"]
    assert first["calls"] == ["一个字都看不懂的话"], "the knowledge base is asked first"
    [message] = first["messages"]
    assert "没有听明白" in message["text"] and message["buttons"] == ["转人工"] and first["events"] == []


def test_second_miss_in_a_row_hands_over(cases):
    said, payload = cases["second_miss"]["messages"]
    assert "转接人工" in said["text"]
    assert payload["custom"]["handoff"]["reason"] == "not_understood"
    assert [t["text"] for t in payload["custom"]["handoff"]["last_turns"]][-1] == "还是看不懂的话"


def test_an_understood_message_between_misses_starts_the_count_again(cases):
    [message] = cases["miss_after_understood"]["messages"]
    assert "没有听明白" in message["text"] and "handoff" not in message["custom"]


def test_knowledge_base_down_still_answers(cases):
    [message] = cases["kb_down"]["messages"]
    assert "没有听明白" in message["text"]


def test_a_who_handles_answer_is_given_for_a_message_not_understood(cases):
    answered = cases["who_handles"]
    [message] = answered["messages"]
    assert "北京市自来水集团负责" in message["text"] and message["buttons"] == ["登记工单"]
    slots = {e["name"]: e["value"] for e in answered["events"]}
    assert slots["kb_question"] == "停水找谁" and slots["kb_referral"]["unit_name"] == "北京市自来水集团"
