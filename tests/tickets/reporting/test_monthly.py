"""The monthly report (reports/monthly.py, monthly_render.py) on a real database, over the crafted
day of conftest.py: the month's figures are the overview's, the worst units are ranked by
their rates, the XLSX has its sheets with the same numbers, the HTML page is self-contained and
escaped, and `hotline report monthly` writes both (with the hot issues as 每月一题 candidates)."""

import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook

import cli
from reports.hot_issues import hot_issues_from_orders
from reports.monthly import month_dates, monthly, worst_units
from reports.monthly_render import render_monthly
from reports.overview import Overview
from reports.service import Reports
from tests.tickets.reporting.conftest import CATALOG, CG, WJ


def report(db, clock, hot=None) -> dict:
    return monthly(Overview(Reports(db, CATALOG, clock=clock)), "2026-03", hot)


def test_month_dates():
    assert month_dates("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert month_dates("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert month_dates("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_dates("2026-13")


def test_monthly_figures_and_worst_units(db, clock, crafted_day):
    got = report(db, clock)
    assert (got["month"], got["from"], got["to"]) == ("2026-03", "2026-03-01", "2026-03-31")
    reports = Reports(db, CATALOG, clock=clock)
    # X was filed on 03-01: the month has all eight orders; the rates are the rates report's.
    assert got["totals"]["received"] == 8 and got["totals"]["resolved"] == 3
    assert got["rates"]["unit"] == reports.rates(date(2026, 3, 1), date(2026, 4, 1), "unit")
    assert got["totals"]["rates"] == reports.totals(date(2026, 3, 1), date(2026, 4, 1))["rates"]
    # 望京 (WJ): response 3/6 (X, A, B, C, E, F due in March; A, E, F in time), resolution 2/3,
    # satisfaction 1/3 → the lower score; 城管 (CG): response 1/1, nothing surveyed → 1.0.
    worst = got["worst_units"]
    assert [w["unit"] for w in worst] == [WJ, CG]
    wj = worst[0]
    assert wj["score"] == pytest.approx(sum(v for v in wj["rates"].values()) / 3)
    assert worst[1]["score"] == 1.0
    assert got["hot_issues"] is None


def test_worst_units_skip_orders_without_unit_or_rates():
    def row(unit, response, surveyed=0, resolved=0):
        return {
            "unit": unit,
            "name": unit,
            "rates": {
                "response": response,
                "resolution": resolved / surveyed if surveyed else None,
                "satisfaction": None,
            },
            "counts": {
                "response": {"numerator": 0, "denominator": 2},
                "resolution": {"numerator": resolved, "denominator": surveyed},
            },
        }

    rows = [row(None, 0.0), row("A", None), row("B", 0.5), row("C", 0.5, surveyed=4, resolved=0), row("D", 1.0)]
    assert [w["unit"] for w in worst_units(rows)] == ["C", "B", "D"]  # C: mean of 0.5 and 0.0
    assert len(worst_units(rows, limit=1)) == 1


def test_xlsx_and_html(db, clock, crafted_day):
    issues = {
        "issues": [
            {
                "rank": 1,
                "title": "望京<script>alert(1)</script>烧烤店油烟",
                "heat": 3.25,
                "count": 2,
                "first": "2026-03-02T02:00:00Z",
                "last": "2026-03-02T03:00:00Z",
                "place": "望京西园三区",
                "category": "环境保护",
                "district": "朝阳区",
                "message_ids": [crafted_day["A"], crafted_day["B"]],
            }
        ]
    }
    got = report(db, clock, hot=lambda first, last, top: issues)
    book = load_workbook(io.BytesIO(render_monthly(got, "xlsx")))
    assert book.sheetnames == ["概况", "受理量", "三率按承办单位", "三率按区", "三率按类别", "后进单位", "每月一题候选"]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary["受理量"] == 8 and summary["办结量"] == 3 and summary["月份"] == "2026-03"
    assert summary["响应率"] == pytest.approx(got["totals"]["rates"]["response"])
    assert book["后进单位"]["B2"].value == WJ and book["后进单位"]["D2"].number_format == "0.0%"
    assert book["每月一题候选"]["J2"].value == f"{crafted_day['A']}、{crafted_day['B']}"
    volume = [r for r in book["受理量"].iter_rows(min_row=2, values_only=True) if r[0] == "区"]
    assert {r[2]: r[3] for r in volume} == {"朝阳区": 6, "海淀区": 2}

    page = render_monthly(got, "html").decode()
    assert page.startswith("<!DOCTYPE html>") and "12345热线月度分析 2026-03" in page
    assert "<script" not in page and "&lt;script&gt;" in page  # escaped, and no script of its own
    assert "http://" not in page and "https://" not in page  # self-contained
    assert '<b id="received">8</b>' in page and crafted_day["A"] in page and "后进单位" in page
    assert "<td>2026-03-02 10:00</td>" in page  # the issue's first message, in Beijing time
    assert json.loads(render_monthly(got, "json"))["totals"]["received"] == 8


def test_cli_writes_xlsx_and_html(db, clock, crafted_day, hotline_env, tmp_path, capsys):
    out = tmp_path / "march.xlsx"
    assert cli.main(["report", "monthly", "--month", "2026-03", "--format", "xlsx", "--out", str(out)]) == 0
    book = load_workbook(out)
    assert dict(book["概况"].iter_rows(min_row=2, values_only=True))["受理量"] == 8
    # The candidates are the miner's issues of the month, with their order numbers.
    mined = hot_issues_from_orders(db, date(2026, 3, 1), date(2026, 3, 31), top=10)["issues"]
    assert mined, "eight like complaints at one estate are a hot issue"
    rows = list(book["每月一题候选"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[3]) for r in rows] == [(i["rank"], i["title"], i["count"]) for i in mined]
    assert set(rows[0][9].split("、")) == set(mined[0]["message_ids"]) and crafted_day["A"] in rows[0][9]
    html_out = tmp_path / "march.html"
    assert cli.main(["report", "monthly", "--month", "2026-03", "--format", "html", "--out", str(html_out)]) == 0
    assert "每月一题候选" in html_out.read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["report", "monthly", "--month", "2026-3x"])
    assert "YYYY-MM" in capsys.readouterr().err
