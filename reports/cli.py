"""`hotline report daily [--date YYYY-MM-DD]` and `hotline report rates --from D --to D --by
unit|district|category`, each with `[--format text|json|csv|xlsx] [--out FILE]` (default: text
to stdout; xlsx to stdout is written as bytes), and `hotline report monthly --month YYYY-MM
[--format html|xlsx|json] [--out FILE]` (reports/monthly.py). Dates are Beijing dates; `--to` is
included.

`hotline report hot-issues [--from D --to D] [--top N] [--format text|json]` (dates included;
default: the last 30 days) over the work orders, or over a history CSV with `--csv FILE
--text-columns a,b --time-column c --id-column d [--likes-column e]` (no database needed).

Further `hotline report` subcommands join here: a parser in `add_parser` (the
`report` subparsers group is returned) and a handler in `HANDLERS` (and a renderer in
`RENDERERS` when `reports.render` does not fit)."""

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from core.settings import Settings

FORMATS = ("text", "json", "csv", "xlsx")
MONTHLY_FORMATS = ("html", "xlsx", "json")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _month(value: str) -> str:
    from reports.monthly import month_dates

    try:
        month_dates(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")


def add_parser(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    report = sub.add_parser(
        "report", help="closed-loop reports: daily, the three rates (三率), monthly, hot issues (每月一题)"
    )
    report_sub = report.add_subparsers(dest="report_command", required=True)
    daily = report_sub.add_parser(
        "daily", help="received, dispatched, resolved, overdue and the three rates of one day"
    )
    daily.add_argument("--date", type=_date, help="Beijing date YYYY-MM-DD (default: today in Beijing)")
    _output_options(daily)
    rates = report_sub.add_parser("rates", help="response, resolution and satisfaction rates per group")
    rates.add_argument("--from", dest="start", type=_date, required=True, help="first Beijing date (YYYY-MM-DD)")
    rates.add_argument("--to", dest="end", type=_date, required=True, help="last Beijing date, included (YYYY-MM-DD)")
    rates.add_argument("--by", choices=["unit", "district", "category"], required=True)
    _output_options(rates)
    month = report_sub.add_parser(
        "monthly", help="the monthly report (月度分析): volumes, 三率, worst units, 每月一题 candidates"
    )
    month.add_argument("--month", type=_month, required=True, help="Beijing calendar month YYYY-MM")
    month.add_argument("--format", choices=MONTHLY_FORMATS, default="html", help="output format (default: html)")
    month.add_argument("--out", type=Path, help="write to this file instead of stdout")
    hot = report_sub.add_parser("hot-issues", help="hot issues (每月一题): one concrete problem at one place, by heat")
    hot.add_argument("--from", dest="start", type=_date, help="first Beijing date (default: 29 days before --to)")
    hot.add_argument("--to", dest="end", type=_date, help="last Beijing date, included (default: today)")
    hot.add_argument("--top", type=_positive, default=10, help="how many issues (default: 10)")
    hot.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    hot.add_argument("--out", type=Path, help="write to this file instead of stdout")
    hot.add_argument("--csv", type=Path, help="mine this history CSV (UTF-8, header row) instead of the work orders")
    hot.add_argument("--text-columns", type=_columns, help="with --csv: the text columns, comma-separated")
    hot.add_argument("--time-column", help="with --csv: the column with each message's time")
    hot.add_argument("--id-column", help="with --csv: the column with each message's id")
    hot.add_argument("--likes-column", help="with --csv: a column with likes/support counts (optional)")
    return report_sub


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {value!r}")
    return int(value)


def _columns(value: str) -> list[str]:
    columns = [c.strip() for c in value.split(",") if c.strip()]
    if not columns:
        raise argparse.ArgumentTypeError("at least one column name is needed")
    return columns


def _daily(reports, args: argparse.Namespace) -> dict:
    return reports.daily(args.date)


def _rates(reports, args: argparse.Namespace) -> dict:
    return reports.rates_report(args.start, args.end, args.by)


def _hot_issues(reports, args: argparse.Namespace) -> dict:
    from reports.hot_issues import hot_issues_from_orders, period

    return hot_issues_from_orders(reports.engine, *period(args.start, args.end), top=args.top)


def _monthly(reports, args: argparse.Namespace) -> dict:
    from reports.hot_issues import hot_issues_from_orders
    from reports.monthly import monthly
    from reports.overview import Overview

    return monthly(
        Overview(reports),
        args.month,
        lambda first, last, top: hot_issues_from_orders(reports.engine, first, last, top=top),
    )


def _render_monthly(report: dict, fmt: str) -> bytes:
    from reports.monthly_render import render_monthly

    return render_monthly(report, fmt)


def _hot_issues_csv(args: argparse.Namespace) -> dict:
    """CSV mode: no database."""
    from reports.hot_issues import hot_issues_from_csv

    missing = [
        flag
        for flag, value in (
            ("--text-columns", args.text_columns),
            ("--time-column", args.time_column),
            ("--id-column", args.id_column),
        )
        if not value
    ]
    if missing:
        raise ValueError(f"--csv needs {', '.join(missing)}")
    return hot_issues_from_csv(
        args.csv, args.text_columns, args.time_column, args.id_column, args.likes_column, args.start, args.end, args.top
    )


HANDLERS: dict[str, Callable] = {"daily": _daily, "rates": _rates, "hot-issues": _hot_issues, "monthly": _monthly}
# A command's own renderer (report, format) -> bytes; daily and rates use reports.render.render.
RENDERERS: dict[str, Callable[[dict, str], bytes]] = {"monthly": _render_monthly}


def _render(args: argparse.Namespace, report: dict) -> bytes:
    if args.report_command in RENDERERS:
        return RENDERERS[args.report_command](report, args.format)
    if args.report_command == "hot-issues":
        import json

        from reports.hot_issues import render_text

        if args.format == "json":
            return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode()
        return render_text(report).encode()
    from reports.render import render

    return render(report, args.format)


def _from_database(args: argparse.Namespace, settings: Settings) -> dict:
    from core.db import init_db, make_engine
    from reports.service import Reports
    from tickets.category_catalog import CategoryCatalog

    engine = make_engine(settings.database)
    try:
        init_db(engine)
        return HANDLERS[args.report_command](Reports(engine, CategoryCatalog.load()), args)
    finally:
        engine.dispose()


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Imported in the helpers: `hotline` starts fast for the other commands.
    try:
        report = _hot_issues_csv(args) if getattr(args, "csv", None) is not None else _from_database(args, settings)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    data = _render(args, report)
    if args.out is not None:
        args.out.write_bytes(data)
        print(f"wrote {args.out} ({len(data)} bytes)", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0
