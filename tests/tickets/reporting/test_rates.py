"""The three rates and the daily report on the crafted day; the event-based response rate against
the projection on a random history."""

import json
import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from reports.service import WO, Reports, day_start, responded_in_time, response_settled_in
from tests.tickets.reporting.conftest import API, CATALOG, CG, DAY, T0, WJ, Story, reports


def test_three_rates_with_known_answers(db, clock, crafted_day):
    got = reports(db, clock).totals(DAY, DAY + timedelta(days=1))
    assert got["counts"] == {
        "response": {"numerator": 4, "denominator": 6},
        "resolution": {"numerator": 2, "denominator": 3},
        "satisfaction": {"numerator": 1, "denominator": 3},
    }
    assert got["rates"] == {
        "response": pytest.approx(4 / 6),
        "resolution": pytest.approx(2 / 3),
        "satisfaction": pytest.approx(1 / 3),
    }
    # E's response limit runs into the next day, but E was answered on the day: it counts there (the
    # day's report has the response it saw), and the next day has nothing settled; X's limit passed
    # unanswered the day before
    after = reports(db, clock).totals(DAY + timedelta(days=1), DAY + timedelta(days=2))
    assert after["counts"]["response"] == {"numerator": 0, "denominator": 0} and after["rates"]["response"] is None
    before = reports(db, clock).totals(DAY - timedelta(days=1), DAY)
    assert before["counts"]["response"] == {"numerator": 0, "denominator": 1}
    assert before["rates"] == {"response": 0.0, "resolution": None, "satisfaction": None}  # nothing surveyed: null


def test_rates_by_unit_district_and_category(db, clock, crafted_day):
    r = reports(db, clock)
    by_unit = r.rates(DAY, DAY + timedelta(days=1), "unit")
    assert [(g["unit"], g["name"], g["rates"]["response"]) for g in by_unit] == [
        (WJ, "望京街道办事处", 0.6),
        (CG, "朝阳区城市管理委员会", 1.0),
    ]
    assert by_unit[0]["counts"]["resolution"] == {"numerator": 2, "denominator": 3}
    by_district = r.rates(DAY, DAY + timedelta(days=1), "district")
    assert [(g["district"], g["counts"]["response"]["denominator"]) for g in by_district] == [
        ("朝阳区", 5),
        ("海淀区", 1),
    ]
    by_category = r.rates(DAY, DAY + timedelta(days=1), "category")
    assert [(g["category"], g["name"]) for g in by_category] == [("01", "城乡建设"), ("02", "市政公用")]
    report = r.rates_report(DAY, DAY, "unit")  # both dates included
    assert report["counts"]["response"] == {"numerator": 4, "denominator": 6} and report["by"] == "unit"
    with pytest.raises(ValueError, match="empty"):
        r.rates(DAY, DAY, "unit")
    with pytest.raises(ValueError, match="by must be"):
        r.rates(DAY, DAY + timedelta(days=1), "street")


def projection_count(db, start: datetime, end: datetime) -> tuple[int, int]:
    due = response_settled_in(start, end)
    with db.connect() as conn:
        total = conn.execute(select(func.count()).where(due)).scalar_one()
        met = conn.execute(select(func.count()).where(due, WO.c.responded_at <= WO.c.response_due_at)).scalar_one()
        from_events = conn.execute(select(func.count()).where(due, responded_in_time())).scalar_one()
    assert from_events == met
    return met, total


def test_response_rate_from_events_equals_the_projection(db, repo, loop, clock, crafted_day):
    assert projection_count(db, day_start(DAY), day_start(DAY + timedelta(days=1))) == (4, 6)
    rng = random.Random(7)
    start = day_start(DAY + timedelta(days=3))
    for _history in range(24):  # random histories: late and early answers, re-dispatches, reopenings, escalation
        t = start + timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
        story = Story(repo, loop, clock, t, urgency=rng.choice(["2h", "24h", "7d"])).dispatch(rng.choice([WJ, CG]))
        for _ in range(rng.randrange(1, 9)):
            t += timedelta(minutes=rng.choice([1, 20, 29, 31, 200, 239, 241, 1500]))
            status = repo.get(story.number).status
            story.at(t)
            if status == "dispatched":
                rng.choice(
                    [
                        lambda story=story: story.act("accept"),
                        lambda story=story: story.act("reply", {"text": "收到"}, API),
                        lambda story=story: story.dispatch(WJ if story.unit == CG else CG),
                    ]
                )()
            elif status == "in_progress":
                story.act("resolve", {"text": "已处理"})
            elif status == "resolved":
                story.survey(*rng.choice([["未解决"], ["已解决", "不满意"], ["已解决", "满意"]]))
            elif status == "returned":
                story.dispatch(WJ)
    for offset in range(2, 8):
        day = DAY + timedelta(days=offset)
        met, total = projection_count(db, day_start(day), day_start(day + timedelta(days=1)))
        assert reports(db, clock).totals(day, day + timedelta(days=1))["counts"]["response"] == {
            "numerator": met,
            "denominator": total,
        }


def test_daily_report_keys_and_figures(db, clock, crafted_day):
    report = reports(db, clock).daily(DAY)
    assert list(report) == [
        "date",
        "received",
        "dispatched",
        "resolved",
        "overdue",
        "rates",
        "by_unit",
        "by_category",
        "by_district",
    ]
    assert list(report["rates"]) == ["response", "resolution", "satisfaction"]
    # received: A B C E F G K; dispatch events: A B C E F K; resolve events: C E F; overdue: X K
    assert (report["date"], report["received"], report["dispatched"], report["resolved"], report["overdue"]) == (
        "2026-03-02",
        7,
        6,
        3,
        2,
    )
    assert report["rates"]["response"] == pytest.approx(4 / 6)
    rows = {r["unit"]: r for r in report["by_unit"]}
    assert list(rows) == [WJ, CG, None]  # by volume; the undispatched order last
    assert {k: rows[WJ][k] for k in ("name", "received", "resolved", "overdue")} == {
        "name": "望京街道办事处",
        "received": 5,
        "resolved": 3,
        "overdue": 1,
    }
    assert rows[CG]["overdue"] == 1 and rows[CG]["rates"] == {"response": 1.0, "resolution": None, "satisfaction": None}
    assert rows[None]["name"] == "未派单" and rows[None]["received"] == 1
    assert set(rows[WJ]) == {"unit", "name", "received", "resolved", "overdue", "rates", "counts"}
    districts = [(r["district"], r["name"], r["received"], r["overdue"]) for r in report["by_district"]]
    assert districts == [("朝阳区", "朝阳区", 5, 1), ("海淀区", "海淀区", 2, 1)]
    categories = [(r["category"], r["name"], r["received"]) for r in report["by_category"]]
    assert categories == [("01", "城乡建设", 2), ("02", "市政公用", 5)]
    for by in ("unit", "category", "district"):  # the rows add up to the day
        assert sum(r["received"] for r in report[f"by_{by}"]) == 7
        assert sum(r["overdue"] for r in report[f"by_{by}"]) == 2
    json.dumps(report)
    # the day before: X only; reported during that day, its deadline (10:00 today) had not passed yet
    clock.now = T0 - timedelta(hours=1)
    early = reports(db, clock).daily(DAY - timedelta(days=1))
    assert (early["received"], early["dispatched"], early["overdue"]) == (1, 1, 0)


def test_an_empty_day_has_null_rates(db, clock):
    report = reports(db, clock).daily(date(2020, 1, 1))
    assert report["rates"] == {"response": None, "resolution": None, "satisfaction": None}
    assert report["by_unit"] == report["by_category"] == report["by_district"] == []


def test_unit_names_from_a_lookup_function(db, clock, crafted_day):
    names = {WJ: "望京", CG: "城管"}
    report = Reports(db, CATALOG, unit_name=names.get, clock=clock).daily(DAY)
    assert [r["name"] for r in report["by_unit"]] == ["望京", "城管", "未派单"]
