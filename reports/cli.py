"""`hotline report daily [--date YYYY-MM-DD]` and `hotline report rates --from D --to D --by
unit|district|category`, each with `[--format text|json|csv|xlsx] [--out FILE]` (default: text
to stdout; xlsx to stdout is written as bytes), and `hotline report monthly --month YYYY-MM
[--format html|xlsx|json] [--out FILE]` (reports/monthly.py). Dates are Beijing dates; `--to` is
included.

Further `hotline report` subcommands (hot-issues) join here: a parser in `add_parser` (the
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
    report = sub.add_parser("report", help="closed-loop reports: the daily report and the three rates (三率)")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    daily = report_sub.add_parser("daily", help="received, dispatched, resolved, overdue and the three rates of one day")
    daily.add_argument("--date", type=_date, help="Beijing date YYYY-MM-DD (default: today in Beijing)")
    _output_options(daily)
    rates = report_sub.add_parser("rates", help="response, resolution and satisfaction rates per group")
    rates.add_argument("--from", dest="start", type=_date, required=True, help="first Beijing date (YYYY-MM-DD)")
    rates.add_argument("--to", dest="end", type=_date, required=True, help="last Beijing date, included (YYYY-MM-DD)")
    rates.add_argument("--by", choices=["unit", "district", "category"], required=True)
    _output_options(rates)
    month = report_sub.add_parser("monthly", help="the monthly report (月度分析): volumes, 三率, worst units, "
                                                  "每月一题 candidates")  # fmt: skip
    month.add_argument("--month", type=_month, required=True, help="Beijing calendar month YYYY-MM")
    month.add_argument("--format", choices=MONTHLY_FORMATS, default="html", help="output format (default: html)")
    month.add_argument("--out", type=Path, help="write to this file instead of stdout")
    return report_sub


def _daily(reports, args: argparse.Namespace) -> dict:  # noqa: ANN001
    return reports.daily(args.date)


def _rates(reports, args: argparse.Namespace) -> dict:  # noqa: ANN001
    return reports.rates_report(args.start, args.end, args.by)


def _monthly(reports, args: argparse.Namespace) -> dict:  # noqa: ANN001
    from reports.hot_issues import hot_issues_from_orders
    from reports.monthly import monthly
    from reports.overview import Overview

    return monthly(Overview(reports), args.month,
                   lambda first, last, top: hot_issues_from_orders(reports.engine, first, last, top=top))  # fmt: skip


def _render_monthly(report: dict, fmt: str) -> bytes:
    from reports.monthly_render import render_monthly

    return render_monthly(report, fmt)


HANDLERS: dict[str, Callable] = {"daily": _daily, "rates": _rates, "monthly": _monthly}
# A command's own renderer (report, format) -> bytes; the others use reports.render.render.
RENDERERS: dict[str, Callable[[dict, str], bytes]] = {"monthly": _render_monthly}


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: `hotline` starts fast for the other commands.
    from core.db import init_db, make_engine
    from reports.render import render
    from reports.service import Reports
    from tickets.category_catalog import CategoryCatalog

    engine = make_engine(settings.database)
    try:
        init_db(engine)
        report = HANDLERS[args.report_command](Reports(engine, CategoryCatalog.load()), args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    data = RENDERERS.get(args.report_command, render)(report, args.format)
    if args.out is not None:
        args.out.write_bytes(data)
        print(f"wrote {args.out} ({len(data)} bytes)", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0
