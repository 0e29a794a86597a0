"""The reports' CLI (JSON, CSV, text, xlsx) and API (key, formats, the supervisors' hook)."""

import csv
import io
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook

import cli
from core.settings import Settings
from reports import routes as report_routes
from reports.routes import ReportBook
from tests.tickets.reporting.conftest import API_KEY, CATALOG, CG, WJ


def test_cli_json_csv_text_and_xlsx(db, clock, crafted_day, hotline_env, capsys, tmp_path):
    assert cli.main(["report", "daily", "--date", "2026-03-02", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["received"], report["dispatched"], report["rates"]["response"]) == (7, 6, pytest.approx(4 / 6))

    assert cli.main(["report", "daily", "--date", "2026-03-02", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["group"], r["key"]) for r in rows][:4] == [
        ("total", "2026-03-02"),
        ("unit", WJ),
        ("unit", CG),
        ("unit", ""),
    ]
    assert rows[0]["received"] == "7" and rows[0]["response_rate"] == "0.6667" and rows[0]["response_due"] == "6"
    assert rows[2]["resolution_rate"] == ""  # null
    assert len(rows) == 1 + 3 + 2 + 2

    assert cli.main(["report", "daily", "--date", "2026-03-02"]) == 0
    text = capsys.readouterr().out
    assert "受理 7  派单 6  办结 3  超期 2" in text and "响应率 66.7%" in text and "望京街道办事处" in text

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
    assert rates["rates"]["response"] == pytest.approx(4 / 6) and [g["unit"] for g in rates["groups"]] == [WJ, CG]

    assert (
        cli.main(
            ["report", "rates", "--from", "2026-03-02", "--to", "2026-03-02", "--by", "district", "--format", "csv"]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["group"], r["key"], r["response_due"]) for r in rows] == [
        ("total", "2026-03-02/2026-03-02", "6"),
        ("district", "朝阳区", "5"),
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
    app.state.settings, app.state.reports = Settings(api_keys=API_KEY), ReportBook(db, CATALOG)
    app.include_router(report_routes.router)
    client = TestClient(app)
    assert client.get("/api/reports/daily", params={"date": "2026-03-02"}).status_code == 401
    wrong = {"Authorization": "Bearer not-the-key-0123456789"}
    assert client.get("/api/reports/rates?from=2026-03-02&to=2026-03-03&by=unit", headers=wrong).status_code == 401
    auth = {"Authorization": f"Bearer {API_KEY}"}
    got = client.get("/api/reports/daily", params={"date": "2026-03-02"}, headers=auth)
    assert (
        got.status_code == 200
        and got.json()["received"] == 7
        and got.json()["rates"]["response"] == pytest.approx(4 / 6)
    )
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

    async def supervisor(authorization: str | None) -> str | None:
        return "supervisor:zhao" if authorization == "Bearer supervisor-token" else None

    app = FastAPI()
    app.state.settings, app.state.reports = Settings(api_keys=API_KEY), ReportBook(db, CATALOG)
    app.state.reports_supervisor = supervisor
    app.include_router(report_routes.router)
    client = TestClient(app)
    url = "/api/reports/rates?from=2026-03-02&to=2026-03-03&by=unit"
    assert client.get(url, headers={"Authorization": "Bearer supervisor-token"}).status_code == 200
    assert client.get(url, headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200
    assert client.get(url, headers={"Authorization": "Bearer agent-token"}).status_code == 401
    assert client.get(url).status_code == 401
