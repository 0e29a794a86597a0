"""Reports (三率, daily) on a real database, over orders that went through WorkOrderHandling, so
that the events are the real ones: a crafted day with known answers (the response limit to the
microsecond, a reopened order, a survey answered 未解决), built step by step by `Story`."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert

import tickets.crud
from reports.service import WO, Reports, day_start
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
    first response settled that day: A, B, C, F (望京, 4 h limit), K (城管, 30 min), and E (its 24 h limit
    runs into the next day, but it was answered that day).
    responded in time: A (at the limit exactly), E, F (after its reopening), K; not: B (1 µs late),
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


@pytest.fixture()
def hotline_env(db, monkeypatch):
    url = db.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    return url
