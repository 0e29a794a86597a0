"""desk/views.py: the draft pre-filled from the citizen's words with the router's own intake
extractor, human conversation titles, and the supervisor's wait figures."""

from datetime import UTC, datetime

from desk.orders import draft_from_summary
from desk.views import SLA_S, conversation_title, prefill, wait_figures
from places.gazetteer import Gazetteer
from tickets.intake import IntakeExtractor

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
EXTRACT = IntakeExtractor(Gazetteer.builtin()).extract


def test_the_draft_is_filled_from_what_the_citizen_typed_before_asking_for_a_person():
    said = ["朝阳区望京街道望京西园三区楼下的烧烤店半夜太吵", "我电话13812345678", "我要找人工客服"]
    draft = prefill(
        draft_from_summary({"reason": "requested", "request_type": "complain", "slots": {}}), said, EXTRACT, NOW
    )
    assert draft["district"] == "朝阳区" and draft["street"] == "望京街道"
    assert draft["address"] == "朝阳区望京街道望京西园三区"
    assert draft["contact_phone"] == "13812345678"
    assert draft["request_type"] == "complain"
    assert "烧烤店" in draft["description"] and "人工" not in draft["description"]


def test_the_bots_slots_win_over_the_citizens_earlier_words():
    summary = {"reason": "requested", "slots": {"district": "海淀区", "contact_phone": "13900001111"}}
    draft = prefill(draft_from_summary(summary), ["朝阳区望京街道有人占道经营", "13812345678"], EXTRACT, NOW)
    assert draft["district"] == "海淀区" and draft["contact_phone"] == "13900001111"


def test_a_gas_leak_handed_over_as_an_emergency_gets_a_description():
    draft = prefill(
        draft_from_summary({"reason": "emergency", "slots": {}}), ["家里煤气泄漏了，味道很大"], EXTRACT, NOW
    )
    assert draft["description"] == "家里煤气泄漏了，味道很大"
    assert draft["emergency"] is True and draft["request_type"] == "seek_help"


def test_titles_name_the_caller_masked_and_never_the_raw_id():
    title = conversation_title(
        "web", {"contact_phone": "13812345678", "district": "朝阳区"}, "楼下烧烤店半夜太吵了，已经连续一个月"
    )
    assert title.startswith("网页 · 138****5678 · 朝阳区 · 楼下烧烤店")
    assert "13812345678" not in title and len(title) < 40
    assert conversation_title("tg", {}, None) == "Telegram · 新会话"
    assert "13812345678" not in conversation_title("web", {}, "我的电话13812345678")


def test_wait_figures_count_the_emergency_still_waiting():
    queue = [
        {"waiting_s": 240, "reason": "emergency", "priority": 1},
        {"waiting_s": 5, "reason": "requested", "priority": 0},
    ]
    figures = wait_figures(queue, [6.0, 6.0, 6.0])
    assert figures["oldest_wait_s"] == 240 and figures["emergency_oldest_s"] == 240
    assert figures["emergency_waiting"] == 1
    assert figures["mean_wait_s"] > 50  # not the 6 seconds of the finished takes alone
    assert figures["sla_share"] == 0.8 and figures["sla_s"] == SLA_S
    assert wait_figures([], [])["mean_wait_s"] is None
