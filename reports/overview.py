"""The supervisors' overview (the dashboard's data) for a period of Beijing dates, both included:
volumes by channel, request type, category (level 1) and district; the three rates by unit,
district and category (`Reports.rates`: one definition of the rates, in reports/service.py);
the overdue backlog now; totals.

- **Volume** (`volume`): orders created in the period, grouped. Each row is
  `{"key", "name", "count"}`, the biggest first; a missing key (no category, no district) is its
  own row with key null. Every breakdown adds up to `totals.received`.
- **Overdue** (`overdue`): orders open now (accepted, dispatched, in progress, returned) whose
  deadline has passed — the same backlog as the daily report's `overdue` for today. The list
  holds at most `OVERDUE_LIST` orders, the longest overdue first: number, unit, deadline,
  status, category and district only (no citizen's words, name or phone).
- **Totals**: received, resolved (`resolve` events in the period), overdue now, and the three
  rates with their counts over the period (`Reports.totals`).
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, func, select

from reports.service import EV, NO_KEY_NAME, WO, Reports, _dimension, beijing_today, day_start
from tickets.lifecycle import OPEN_STATUSES
from tickets.models import REQUEST_TYPE_WORDS
from tickets.schemas import BEIJING_DISTRICTS

Period = Literal["today", "week"]
VOLUME_BY = ("channel", "request_type", "category", "district")
RATES_BY = ("unit", "district", "category")
OVERDUE_LIST = 50
CHANNEL_NAMES = {"web": "网页", "tg": "Telegram", "phone": "电话", "api": "接口"}


def period_dates(period: Period, today: date) -> tuple[date, date]:
    """today: that day; week: Monday of this week to today (both included)."""
    if period == "today":
        return today, today
    if period == "week":
        return today - timedelta(days=today.weekday()), today
    raise ValueError(f"period must be today or week, not {period!r}")


def _volume_column(by: str):
    if by == "channel":
        return WO.c.channel
    if by == "request_type":
        return WO.c.request_type
    return _dimension(by)  # category (level 1) and district: as the rates group them


class Overview:
    """The dashboard's figures over one database, through `Reports` (its clock and unit names)."""

    def __init__(self, reports: Reports) -> None:
        self.reports = reports

    def today(self) -> date:
        return beijing_today(self.reports.clock())

    def overview(self, first: date, last: date, period: str | None = None) -> dict[str, Any]:
        """`GET /api/reports/overview`: see the module docstring."""
        if last < first:
            raise ValueError("empty period: to is before from")
        end = last + timedelta(days=1)
        start_at, end_at = day_start(first), day_start(end)
        now = self.reports.clock()
        with self.reports._connect() as conn:
            volume = {by: self._volume(conn, by, start_at, end_at) for by in VOLUME_BY}
            resolved = conn.execute(
                select(func.count())
                .select_from(EV)
                .where(EV.c.kind == "resolve", EV.c.created_at >= start_at, EV.c.created_at < end_at)
            ).scalar_one()
            overdue = self._overdue(conn, now)
        totals = self.reports.totals(first, end)
        return {
            "period": period,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "generated_at": now.isoformat().replace("+00:00", "Z"),
            "totals": {
                "received": sum(r["count"] for r in volume["channel"]),
                "resolved": int(resolved),
                "overdue": overdue["count"],
                "rates": totals["rates"],
                "counts": totals["counts"],
            },
            "volume": volume,
            "rates": {by: self.reports.rates(first, end, by) for by in RATES_BY},  # type: ignore[arg-type]
            "overdue": overdue,
        }

    def for_period(self, period: Period) -> dict[str, Any]:
        first, last = period_dates(period, self.today())
        return self.overview(first, last, period)

    # --- the SQL ---

    def _volume(self, conn, by: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        column = _volume_column(by)
        query = select(column, func.count()).where(WO.c.created_at >= start, WO.c.created_at < end).group_by(column)
        rows = [(key, int(count)) for key, count in conn.execute(query)]
        district_order = {name: i for i, name in enumerate(BEIJING_DISTRICTS)}
        rows.sort(key=lambda r: (r[0] is None, -r[1], district_order.get(r[0], 99), r[0] or ""))
        return [{"key": key, "name": self._name(by, key), "count": count} for key, count in rows]

    def _name(self, by: str, key: str | None) -> str:
        if key is None:
            return NO_KEY_NAME.get(by, "未知")
        if by == "channel":
            return CHANNEL_NAMES.get(key, key)
        if by == "request_type":
            return REQUEST_TYPE_WORDS.get(key, key)
        if by == "category":
            path = self.reports.catalog.path_of(key)
            return path[0] if path else key
        return key

    def _overdue(self, conn, now: datetime) -> dict[str, Any]:
        late = and_(WO.c.status.in_(sorted(s.value for s in OPEN_STATUSES)), WO.c.deadline < now)
        count = conn.execute(select(func.count()).where(late)).scalar_one()
        query = (
            select(WO.c.number, WO.c.unit_code, WO.c.deadline, WO.c.status, WO.c.category_code, WO.c.district)
            .where(late)
            .order_by(WO.c.deadline, WO.c.number)
            .limit(OVERDUE_LIST)
        )
        rows = list(conn.execute(query))
        names = self.reports._unit_names(conn, {r.unit_code for r in rows if r.unit_code})
        orders = []
        for r in rows:
            path = self.reports.catalog.path_of(r.category_code) if r.category_code else []
            orders.append(
                {
                    "number": r.number,
                    "unit": r.unit_code,
                    "unit_name": names.get(r.unit_code),
                    "deadline": _utc_iso(r.deadline),
                    "overdue_hours": _hours(now - _aware(r.deadline)),
                    "status": r.status,
                    "category": " / ".join(path[:2]) or None,
                    "district": r.district,
                }
            )
        return {"count": int(count), "orders": orders}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite returns naive UTC


def _utc_iso(value: datetime) -> str:
    return _aware(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)
