"""The reports as people and spreadsheets read them: an aligned text table with Chinese headings
(CJK characters take two columns), CSV (one row per group, machine-readable English column names,
UTF-8), XLSX (openpyxl; Chinese headings, rates as
percentages). JSON is the report dict itself."""

import csv
import io
import unicodedata
from collections.abc import Iterable
from typing import Any

GROUP_LABELS = {"unit": "承办单位", "category": "类别", "district": "区"}
RATE_LABELS = {"response": "响应率", "resolution": "解决率", "satisfaction": "满意率"}
# (CSV column, Chinese heading); the group's key and name come first.
DAILY_COLUMNS = [("received", "受理"), ("dispatched", "派单"), ("resolved", "办结"), ("overdue", "超期")]
RATE_COLUMNS = [
    ("response_rate", "响应率"), ("responded", "按时响应"), ("response_due", "应响应"),
    ("resolution_rate", "解决率"), ("answered_resolved", "已解决"), ("surveyed", "回访"),
    ("satisfaction_rate", "满意率"), ("satisfied", "满意"),
]  # fmt: skip


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """A report row (or a report's totals) with its rates and counts as flat columns."""
    counts, rates = row.get("counts"), row["rates"]
    out = {key: row.get(key) for key, _ in DAILY_COLUMNS if key in row}
    out.update(
        response_rate=rates["response"], resolution_rate=rates["resolution"], satisfaction_rate=rates["satisfaction"]
    )
    if counts is not None:
        out.update(
            responded=counts["response"]["numerator"],
            response_due=counts["response"]["denominator"],
            answered_resolved=counts["resolution"]["numerator"],
            surveyed=counts["resolution"]["denominator"],
            satisfied=counts["satisfaction"]["numerator"],
        )
    return out


def summed_counts(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The counts of a whole breakdown (every order is in exactly one row of by_unit)."""
    return {
        name: {part: sum(r["counts"][name][part] for r in rows) for part in ("numerator", "denominator")}
        for name in RATE_LABELS
    }


def daily_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per group: the day's total first (its counts summed over by_unit: the JSON
    contract has none at the top), then by_unit, by_category, by_district."""
    total = {**report, "counts": summed_counts(report["by_unit"])}
    rows = [{"group": "total", "key": report["date"], "name": "合计", **flat(total)}]
    for by in ("unit", "category", "district"):
        rows += [{"group": by, "key": r[by], "name": r["name"], **flat(r)} for r in report[f"by_{by}"]]
    return rows


def rates_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    by = report["by"]
    rows = [{"group": "total", "key": f"{report['from']}/{report['to']}", "name": "合计", **flat(report)}]
    return rows + [{"group": by, "key": g[by], "name": g["name"], **flat(g)} for g in report["groups"]]


def _csv_columns(daily: bool) -> list[str]:
    return ["group", "key", "name", *([k for k, _ in DAILY_COLUMNS] if daily else []), *[k for k, _ in RATE_COLUMNS]]


def to_csv(rows: list[dict[str, Any]], daily: bool) -> bytes:
    """Rates as fractions with 4 decimals; a null rate or a missing count is an empty cell."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_csv_columns(daily), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: (f"{v:.4f}" if k.endswith("_rate") and v is not None else v)
                for k, v in row.items()
                if k in writer.fieldnames
            }
        )
    return buffer.getvalue().encode("utf-8")


# --- text ---


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def table(headings: list[str], rows: Iterable[list[str]], numeric_from: int) -> str:
    """An aligned table; columns from `numeric_from` on are right-aligned."""
    body = [list(r) for r in rows]
    widths = [max(_width(c) for c in column) for column in zip(headings, *body, strict=True)]
    lines = []
    for cells in (headings, *body):
        lines.append(
            "  ".join(
                _pad(c, w, i >= numeric_from) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()
        )
    return "\n".join(lines)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _rate_cell(row: dict[str, Any], name: str) -> str:
    counts = row.get("counts", {}).get(name)
    text = percent(row["rates"][name])
    return f"{text} ({counts['numerator']}/{counts['denominator']})" if counts else text


KEY_HEADINGS = {"unit": ["单位代码", "承办单位"], "category": ["代码", "类别"], "district": ["区"]}


def _group_table(by: str, rows: list[dict[str, Any]], daily: bool) -> str:
    headings = list(KEY_HEADINGS[by])
    headings += [label for key, label in DAILY_COLUMNS if key != "dispatched"] if daily else []
    headings += list(RATE_LABELS.values())
    body = []
    for r in rows:
        cells = [r["name"] or "—"] if by == "district" else [r[by] or "—", r["name"] or "—"]
        if daily:
            cells += [str(r["received"]), str(r["resolved"]), str(r["overdue"])]
        body.append(cells + [_rate_cell(r, name) for name in RATE_LABELS])
    return table(headings, body, numeric_from=len(KEY_HEADINGS[by])) if body else "（无）"


def daily_text(report: dict[str, Any]) -> str:
    total = {"rates": report["rates"], "counts": summed_counts(report["by_unit"])}
    lines = [
        f"12345 热线日报  {report['date']}（北京时间）",
        f"受理 {report['received']}  派单 {report['dispatched']}  办结 {report['resolved']}  超期 {report['overdue']}",
        "  ".join(f"{label} {_rate_cell(total, name)}" for name, label in RATE_LABELS.items()),
    ]
    for by in ("unit", "category", "district"):
        lines += ["", f"按{GROUP_LABELS[by]}", _group_table(by, report[f"by_{by}"], daily=True)]
    lines += ["", "响应率 = 按时响应/应响应；解决率 = 已解决/回访；满意率 = (满意+基本满意)/回访；— 表示分母为 0。"]
    return "\n".join(lines) + "\n"


def rates_text(report: dict[str, Any]) -> str:
    by = report["by"]
    lines = [
        f"三率  {report['from']} 至 {report['to']}（不含）  按{GROUP_LABELS[by]}",
        "  ".join(f"{label} {_rate_cell(report, name)}" for name, label in RATE_LABELS.items()),
        "",
        _group_table(by, report["groups"], daily=False),
    ]
    return "\n".join(lines) + "\n"


# --- xlsx ---


def to_xlsx(sheets: list[tuple[str, list[dict[str, Any]]]], daily: bool) -> bytes:
    """One worksheet per (title, rows), Chinese headings, rates formatted as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    headings = {"group": "分组", "key": "代码", "name": "名称", **dict(DAILY_COLUMNS), **dict(RATE_COLUMNS)}
    columns = _csv_columns(daily)
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append([headings[c] for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
            for index, name in enumerate(columns, start=1):
                if name.endswith("_rate"):
                    sheet.cell(sheet.max_row, index).number_format = "0.0%"
        for index, name in enumerate(columns, start=1):
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = 28 if name == "name" else 12
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def daily_xlsx(report: dict[str, Any]) -> bytes:
    rows = daily_rows(report)
    sheets = [("汇总", rows[:1])] + [
        (f"按{GROUP_LABELS[by]}", [r for r in rows if r["group"] == by]) for by in ("unit", "category", "district")
    ]
    return to_xlsx(sheets, daily=True)


def rates_xlsx(report: dict[str, Any]) -> bytes:
    return to_xlsx([(f"三率按{GROUP_LABELS[report['by']]}", rates_rows(report))], daily=False)


def render(report: dict[str, Any], fmt: str) -> bytes:
    """A daily report (it has "date") or a rates report, as text, json, csv or xlsx bytes."""
    import json

    daily = "date" in report
    if fmt == "json":
        return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode()
    if fmt == "csv":
        return to_csv(daily_rows(report) if daily else rates_rows(report), daily)
    if fmt == "xlsx":
        return daily_xlsx(report) if daily else rates_xlsx(report)
    if fmt == "text":
        return (daily_text(report) if daily else rates_text(report)).encode()
    raise ValueError(f"unknown format {fmt!r}")
