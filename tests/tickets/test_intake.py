"""Several work-order fields recognised in one utterance."""

from datetime import datetime

import pytest

from normalize.when import BEIJING
from tests.places.test_gazetteer import SMALL
from tickets.intake import IntakeExtractor

NOW = datetime(2026, 11, 21, 15, 30, tzinfo=BEIJING)
EXTRACT = IntakeExtractor(SMALL).extract


def test_one_breath_complaint():
    found = EXTRACT(
        "喂我要投诉 朝阳区望京西园三区楼下烧烤店天天半夜吵 昨天晚上十点还在吵 我姓王 电话幺三八一二三四五六七八", NOW
    )
    assert found["district"] == "朝阳区" and found["street"] == "望京街道"
    assert found["address"] == "朝阳区望京西园三区楼下烧烤店"
    assert found["contact_phone"] == "13812345678"
    assert found["contact_name"] == "王"
    assert found["ongoing"] is True  # 天天 wins over one evening


def test_single_details():
    assert EXTRACT("在海淀中关村大街1号", NOW)["address"] == "海淀中关村大街1号"
    assert EXTRACT("昨天晚上十点", NOW)["occurred_at"].startswith("2026-11-20T22:00")
    assert EXTRACT("我叫李明", NOW)["contact_name"] == "李明"
    assert EXTRACT("我想匿名举报", NOW)["anonymous"] is True
    assert EXTRACT("电话是12345", NOW)["phone_problem"] == "too_short"
    assert EXTRACT("上海浦东那边", NOW) == {"outside_beijing": True}


@pytest.mark.parametrize("text", ["好的", "没有了", "对"])
def test_nothing_to_extract(text):
    assert EXTRACT(text, NOW) == {}


@pytest.mark.parametrize(
    "text", ["我的工单号是26112100042", "工单 261121 00042 办得怎么样了", "两六幺幺两幺洞洞洞四两"]
)
def test_work_order_numbers(text):
    assert EXTRACT(text, NOW) == {"ticket_number": "26112100042"}


def test_a_mobile_number_is_not_a_work_order_number():
    assert "ticket_number" not in EXTRACT("13812345678", NOW)


def test_a_hotline_number_names_no_order():
    """The screen (bot/actions/screen.py) looks up a status question unless it names an order."""
    found = EXTRACT("停水了打12345能问到多久来水吗", NOW)
    assert "ticket_number" not in found and "contact_phone" not in found


@pytest.mark.parametrize(
    ("said", "named"),
    [
        ("我要举报有人在小区里开黑诊所给人输液", "report"),
        ("我想匿名举报", "report"),
        ("这是举报不是投诉", "report"),
        ("不是投诉，是建议", "suggest"),
        ("我要投诉楼下饭馆", "complain"),
        ("我想表扬快递小哥", "praise"),
        ("提个建议", "suggest"),
    ],
)
def test_the_request_type_a_citizen_names(said, named):
    assert EXTRACT(said, NOW)["request_type"] == named


@pytest.mark.parametrize("said", ["楼下太吵了，建议相关部门处理一下", "我之前举报过", "打了举报电话没人接", "投诉无门"])
def test_a_type_word_that_is_not_a_choice(said):
    assert "request_type" not in EXTRACT(said, NOW)


def test_a_vague_period_is_ongoing_with_its_start():
    found = EXTRACT("最近一个月一直有人去输液", NOW)
    assert found["ongoing"] is True and found["occurred_at"].startswith("2026-10-22")
