"""The dashboard's overview (reports/overview.py) on a real database, over the crafted day of
conftest.py (orders that went through WorkOrderHandling): volumes add up, the rates are the
rate report's, the overdue backlog is the daily report's, no personal data, and the API route."""

import json
from datetime import timedelta

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from core.settings import Settings
from reports import routes as report_routes
from reports.overview import Overview, period_dates
from reports.routes import ReportBook
from reports.service import Reports, day_start
from tests.tickets.reporting.conftest import API_KEY, CATALOG, DAY

END_OF_DAY = day_start(DAY + timedelta(days=1)) - timedelta(minutes=1)  # 23:59 Beijing on DAY


def figures(db, clock) -> Overview:
    return Overview(Reports(db, CATALOG, clock=clock))


def by_key(rows: list[dict]) -> dict:
    return {r["key"]: (r["name"], r["count"]) for r in rows}


def test_overview_of_the_crafted_day(db, clock, crafted_day):
    clock.now = END_OF_DAY
    report = figures(db, clock).for_period("today")
    assert (report["period"], report["from"], report["to"]) == ("today", "2026-03-02", "2026-03-02")
    # received on DAY: A B C E F G K (X was filed the day before); resolve events: C E F
    assert report["totals"]["received"] == 7 and report["totals"]["resolved"] == 3
    volume = report["volume"]
    assert by_key(volume["channel"]) == {"web": ("网页", 7)}
    assert by_key(volume["request_type"]) == {"complain": ("投诉", 7)}
    assert by_key(volume["category"]) == {"02": ("市政公用", 5), "01": ("城乡建设", 2)}
    assert [r["key"] for r in volume["category"]] == ["02", "01"]  # biggest first
    assert by_key(volume["district"]) == {"朝阳区": ("朝阳区", 5), "海淀区": ("海淀区", 2)}
    for rows in volume.values():
        assert sum(r["count"] for r in rows) == report["totals"]["received"]

    # The rates are the rate report's, and the totals the daily report's.
    reports = Reports(db, CATALOG, clock=clock)
    daily = reports.daily(DAY)
    for by in ("unit", "district", "category"):
        assert report["rates"][by] == reports.rates(DAY, DAY + timedelta(days=1), by)
    assert report["totals"]["rates"] == daily["rates"]
    assert report["totals"]["counts"]["response"] == {"numerator": 4, "denominator": 6}

    # Overdue now: X (24 h, filed the day before) and K (2 h) — the daily report's backlog.
    overdue = report["overdue"]
    assert overdue["count"] == daily["overdue"] == 2
    assert [o["number"] for o in overdue["orders"]] == [crafted_day["X"], crafted_day["K"]]  # longest overdue first
    x = overdue["orders"][0]
    assert x["unit"] == "110105021" and x["unit_name"] == "望京街道办事处" and x["status"] == "dispatched"
    assert x["deadline"].endswith("Z") and x["overdue_hours"] == pytest.approx(13 + 59 / 60, abs=0.05)  # 10:00 to 23:59
    assert set(x) == {"number", "unit", "unit_name", "deadline", "overdue_hours", "status", "category", "district"}
    text = json.dumps(report, ensure_ascii=False)
    assert "13812345678" not in text and "王先生" not in text and "烧烤" not in text


def test_week_and_explicit_periods(db, clock, crafted_day):
    clock.now = END_OF_DAY + timedelta(days=2)  # Wednesday 2026-03-04
    week = figures(db, clock).for_period("week")
    assert (week["from"], week["to"]) == ("2026-03-02", "2026-03-04")  # Monday to today
    assert week["totals"]["received"] == 7
    earlier = figures(db, clock).overview(DAY - timedelta(days=1), DAY)
    assert earlier["totals"]["received"] == 8 and earlier["period"] is None  # X too
    # everything open whose deadline passed: the overdue backlog grows as time goes on
    assert week["overdue"]["count"] > 2
    assert period_dates("week", DAY + timedelta(days=6)) == (DAY, DAY + timedelta(days=6))
    with pytest.raises(ValueError, match="empty"):
        figures(db, clock).overview(DAY, DAY - timedelta(days=1))


def test_an_empty_database_has_zero_volumes_and_null_rates(db, clock):
    report = figures(db, clock).for_period("today")
    assert report["totals"]["received"] == 0 and report["overdue"] == {"count": 0, "orders": []}
    assert report["volume"] == {"channel": [], "request_type": [], "category": [], "district": []}
    assert report["totals"]["rates"] == {"response": None, "resolution": None, "satisfaction": None}


def test_overview_route(db, crafted_day, monkeypatch, clock):
    import reports.service

    clock.now = END_OF_DAY
    monkeypatch.setattr(reports.service, "utcnow", clock)

    async def supervisor(authorization: str | None) -> str | None:
        if authorization == "Bearer agent-token":
            raise HTTPException(403, "reports need a supervisor account or the API key")
        return "supervisor:zhao" if authorization == "Bearer supervisor-token" else None

    app = FastAPI()
    app.state.settings, app.state.reports = Settings(api_keys=API_KEY), ReportBook(db, CATALOG)
    app.state.reports_supervisor = supervisor
    app.include_router(report_routes.router)
    client = TestClient(app)
    url = "/api/reports/overview"
    assert client.get(url, params={"period": "today"}).status_code == 401
    assert (
        client.get(url, params={"period": "today"}, headers={"Authorization": "Bearer agent-token"}).status_code == 403
    )
    got = client.get(url, params={"period": "today"}, headers={"Authorization": "Bearer supervisor-token"})
    assert got.status_code == 200 and got.json()["totals"]["received"] == 7 and got.json()["overdue"]["count"] == 2
    auth = {"Authorization": f"Bearer {API_KEY}"}
    got = client.get(url, params={"from": "2026-03-01", "to": "2026-03-02"}, headers=auth)
    assert got.status_code == 200 and got.json()["totals"]["received"] == 8
    for bad in (
        {},
        {"period": "month"},
        {"from": "2026-03-02"},
        {"period": "today", "from": "2026-03-01"},
        {"from": "2026-03-03", "to": "2026-03-02"},
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": "9999-12-30", "to": "9999-12-31"},
    ):
        assert client.get(url, params=bad, headers=auth).status_code == 422, bad
    # The same bounds on the other reports (midnight in Beijing of year 1 is not a UTC time).
    assert client.get("/api/reports/rates?from=0001-01-01&to=0001-01-02&by=unit", headers=auth).status_code == 422
    assert client.get("/api/reports/daily?date=0001-01-01", headers=auth).status_code == 422
    assert client.get("/api/reports/hot-issues?from=0001-01-01&to=0001-01-02", headers=auth).status_code == 422
