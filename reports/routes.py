"""`GET /api/reports/daily?date=YYYY-MM-DD&format=json|csv|xlsx` and
`GET /api/reports/rates?from=D&to=D&by=unit|district|category&format=json|csv|xlsx` (Beijing
dates, `to` included, at most MAX_DAYS days): the same reports as `hotline report`.
`GET /api/reports/overview?period=today|week` (or `from=D&to=D`, both included): the
dashboard's figures (reports/overview.py), JSON.
`GET /api/reports/hot-issues?from=D&to=D&top=N` (dates included; default: the last 30 days):
the hot issues of reports/hot_issues.py, mined in a worker thread.
`GET /api/reports/surges?days=N`: the surge watch's stored alerts (reports/surges.py), newest first.

Allowed with the bearer API key. `app.state.reports_supervisor` (optional) is the hook for
supervisor (agent desk) tokens: an async function of the Authorization header that returns a truthy
value for a valid supervisor token and None otherwise (not raise 401 for a bearer token that is
not its own); it may raise 403 for a valid token of a non-supervisor."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Engine
from starlette.requests import HTTPConnection

from api.deps import ApiKeysDep
from core.api_keys import has_bearer_key
from core.bounded_route import detail_response
from core.clock import utcnow
from reports.hot_issues import RememberedHotIssues, period
from reports.overview import Overview
from reports.render import render
from reports.service import Reports, UnitName
from reports.surges import recent_surges
from tickets.category_catalog import CategoryCatalog

MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(9998, 12, 31)  # Beijing midnight must convert to UTC and back


def check_period(start: date, end: date) -> None:
    """422 unless start..end (both included) is a period the reports can count."""
    if end < start or (end - start).days >= MAX_DAYS:
        raise HTTPException(422, f"from must not be after to (both included), at most {MAX_DAYS} days")
    if start < EARLIEST or end > LATEST:
        raise HTTPException(422, f"dates must lie between {EARLIEST} and {LATEST}")


Format = Literal["json", "csv", "xlsx"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


SupervisorHook = Callable[[str | None], Awaitable[Any]]


class ReportBook:
    """What the report routes read; the composition root puts one on `app.state.reports`.
    unit_name: code -> name (default: read from the handling_unit table)."""

    def __init__(self, engine: Engine, catalog: CategoryCatalog, unit_name: UnitName | None = None) -> None:
        self.engine = engine
        self.reports = Reports(engine, catalog, unit_name)
        self.figures = Overview(self.reports)
        self.hot_issues_of = RememberedHotIssues(engine)


async def get_report_book(conn: HTTPConnection) -> ReportBook:
    return conn.app.state.reports


async def require_access(
    conn: HTTPConnection, api_keys: ApiKeysDep, authorization: Annotated[str | None, Header()] = None
) -> Any:
    """The API key, or (with the hook on `app.state.reports_supervisor`) a supervisor's token; 401 otherwise."""
    if has_bearer_key(authorization, api_keys):
        return "api"
    supervisor_of: SupervisorHook | None = getattr(conn.app.state, "reports_supervisor", None)
    if supervisor_of is not None and (supervisor := await supervisor_of(authorization)):
        return supervisor
    raise HTTPException(
        401, "a valid bearer API key or supervisor token is required", headers={"WWW-Authenticate": "Bearer"}
    )


ReportBookDep = Annotated[ReportBook, Depends(get_report_book)]


def _respond(report: dict, fmt: str, filename: str) -> Response:
    if fmt == "json":
        return JSONResponse(report)
    return Response(
        render(report, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )


router = APIRouter(
    prefix="/api/reports",
    tags=["reports"],
    dependencies=[Depends(require_access)],
    responses={
        401: detail_response("a valid bearer API key (or supervisor token) is required"),
        422: detail_response("invalid input"),
    },
)


@router.get("/daily", responses={200: {"content": {m: {} for m in MEDIA_TYPES.values()}}})
async def daily(
    book: ReportBookDep,
    day: Annotated[date | None, Query(alias="date", description="Beijing date; default today")] = None,
    fmt: Annotated[Format, Query(alias="format")] = "json",
) -> Response:
    """{"date", "received", "dispatched", "resolved", "overdue", "rates", "by_unit",
    "by_category", "by_district"} (see reports/service.py for the definitions)."""
    if day is not None:
        check_period(day, day)
    report = await asyncio.to_thread(book.reports.daily, day)
    return _respond(report, fmt, f"daily-{report['date']}")


@router.get("/rates", responses={200: {"content": {m: {} for m in MEDIA_TYPES.values()}}})
async def rates(
    book: ReportBookDep,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    by: Literal["unit", "district", "category"],
    fmt: Annotated[Format, Query(alias="format")] = "json",
) -> Response:
    """{"from", "to", "by", "rates", "counts", "groups": [{<by>, "name", "rates", "counts"}]}."""
    check_period(start, end)
    report = await asyncio.to_thread(book.reports.rates_report, start, end, by)
    return _respond(report, fmt, f"rates-{by}-{start}-{end}")


@router.get("/overview")
async def overview(
    book: ReportBookDep,
    period: Literal["today", "week"] | None = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """{"period", "from", "to", "generated_at", "totals", "volume": {channel, request_type,
    category, district: [{"key", "name", "count"}]}, "rates": {unit, district, category:
    [rates rows]}, "overdue": {"count", "orders": [...]}}: today, this week (Monday to today)
    or from..to (both included). Numbers, units and places only: no personal data."""
    if period is not None and (start or end):
        raise HTTPException(422, "give either period or from and to, not both")
    if period is None:
        if start is None or end is None:
            raise HTTPException(422, "give period=today|week, or from and to")
        check_period(start, end)
        return await asyncio.to_thread(book.figures.overview, start, end)
    return await asyncio.to_thread(book.figures.for_period, period)


@router.get("/hot-issues")
async def hot_issues(
    book: ReportBookDep,
    start: Annotated[date | None, Query(alias="from", description="first Beijing date")] = None,
    end: Annotated[date | None, Query(alias="to", description="last Beijing date, included")] = None,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> JSONResponse:
    """{"from", "to", "messages", "issues": [{"rank", "title", "heat", "count", "first", "last",
    "place", "message_ids" (work-order numbers), "category", "district", ...}]}."""
    start, end = period(start, end)
    check_period(start, end)
    return JSONResponse(await asyncio.to_thread(book.hot_issues_of, start, end, top))


@router.get("/surges")
async def surges(
    book: ReportBookDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="alerts of the last N days")] = 7,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JSONResponse:
    """{"surges": [{"id", "district", "place", "category_code", "category", "count",
    "baseline", "window_start", "window_end", "work_orders", "created_at"}]}, newest first:
    the surge watch's alerts (未诉先办), for supervisors who were not online when they rose."""
    found = await asyncio.to_thread(recent_surges, book.engine, utcnow() - timedelta(days=days), limit)
    return JSONResponse({"surges": found})
