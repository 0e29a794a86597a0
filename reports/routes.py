"""`GET /api/reports/daily?date=YYYY-MM-DD&format=json|csv|xlsx` and
`GET /api/reports/rates?from=D&to=D&by=unit|district|category&format=json|csv|xlsx` (Beijing
dates, `to` included, at most MAX_DAYS days): the same reports as `hotline report`.
`GET /api/reports/overview?period=today|week` (or `from=D&to=D`, both included): the
dashboard's figures (reports/overview.py), JSON.
`GET /api/reports/hot-issues?from=D&to=D&top=N` (dates included; default: the last 30 days):
the hot issues of reports/hot_issues.py, mined in a worker thread.
`GET /api/reports/surges?days=N`: the surge watch's stored alerts (reports/surges.py), newest first.

Allowed with the bearer API key. `supervisor_dependency` is the hook for supervisor (agent
desk) tokens: a FastAPI dependency that returns a truthy value when the request carries a valid
supervisor token and None otherwise. It is resolved on every request, also on those that carry
the API key, so it must answer None (not raise 401) for a bearer token that is not its own; it
may raise 403 for a valid token of a non-supervisor."""

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Engine

from core.api_keys import bearer_key_dependency, has_bearer_key
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


def access_dependency(api_keys: frozenset[str], supervisor_dependency: Callable[..., Any] | None = None) -> Callable:
    """The API key, or (with the hook) a supervisor's token; 401 otherwise."""
    if supervisor_dependency is None:
        return bearer_key_dependency(api_keys)

    async def require(
        authorization: Annotated[str | None, Header()] = None,
        supervisor: Annotated[Any, Depends(supervisor_dependency)] = None,
    ) -> Any:
        if has_bearer_key(authorization, api_keys):
            return "api"
        if supervisor:
            return supervisor
        raise HTTPException(
            401, "a valid bearer API key or supervisor token is required", headers={"WWW-Authenticate": "Bearer"}
        )

    return require


def _respond(report: dict, fmt: str, filename: str) -> Response:
    if fmt == "json":
        return JSONResponse(report)
    return Response(
        render(report, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )


def build_reports_router(
    engine: Engine,
    catalog: CategoryCatalog,
    api_keys: frozenset[str],
    supervisor_dependency: Callable[..., Any] | None = None,
    unit_name: UnitName | None = None,
) -> APIRouter:
    """unit_name: code -> name (default: read from the handling_unit table)."""
    reports = Reports(engine, catalog, unit_name)
    figures = Overview(reports)
    hot_issues_of = RememberedHotIssues(engine)
    api = APIRouter(
        prefix="/api/reports",
        tags=["reports"],
        dependencies=[Depends(access_dependency(api_keys, supervisor_dependency))],
        responses={
            401: detail_response("a valid bearer API key (or supervisor token) is required"),
            422: detail_response("invalid input"),
        },
    )

    @api.get("/daily", responses={200: {"content": {m: {} for m in MEDIA_TYPES.values()}}})
    async def daily(
        day: Annotated[date | None, Query(alias="date", description="Beijing date; default today")] = None,
        fmt: Annotated[Format, Query(alias="format")] = "json",
    ) -> Response:
        """{"date", "received", "dispatched", "resolved", "overdue", "rates", "by_unit",
        "by_category", "by_district"} (see reports/service.py for the definitions)."""
        if day is not None:
            check_period(day, day)
        report = await asyncio.to_thread(reports.daily, day)
        return _respond(report, fmt, f"daily-{report['date']}")

    @api.get("/rates", responses={200: {"content": {m: {} for m in MEDIA_TYPES.values()}}})
    async def rates(
        start: Annotated[date, Query(alias="from")],
        end: Annotated[date, Query(alias="to")],
        by: Literal["unit", "district", "category"],
        fmt: Annotated[Format, Query(alias="format")] = "json",
    ) -> Response:
        """{"from", "to", "by", "rates", "counts", "groups": [{<by>, "name", "rates", "counts"}]}."""
        check_period(start, end)
        report = await asyncio.to_thread(reports.rates_report, start, end, by)
        return _respond(report, fmt, f"rates-{by}-{start}-{end}")

    @api.get("/overview")
    async def overview(
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
            return await asyncio.to_thread(figures.overview, start, end)
        return await asyncio.to_thread(figures.for_period, period)

    @api.get("/hot-issues")
    async def hot_issues(
        start: Annotated[date | None, Query(alias="from", description="first Beijing date")] = None,
        end: Annotated[date | None, Query(alias="to", description="last Beijing date, included")] = None,
        top: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> JSONResponse:
        """{"from", "to", "messages", "issues": [{"rank", "title", "heat", "count", "first", "last",
        "place", "message_ids" (work-order numbers), "category", "district", ...}]}."""
        start, end = period(start, end)
        check_period(start, end)
        return JSONResponse(await asyncio.to_thread(hot_issues_of, start, end, top))

    @api.get("/surges")
    async def surges(
        days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="alerts of the last N days")] = 7,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> JSONResponse:
        """{"surges": [{"id", "district", "place", "category_code", "category", "count",
        "baseline", "window_start", "window_end", "work_orders", "created_at"}]}, newest first:
        the surge watch's alerts (未诉先办), for supervisors who were not online when they rose."""
        found = await asyncio.to_thread(recent_surges, engine, utcnow() - timedelta(days=days), limit)
        return JSONResponse({"surges": found})

    return api
