"""Reports (三率, daily) on a real database, over orders that went through WorkOrderHandling, so
that the events are the real ones: known answers on a crafted day (the response limit to the
microsecond, a reopened order, a survey answered 未解决), the event-based response rate against
the projection on a random history, the daily JSON contract, the CLI's formats and the API."""

import csv
import io
import json
import random
from datetime import date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import and_, func, insert, select

import cli
import tickets.crud
from reports.routes import build_reports_router
from reports.service import WO, Reports, day_start, responded_in_time
from tests.tickets.conftest import UNITS, work_order_data
from tickets.category_catalog import CategoryCatalog
from tickets.handling import Actor, WorkOrderHandling
from tickets.schemas import clock_deadline

SUPERVISOR = Actor("supervisor", "zhao")
API = Actor("api", "api")
WJ, CG = "110105021", "110105CG"
UNIT = {WJ: Actor("unit", "wj_ops", WJ), CG: Actor("unit", "cg_ops", CG)}
DAY = date(2026, 3, 2)
T0 = day_start(DAY) + timedelta(hours=10)  # 10:00 Beijing
CATALOG = CategoryCatalog.load()
API_KEY = "reports-test-key-0123456789"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture()
def clock(monkeypatch) -> Clock:
    clock = Clock(T0)
    monkeypatch.setattr(tickets.crud, "utcnow", clock)  # filing time
    return clock


@pytest.fixture()
def loop(db, clock) -> WorkOrderHandling:
    return WorkOrderHandling(
        db, UNITS.__contains__, clock_deadline, lambda d, days: d + timedelta(days=days), clock=clock
    )


@pytest.fixture()
def unit_table(db) -> None:
    with db.begin() as conn:
        conn.execute(
            insert(WO.metadata.tables["handling_unit"]),
            [
                {
                    "code": c,
                    "name": n,
                    "level": "street" if c == WJ else "district",
                    "district": "朝阳区",
                    "active": True,
                }
                for c, n in UNITS.items()
            ],
        )


class Story:
    """One order's history, step by step at given times."""

    def __init__(self, repo, loop: WorkOrderHandling, clock: Clock, at: datetime, **fields) -> None:
        self.loop, self.clock = loop, clock
        clock.now = at
        self.number = repo.create(work_order_data(**fields), actor="bot").number
        self.unit: str | None = None

    def at(self, when: datetime) -> "Story":
        self.clock.now = when
        return self

    def dispatch(self, unit: str) -> "Story":
        self.unit = unit
        self.loop.perform(self.number, "dispatch", {"unit": unit}, SUPERVISOR)
        return self

    def act(self, action: str, body: dict | None = None, actor: Actor | None = None) -> "Story":
        self.loop.perform(self.number, action, body or {}, actor or UNIT[self.unit])
        return self

    def survey(self, *answers: str) -> "Story":
        for answer in answers:
            question = "satisfaction" if answer in ("满意", "基本满意", "不满意") else "resolved"
            self.loop.answer_survey(self.number, question, answer)
        return self


@pytest.fixture()
def crafted_day(repo, loop, clock, unit_table) -> dict[str, str]:
    """Orders on 2026-03-02 (and one the day before) with known rates:
    due for a first response that day: A, B, C, F (望京, 4 h limit), K (城管, 30 min); E is due the next day.
    responded in time: A (at the limit exactly), F (after its reopening), K; not: B (1 µs late),
    C (answered in time, reopened by 未解决, then late). Surveyed: C 未解决, E 已解决+满意,
    F 已解决+不满意. Overdue by the end of the day: X (filed the day before), K (2 h)."""
    h = timedelta(hours=1)
    s = {}
    s["X"] = Story(repo, loop, clock, T0 - 24 * h, urgency="24h").dispatch(WJ)
    s["A"] = Story(repo, loop, clock, T0, urgency="24h").dispatch(WJ).at(T0 + 4 * h).act("accept")
    s["B"] = (
        Story(repo, loop, clock, T0, urgency="24h")
        .dispatch(WJ)
        .at(T0 + 4 * h + timedelta(microseconds=1))
        .act("accept")
    )
    s["C"] = (
        Story(repo, loop, clock, T0, urgency="24h")
        .dispatch(WJ)
        .at(T0 + h)
        .act("reply", {"text": "已联系"}, API)
        .at(T0 + 2 * h)
        .act("resolve", {"text": "已处理"})
        .at(T0 + 3 * h)
        .survey("未解决")
        .at(T0 + 8 * h)
        .act("accept")
    )
    s["E"] = (
        Story(repo, loop, clock, T0, urgency="7d")
        .dispatch(WJ)
        .at(T0 + 5 * h)
        .act("resolve", {"text": "已处理"})
        .at(T0 + 6 * h)
        .survey("已解决", "满意")
    )
    s["F"] = (
        Story(repo, loop, clock, T0, urgency="24h")
        .dispatch(WJ)
        .at(T0 + h)
        .act("accept")
        .at(T0 + 2 * h)
        .act("resolve", {"text": "已处理"})
        .at(T0 + 3 * h)
        .survey("已解决", "不满意")
        .at(T0 + 5 * h)
        .act("accept")
    )
    s["G"] = Story(repo, loop, clock, T0, urgency="24h", district="海淀区", category_code="010101")  # not dispatched
    s["K"] = (
        Story(repo, loop, clock, T0, urgency="2h", district="海淀区", category_code="010101")
        .dispatch(CG)
        .at(T0 + timedelta(minutes=10))
        .act("accept")
    )
    clock.now = day_start(DAY + timedelta(days=1)) + 12 * h  # the report is made the next day
    return {k: v.number for k, v in s.items()}


def reports(db, clock) -> Reports:
    return Reports(db, CATALOG, clock=clock)


def test_three_rates_with_known_answers(db, clock, crafted_day):
    got = reports(db, clock).totals(DAY, DAY + timedelta(days=1))
    assert got["counts"] == {
        "response": {"numerator": 3, "denominator": 5},
        "resolution": {"numerator": 2, "denominator": 3},
        "satisfaction": {"numerator": 1, "denominator": 3},
    }
    assert got["rates"] == {"response": 0.6, "resolution": pytest.approx(2 / 3), "satisfaction": pytest.approx(1 / 3)}
    # E's response limit is on the next day; X's was the day before
    assert reports(db, clock).totals(DAY + timedelta(days=1), DAY + timedelta(days=2))["counts"]["response"] == {
        "numerator": 1,
        "denominator": 1,
    }
    before = reports(db, clock).totals(DAY - timedelta(days=1), DAY)
    assert before["counts"]["response"] == {"numerator": 0, "denominator": 1}
    assert before["rates"] == {"response": 0.0, "resolution": None, "satisfaction": None}  # nothing surveyed: null


def test_rates_by_unit_district_and_category(db, clock, crafted_day):
    r = reports(db, clock)
    by_unit = r.rates(DAY, DAY + timedelta(days=1), "unit")
    assert [(g["unit"], g["name"], g["rates"]["response"]) for g in by_unit] == [
        (WJ, "望京街道办事处", 0.5),
        (CG, "朝阳区城市管理委员会", 1.0),
    ]
    assert by_unit[0]["counts"]["resolution"] == {"numerator": 2, "denominator": 3}
    by_district = r.rates(DAY, DAY + timedelta(days=1), "district")
    assert [(g["district"], g["counts"]["response"]["denominator"]) for g in by_district] == [
        ("朝阳区", 4),
        ("海淀区", 1),
    ]
    by_category = r.rates(DAY, DAY + timedelta(days=1), "category")
    assert [(g["category"], g["name"]) for g in by_category] == [("01", "城乡建设"), ("02", "市政公用")]
    report = r.rates_report(DAY, DAY, "unit")  # both dates included
    assert report["counts"]["response"] == {"numerator": 3, "denominator": 5} and report["by"] == "unit"
    with pytest.raises(ValueError, match="empty"):
        r.rates(DAY, DAY, "unit")
    with pytest.raises(ValueError, match="by must be"):
        r.rates(DAY, DAY + timedelta(days=1), "street")


def projection_count(db, start: datetime, end: datetime) -> tuple[int, int]:
    due = and_(WO.c.response_due_at >= start, WO.c.response_due_at < end)
    with db.connect() as conn:
        total = conn.execute(select(func.count()).where(due)).scalar_one()
        met = conn.execute(select(func.count()).where(due, WO.c.responded_at <= WO.c.response_due_at)).scalar_one()
        from_events = conn.execute(select(func.count()).where(due, responded_in_time())).scalar_one()
    assert from_events == met
    return met, total


def test_response_rate_from_events_equals_the_projection(db, repo, loop, clock, crafted_day):
    assert projection_count(db, day_start(DAY), day_start(DAY + timedelta(days=1))) == (3, 5)
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
    assert report["rates"]["response"] == 0.6
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


@pytest.fixture()
def hotline_env(db, monkeypatch):
    url = db.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    return url


def test_cli_json_csv_text_and_xlsx(db, clock, crafted_day, hotline_env, capsys, tmp_path):
    assert cli.main(["report", "daily", "--date", "2026-03-02", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["received"], report["dispatched"], report["rates"]["response"]) == (7, 6, 0.6)

    assert cli.main(["report", "daily", "--date", "2026-03-02", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["group"], r["key"]) for r in rows][:4] == [
        ("total", "2026-03-02"),
        ("unit", WJ),
        ("unit", CG),
        ("unit", ""),
    ]
    assert rows[0]["received"] == "7" and rows[0]["response_rate"] == "0.6000" and rows[0]["response_due"] == "5"
    assert rows[2]["resolution_rate"] == ""  # null
    assert len(rows) == 1 + 3 + 2 + 2

    assert cli.main(["report", "daily", "--date", "2026-03-02"]) == 0
    text = capsys.readouterr().out
    assert "受理 7  派单 6  办结 3  超期 2" in text and "响应率 60.0%" in text and "望京街道办事处" in text

    out = tmp_path / "daily.xlsx"
    assert cli.main(["report", "daily", "--date", "2026-03-02", "--format", "xlsx", "--out", str(out)]) == 0
    book = load_workbook(out)
    assert book.sheetnames == ["汇总", "按承办单位", "按类别", "按区"]
    summary = list(book["汇总"].values)
    assert summary[0][:4] == ("分组", "代码", "名称", "受理") and summary[1][3] == 7
    assert [row[1] for row in list(book["按承办单位"].values)[1:]] == [WJ, CG, None]

    assert (
        cli.main(["report", "rates", "--from", "2026-03-02", "--to", "2026-03-02", "--by", "unit", "--format", "json"])
        == 0
    )
    rates = json.loads(capsys.readouterr().out)
    assert rates["rates"]["response"] == 0.6 and [g["unit"] for g in rates["groups"]] == [WJ, CG]

    assert (
        cli.main(
            ["report", "rates", "--from", "2026-03-02", "--to", "2026-03-02", "--by", "district", "--format", "csv"]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["group"], r["key"], r["response_due"]) for r in rows] == [
        ("total", "2026-03-02/2026-03-02", "5"),
        ("district", "朝阳区", "4"),
        ("district", "海淀区", "1"),
    ]

    assert cli.main(["report", "rates", "--from", "2026-03-03", "--to", "2026-03-02", "--by", "unit"]) == 1
    assert "empty" in capsys.readouterr().err


def test_cli_xlsx_to_stdout_is_the_workbook(db, clock, crafted_day, hotline_env, capsysbinary):
    assert (
        cli.main(
            ["report", "rates", "--from", "2026-03-02", "--to", "2026-03-02", "--by", "category", "--format", "xlsx"]
        )
        == 0
    )
    book = load_workbook(io.BytesIO(capsysbinary.readouterr().out))
    assert [row[:3] for row in book["三率按类别"].values] == [
        ("分组", "代码", "名称"),
        ("total", "2026-03-02/2026-03-02", "合计"),
        ("category", "01", "城乡建设"),
        ("category", "02", "市政公用"),
    ]


def test_api_needs_the_key_and_answers_every_format(db, crafted_day, monkeypatch, clock):
    import reports.service

    monkeypatch.setattr(reports.service, "utcnow", clock)
    app = FastAPI()
    app.include_router(build_reports_router(db, CATALOG, frozenset({API_KEY})))
    client = TestClient(app)
    assert client.get("/api/reports/daily", params={"date": "2026-03-02"}).status_code == 401
    wrong = {"Authorization": "Bearer not-the-key-0123456789"}
    assert client.get("/api/reports/rates?from=2026-03-02&to=2026-03-03&by=unit", headers=wrong).status_code == 401
    auth = {"Authorization": f"Bearer {API_KEY}"}
    got = client.get("/api/reports/daily", params={"date": "2026-03-02"}, headers=auth)
    assert got.status_code == 200 and got.json()["received"] == 7 and got.json()["rates"]["response"] == 0.6
    assert list(got.json()) == [
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
    today = client.get("/api/reports/daily", headers=auth).json()  # default: today in Beijing (the clock's)
    assert today["date"] == "2026-03-03"
    got = client.get("/api/reports/daily?date=2026-03-02&format=csv", headers=auth)
    assert got.headers["content-type"].startswith("text/csv") and got.text.startswith("group,key,name,received")
    got = client.get("/api/reports/daily?date=2026-03-02&format=xlsx", headers=auth)
    assert load_workbook(io.BytesIO(got.content))["汇总"]["D2"].value == 7
    got = client.get(
        "/api/reports/rates", params={"from": "2026-03-02", "to": "2026-03-02", "by": "district"}, headers=auth
    )
    assert got.status_code == 200 and [g["district"] for g in got.json()["groups"]] == ["朝阳区", "海淀区"]
    bad = client.get(
        "/api/reports/rates", params={"from": "2026-03-03", "to": "2026-03-02", "by": "unit"}, headers=auth
    )
    assert bad.status_code == 422
    assert client.get("/api/reports/rates?from=2026-03-02&to=2026-03-03&by=street", headers=auth).status_code == 422


def test_api_supervisor_hook(db, crafted_day):
    from fastapi import Header

    def supervisor(authorization: str | None = Header(None)) -> str | None:
        return "supervisor:zhao" if authorization == "Bearer supervisor-token" else None

    app = FastAPI()
    app.include_router(build_reports_router(db, CATALOG, frozenset({API_KEY}), supervisor_dependency=supervisor))
    client = TestClient(app)
    url = "/api/reports/rates?from=2026-03-02&to=2026-03-03&by=unit"
    assert client.get(url, headers={"Authorization": "Bearer supervisor-token"}).status_code == 200
    assert client.get(url, headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200
    assert client.get(url, headers={"Authorization": "Bearer agent-token"}).status_code == 401
    assert client.get(url).status_code == 401
