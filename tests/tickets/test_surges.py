"""The surge watch (未诉先办) on a real database over a generated week of work orders where the
answer is known: a steady problem at one street is never flagged, even in a busy window; a
planted burst of 停水 at one estate is flagged once (stored once with its orders and an outbox
event for supervisors, not again on the next scan); the same burst spread over the week is not
a surge; and the async loop hands the alert to its callback."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

import tickets.crud
from reports.models import SurgeAlert
from reports.surges import SurgeWatch
from tests.tickets.conftest import work_order_data
from tickets.models import OutboxMessage

NOW = datetime(2026, 1, 12, 1, 0, tzinfo=UTC)  # 09:00 Beijing
WATER = {"category_code": "020101", "category_path": ["市政公用", "供水排水", "停水与供水管线故障"]}
HEAT = {"category_code": "020401", "category_path": ["市政公用", "供暖", "供暖不热与停暖"]}
STEADY = "家里暖气不热，室内温度只有十几度"  # at 望京街道, no estate named: the street is the place


def _file(repo, monkeypatch, when: datetime, k: int, **fields) -> str:
    monkeypatch.setattr(tickets.crud, "utcnow", lambda: when)
    data = work_order_data(contact_phone=f"1390{k:07d}", **fields)
    return repo.create(data, actor="bot").number


def _steady_week(repo, monkeypatch, seed: int = 1) -> int:
    """About one 供暖不热 order every three hours at 望京街道 for a week, four in the last window."""
    rng = random.Random(seed)
    k = 0
    for hour in range(3, 7 * 24, 3):
        when = NOW - timedelta(hours=hour, minutes=rng.randrange(180))
        _file(repo, monkeypatch, when, k, description=STEADY, address=None, street="望京街道", **HEAT)
        k += 1
    for minutes in (20, 70, 110, 160):  # a busy window, within the street's usual range
        _file(
            repo,
            monkeypatch,
            NOW - timedelta(minutes=minutes),
            k,
            description=STEADY,
            address=None,
            street="望京街道",
            **HEAT,
        )
        k += 1
    return k


def _burst(repo, monkeypatch, times: list[datetime], k0: int) -> list[str]:
    return [
        _file(
            repo,
            monkeypatch,
            when,
            k0 + i,
            description="突然停水了，没有任何通知",
            address="丽发新城小区3号楼",
            street="望京街道",
            **WATER,
        )
        for i, when in enumerate(times)
    ]


def test_a_planted_surge_is_found_once_and_a_steady_baseline_is_not(db, repo, monkeypatch) -> None:
    k = _steady_week(repo, monkeypatch)
    burst = _burst(repo, monkeypatch, [NOW - timedelta(minutes=m) for m in (5, 30, 50, 75, 100)], k)
    watch = SurgeWatch(db)
    [alert] = watch.scan(NOW)
    assert alert["place"] == "丽发新城小区" and alert["district"] == "朝阳区" and alert["category_code"] == "020101"
    assert alert["category"] == "市政公用 / 供水排水 / 停水与供水管线故障"
    assert alert["count"] == 5 and sorted(alert["work_orders"]) == sorted(burst) and alert["baseline"] == 0
    assert watch.scan(NOW + timedelta(minutes=5)) == []  # stored once
    assert SurgeWatch(db).scan(NOW + timedelta(minutes=10)) == []  # another gateway: still once
    with Session(db) as session:
        assert len(session.exec(select(SurgeAlert)).all()) == 1
        [event] = session.exec(select(OutboxMessage).where(OutboxMessage.target == "supervisors")).all()
    assert event.event == "surge.detected" and event.payload["work_orders"] == alert["work_orders"]
    assert "139" not in str(alert)  # no phone number


def test_the_same_orders_spread_over_the_week_are_no_surge(db, repo, monkeypatch) -> None:
    _burst(repo, monkeypatch, [NOW - timedelta(days=d, minutes=30) for d in range(7)], 0)
    assert SurgeWatch(db).scan(NOW) == []


def test_a_key_with_a_history_needs_more(db, repo, monkeypatch) -> None:
    """The threshold follows the key's own baseline: three in a window is a surge for a new key
    but not for one that has had two a day (λ ≈ 0.23 per window), and five would be."""
    _burst(repo, monkeypatch, [NOW - timedelta(days=d, hours=h) for d in range(1, 8) for h in (2, 9)], 0)
    _burst(repo, monkeypatch, [NOW - timedelta(minutes=m) for m in (10, 40, 90)], 100)
    assert SurgeWatch(db, alpha=1e-3).scan(NOW) == []
    _burst(repo, monkeypatch, [NOW - timedelta(minutes=m) for m in (15, 45)], 200)
    [alert] = SurgeWatch(db, alpha=1e-3).scan(NOW)
    # the 7 days before the window hold 13 of the 14 earlier orders; 56 windows of 3 h
    assert alert["count"] == 5 and alert["baseline"] == pytest.approx(13 / 56, abs=1e-3)


@pytest.mark.asyncio
async def test_the_loop_tells_its_callback(db, repo, monkeypatch) -> None:
    _burst(repo, monkeypatch, [datetime.now(UTC) - timedelta(minutes=m) for m in (1, 2, 3)], 0)
    told: asyncio.Queue = asyncio.Queue()
    watch = SurgeWatch(db, told.put)
    task = asyncio.create_task(watch.run(0.05))
    try:
        alert = await asyncio.wait_for(told.get(), 20)
    finally:
        task.cancel()
    assert alert["count"] == 3 and alert["place"] == "丽发新城小区"


def test_stored_alerts_are_listed_for_supervisors_who_were_away(db, repo, monkeypatch) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from core.settings import Settings
    from reports import routes as report_routes
    from reports.routes import ReportBook
    from tickets.category_catalog import CategoryCatalog

    burst = _burst(repo, monkeypatch, [NOW - timedelta(minutes=m) for m in (5, 30, 50, 75)], 0)
    [alert] = SurgeWatch(db).scan(NOW)
    app = FastAPI()
    app.state.settings, app.state.reports = (
        Settings(api_keys="surge-list-key-0123456789"),
        ReportBook(db, CategoryCatalog.load()),
    )
    app.include_router(report_routes.router)
    client = TestClient(app)
    assert client.get("/api/reports/surges").status_code == 401
    listed = client.get("/api/reports/surges?days=1", headers={"Authorization": "Bearer surge-list-key-0123456789"})
    assert listed.status_code == 200
    [shown] = listed.json()["surges"]
    assert shown == alert and sorted(shown["work_orders"]) == sorted(burst) and "dedup_key" not in shown
