from datetime import datetime

import pytest

from normalize.when import BEIJING, parse_when

# Saturday 2026-11-21 15:30 in Beijing.
NOW = datetime(2026, 11, 21, 15, 30, tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("said", "expected", "precision"),
    [
        ("昨天晚上十点", datetime(2026, 11, 20, 22, 0), "hour"),
        ("昨儿夜里十一点多", datetime(2026, 11, 20, 23, 0), "hour"),
        ("前天下午三点左右", datetime(2026, 11, 19, 15, 0), "hour"),
        ("今天早上七点半", datetime(2026, 11, 21, 7, 30), "minute"),
        ("今早8点20分", datetime(2026, 11, 21, 8, 20), "minute"),
        ("凌晨两点", datetime(2026, 11, 21, 2, 0), "hour"),
        ("晚上十点", datetime(2026, 11, 20, 22, 0), "hour"),  # said in the afternoon: last night
        ("上周三", datetime(2026, 11, 11, 12, 0), "day"),
        ("上礼拜五晚上", datetime(2026, 11, 13, 21, 0), "hour"),
        ("这周一", datetime(2026, 11, 16, 12, 0), "day"),
        ("大前天", datetime(2026, 11, 18, 12, 0), "day"),
        ("三天前", datetime(2026, 11, 18, 15, 30), "day"),
        ("两个小时前", datetime(2026, 11, 21, 13, 30), "hour"),
        ("半个钟头前", datetime(2026, 11, 21, 15, 0), "hour"),
        ("这个月初", datetime(2026, 11, 3, 12, 0), "month"),
        ("上个月底", datetime(2026, 10, 27, 12, 0), "month"),
        ("11月15号", datetime(2026, 11, 15, 12, 0), "day"),
        ("12月3日", datetime(2025, 12, 3, 12, 0), "day"),
        ("15号晚上八点", datetime(2026, 11, 15, 20, 0), "hour"),
        ("25号那天", datetime(2026, 10, 25, 12, 0), "day"),
        ("中午十二点", datetime(2026, 11, 21, 12, 0), "hour"),
    ],
)
def test_time_expressions(said, expected, precision):
    when = parse_when(said, NOW)
    assert when is not None and not when.ongoing
    assert when.at.replace(tzinfo=None) == expected
    assert when.precision == precision


@pytest.mark.parametrize("said", ["一直都这样", "天天晚上吵", "好几个月了", "三天两头就停水", "每天早上六点就开始施工"])
def test_ongoing(said):
    assert parse_when(said, NOW).ongoing


@pytest.mark.parametrize("said", ["楼下太吵了", "在朝阳区望京", "我姓王", "海淀区中关村大街1号院", "3号楼2单元"])
def test_no_time_mentioned(said):
    assert parse_when(said, NOW) is None


@pytest.mark.parametrize(
    ("said", "began"),
    [
        ("最近一个月", datetime(2026, 10, 22, 12, 0)),
        ("最近一个月一直有人去输液", datetime(2026, 10, 22, 12, 0)),
        ("这几天", datetime(2026, 11, 18, 12, 0)),
        ("近两周", datetime(2026, 11, 7, 12, 0)),
        ("上周开始", datetime(2026, 11, 9, 12, 0)),
        ("从上个月起就这样", datetime(2026, 10, 1, 12, 0)),
        ("一个多月了", datetime(2026, 10, 22, 12, 0)),
        ("好几天了", datetime(2026, 11, 18, 12, 0)),
        ("今年以来", datetime(2026, 1, 1, 12, 0)),
    ],
)
def test_vague_periods_are_ongoing_since_about_when_they_began(said, began):
    when = parse_when(said, NOW)
    assert when is not None and when.ongoing and when.precision == "period"
    assert when.at.replace(tzinfo=None) == began


@pytest.mark.parametrize("said", ["这段时间", "最近", "这阵子老是停电"])
def test_lately_without_a_start_is_ongoing(said):
    when = parse_when(said, NOW)
    assert when.ongoing and when.at is None


def test_a_few_days_ago_is_one_day_not_a_period():
    when = parse_when("前几天晚上", NOW)
    assert not when.ongoing and when.at.day == 18


def test_how_long_one_has_lived_somewhere_is_not_the_problem_s_age():
    assert parse_when("我在这住了三年了，楼下饭馆太吵", NOW) is None
