"""The monthly report (reports/monthly.py) as an XLSX workbook (openpyxl: one sheet per section,
Chinese headings, rates as percentages) or a self-contained HTML page (inline CSS, no script,
nothing loaded from elsewhere; bars drawn with CSS widths). Every text is escaped."""

import html
import io
from datetime import datetime
from typing import Any

from reports.render import GROUP_LABELS, RATE_LABELS, percent
from reports.service import BEIJING

VOLUME_LABELS = {"channel": "渠道", "request_type": "诉求类型", "category": "类别", "district": "区"}
RATE_KEYS = ("response", "resolution", "satisfaction")
ISSUE_COLUMNS = [("rank", "排名"), ("title", "问题"), ("heat", "热度"), ("count", "诉求量"), ("place", "地点"),
                 ("district", "区"), ("category", "类别"), ("first", "首次（北京时间）"), ("last", "最近"),
                 ("message_ids", "工单编号")]  # fmt: skip


def beijing_minutes(value: Any) -> Any:
    """An ISO-8601 timestamp as Beijing time to the minute; anything else as it is."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if moment.tzinfo else value


def _issue_cell(issue: dict[str, Any], key: str) -> Any:
    value = issue.get(key)
    if key in ("first", "last"):
        return beijing_minutes(value)
    if key == "message_ids":
        return "、".join(str(v) for v in value or [])
    if key == "heat" and isinstance(value, float):
        return round(value, 2)
    return value


def _summary_rows(report: dict[str, Any]) -> list[tuple[str, Any]]:
    totals = report["totals"]
    rows: list[tuple[str, Any]] = [
        ("月份", report["month"]),
        ("统计期", f"{report['from']} 至 {report['to']}"),
        ("受理量", totals["received"]),
        ("办结量", totals["resolved"]),
    ]
    for name in RATE_KEYS:
        counts = totals["counts"][name]
        rows.append((RATE_LABELS[name], totals["rates"][name]))
        rows.append((f"{RATE_LABELS[name]}（分子/分母）", f"{counts['numerator']}/{counts['denominator']}"))
    return rows


def _rate_row(by: str, row: dict[str, Any]) -> list[Any]:
    key = row.get(by)
    cells = [key or "—", row["name"] or "—"] if by != "district" else [row["name"] or "—"]
    for name in RATE_KEYS:
        counts = row["counts"][name]
        cells += [row["rates"][name], counts["numerator"], counts["denominator"]]
    return cells


def _rate_headings(by: str) -> list[str]:
    head = ["区"] if by == "district" else (["单位代码", "承办单位"] if by == "unit" else ["代码", "类别"])
    for name in RATE_KEYS:
        head += [RATE_LABELS[name], "分子", "分母"]
    return head


# --- xlsx ---


def to_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)

    def sheet(title: str, headings: list[str], rows: list[list[Any]], rate_columns: set[int] = frozenset()) -> None:
        ws = book.create_sheet(title)
        ws.append(headings)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
            for index in rate_columns:
                ws.cell(ws.max_row, index).number_format = "0.0%"
        for index in range(1, len(headings) + 1):
            ws.column_dimensions[ws.cell(1, index).column_letter].width = 30 if index == 2 else 14
        ws.freeze_panes = "A2"

    summary = _summary_rows(report)
    sheet("概况", ["项目", "数值"], [list(r) for r in summary], rate_columns=set())
    ws = book["概况"]
    for index, (label, _) in enumerate(summary, start=2):
        if label in RATE_LABELS.values():
            ws.cell(index, 2).number_format = "0.0%"
    volume_rows = [
        [VOLUME_LABELS[by], r["key"] or "—", r["name"], r["count"]]
        for by in VOLUME_LABELS
        for r in report["volume"][by]
    ]
    sheet("受理量", ["维度", "代码", "名称", "受理量"], volume_rows)
    for by in ("unit", "district", "category"):
        offset = 1 if by == "district" else 2
        sheet(
            f"三率按{GROUP_LABELS[by]}",
            _rate_headings(by),
            [_rate_row(by, r) for r in report["rates"][by]],
            {offset + 1 + 3 * i for i in range(3)},
        )
    worst = [[i, *_rate_row("unit", r), r["score"]] for i, r in enumerate(report["worst_units"], start=1)]
    sheet("后进单位", ["排名", *_rate_headings("unit"), "综合得分"], worst, {4, 7, 10, 11})
    if report["hot_issues"] is not None:
        issues = [[_issue_cell(issue, key) for key, _ in ISSUE_COLUMNS] for issue in report["hot_issues"]]
        sheet("每月一题候选", [label for _, label in ISSUE_COLUMNS], issues)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- html ---

STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px auto;max-width:1100px;color:#1f2933;
line-height:1.5;padding:0 16px}h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;border-left:4px solid #c0392b;
padding-left:8px;margin:28px 0 10px}.muted{color:#667}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #dde;border-radius:6px;padding:10px 16px;min-width:130px}.card b{display:block;font-size:24px}
table{border-collapse:collapse;width:100%;font-size:14px;margin-bottom:8px}th,td{border:1px solid #dde;
padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f5f8}td.n{text-align:right;white-space:nowrap}
.bar{background:#3b7dd8;height:10px;display:inline-block;vertical-align:middle;margin-right:6px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}@media print{.grid{display:block}}
td{word-break:break-word}td.n{word-break:normal}table.issues td:nth-child(2){min-width:12em}
"""


def _e(value: Any) -> str:
    return html.escape("—" if value is None else str(value))


def _table(headings: list[str], rows: list[list[str]], numeric: int | set[int], cls: str = "") -> str:
    """numeric: the right-aligned columns (an int: that column and all after it)."""
    if not rows:
        return '<p class="muted">（无）</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headings)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if _numeric(i, numeric) else ''}>{c}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _numeric(index: int, numeric: int | set[int]) -> bool:
    return index >= numeric if isinstance(numeric, int) else index in numeric


def _volume_html(rows: list[dict[str, Any]]) -> str:
    top = max((r["count"] for r in rows), default=0) or 1
    return _table(
        ["名称", "受理量"],
        [
            [_e(r["name"]), f'<span class="bar" style="width:{round(80 * r["count"] / top)}px"></span>{r["count"]}']
            for r in rows
        ],
        1,
    )


def _rate_cells(row: dict[str, Any]) -> list[str]:
    return [
        f"{percent(row['rates'][n])} ({row['counts'][n]['numerator']}/{row['counts'][n]['denominator']})"
        for n in RATE_KEYS
    ]


def to_html(report: dict[str, Any]) -> bytes:
    totals = report["totals"]
    parts = [
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>12345热线月度分析 '
        f"{_e(report['month'])}</title><style>{STYLE}</style></head><body>",
        f"<h1>12345热线月度分析 {_e(report['month'])}</h1>",
        f'<p class="muted">统计期 {_e(report["from"])} 至 {_e(report["to"])}（北京时间），'
        f"生成于 {_e(beijing_minutes(report['generated_at']))}</p>",
        '<div class="cards">',
        f'<div class="card">受理量<b id="received">{totals["received"]}</b></div>',
        f'<div class="card">办结量<b id="resolved">{totals["resolved"]}</b></div>',
    ]
    for name in RATE_KEYS:
        counts = totals["counts"][name]
        parts.append(
            f'<div class="card">{RATE_LABELS[name]}<b id="{name}">{percent(totals["rates"][name])}</b>'
            f'<span class="muted">{counts["numerator"]}/{counts["denominator"]}</span></div>'
        )
    parts.append("</div><h2>受理量</h2><div class=grid>")
    for by, label in VOLUME_LABELS.items():
        parts.append(f"<section><h3>按{label}</h3>{_volume_html(report['volume'][by])}</section>")
    parts.append("</div>")
    parts.append("<h2>后进单位（综合得分 = 三率中有数据者的平均）</h2>")
    parts.append(
        _table(
            ["排名", "承办单位", *RATE_LABELS.values(), "综合得分"],
            [
                [str(i), _e(r["name"] or r["unit"]), *_rate_cells(r), percent(r["score"])]
                for i, r in enumerate(report["worst_units"], start=1)
            ],
            2,
        )
    )
    for by in ("unit", "district", "category"):
        parts.append(f"<h2>三率 按{GROUP_LABELS[by]}</h2>")
        parts.append(
            _table(
                [GROUP_LABELS[by], *RATE_LABELS.values()],
                [[_e(r["name"] or r.get(by)), *_rate_cells(r)] for r in report["rates"][by]],
                1,
            )
        )
    parts.append("<h2>每月一题候选（本月热点问题）</h2>")
    if report["hot_issues"] is None:
        parts.append('<p class="muted">（未计算热点问题）</p>')
    else:
        parts.append(
            _table(
                [label for _, label in ISSUE_COLUMNS],
                [[_e(_issue_cell(issue, key)) for key, _ in ISSUE_COLUMNS] for issue in report["hot_issues"]],
                {0, 2, 3},
                "issues",
            )
        )
    parts.append(
        '<p class="muted">响应率 = 按时响应/应响应；解决率 = 已解决/回访；满意率 = (满意+基本满意)/回访；'
        "— 表示分母为 0。</p></body></html>"
    )
    return "\n".join(parts).encode("utf-8")


def render_monthly(report: dict[str, Any], fmt: str) -> bytes:
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "html":
        return to_html(report)
    if fmt == "json":
        import json

        return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode()
    raise ValueError(f"unknown format {fmt!r}")
