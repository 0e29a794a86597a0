"""The monthly report (月度分析) of one calendar month (Beijing dates): volumes, the three rates
(三率) overall and by unit, district and category, the worst units, and the month's top hot
issues as 每月一题 candidates. The figures come from reports/overview.py (volumes, rates, overdue)
and reports/hot_issues.py (the issues); reports/monthly_render.py renders them as XLSX or HTML.

**Worst units** (后进单位): units with at least one rate in the month (an order due for a first
response, or a surveyed order), ranked by their *score*, the mean of their non-null rates, lowest
first (ties: more orders due or surveyed first, then the unit code); at most `WORST_UNITS`.
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from reports.overview import Overview

WORST_UNITS = 5
HOT_ISSUES = 10
HotIssues = Callable[[date, date, int], dict[str, Any]]  # (first, last included, top) -> {"issues": [...]}


def month_dates(month: str) -> tuple[date, date]:
    """'YYYY-MM' -> (first day, last day)."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ValueError(f"not a month (YYYY-MM): {month!r}") from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def score(rates: dict[str, float | None]) -> float | None:
    values = [v for v in rates.values() if v is not None]
    return sum(values) / len(values) if values else None


def worst_units(rows: list[dict[str, Any]], limit: int = WORST_UNITS) -> list[dict[str, Any]]:
    """The rates rows by unit (`Reports.rates(..., "unit")`) with a score, worst first."""
    scored = []
    for row in rows:
        if row["unit"] is None:
            continue  # orders not dispatched have no unit to blame
        value = score(row["rates"])
        if value is None:
            continue
        weight = row["counts"]["response"]["denominator"] + row["counts"]["resolution"]["denominator"]
        scored.append((value, -weight, row["unit"], {**row, "score": value}))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:limit]]


def monthly(
    overview: Overview, month: str, hot_issues: HotIssues | None = None, top: int = HOT_ISSUES
) -> dict[str, Any]:
    """The month's report as a dict (JSON-ready): `{"month", "from", "to", "totals", "volume",
    "rates", "worst_units", "hot_issues"}`; hot_issues is null without a miner."""
    first, last = month_dates(month)
    figures = overview.overview(first, last)
    issues = hot_issues(first, last, top)["issues"] if hot_issues is not None else None
    return {
        "month": month,
        "from": figures["from"],
        "to": figures["to"],
        "generated_at": figures["generated_at"],
        "totals": figures["totals"],
        "volume": figures["volume"],
        "rates": figures["rates"],
        "worst_units": worst_units(figures["rates"]["unit"]),
        "hot_issues": issues,
    }
