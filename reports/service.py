"""The three rates (三率) and the daily report, computed with SQL aggregates (grouped counts; no
work order is loaded into Python).

Periods are Beijing local dates, half-open: [start, end). Timestamps are stored in UTC.

**Response rate (响应率)** = responded / due. *Due*: orders whose first response (the unit's first
answer after the latest dispatch or reopening, within `response_due_at`:
tickets.handling.RESPONSE_LIMITS) was settled in the period: answered within the limit in the
period, or the limit fell in the period without such an answer (an order answered at 21:00 within
a limit that runs out tomorrow counts today, so today's report has the response it saw).
*Responded*: of those, the orders with an `accept`, `reply` or `resolve` event by a unit (`unit:…`)
or the API key (`api`), created at or before `response_due_at` and at or after the latest dispatch
(the latest `dispatch` event, or `reopened` event that sent the order back to its unit). Computed
from the event log; it equals the projection `responded_at <= response_due_at`
(tests/tickets/reporting/test_rates.py checks it), which also places the order in its period. An
order counts once, in the period its current response was settled (a reopening sets a new limit).

**Resolution rate (解决率)** = orders answered 已解决 / surveyed orders. *Surveyed*: orders whose
latest survey answer (`survey_answered_at`) falls in the period. An order reopened by 未解决
and answered again later counts once, with its latest answer, in the period of that answer.

**Satisfaction rate (满意率)** = orders answered 满意 or 基本满意 / the same surveyed orders
(an order answered 未解决 was not asked about satisfaction and counts as not satisfied, and so
does one whose satisfaction answer is still missing).

A rate is a fraction 0–1, or **null when its denominator is 0** (nothing was due or surveyed:
no rate rather than a made-up 0 % or 100 %). Every rate comes with its counts:
`{"numerator", "denominator"}`.

**Daily report** for one Beijing date D:
- `received`: orders created on D;
- `dispatched`: `dispatch` events on D (re-dispatches count again; reopenings do not);
- `resolved`: `resolve` events on D (an order resolved, reopened and resolved again counts twice);
- `overdue`: orders *open* (accepted, dispatched, in progress, returned) whose deadline had passed
  by the end of D (or by now, for today), created before the end of D. "Open" is the order's
  current status: for today this is the overdue backlog; for a past day it is the part of
  that day's backlog still open now (orders finished since then no longer count);
- `rates`: the three rates for the period [D, D+1).
`by_unit`, `by_category` (level 1 of the catalog: the code's first two digits) and `by_district`
break these down by the order's current unit, category and district; each row is
`{<unit|category|district>: key, "name", "received", "resolved", "overdue", "rates", "counts"}`.
A missing key (an order not yet dispatched, without category or district) is its own row with
key null. The rows of each breakdown add up to the totals (except `dispatched`, which rows lack).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import and_, case, column, exists, func, literal_column, not_, or_, select, table
from sqlalchemy.engine import Connection, Engine

from core.clock import utcnow
from tickets.category_catalog import CategoryCatalog
from tickets.lifecycle import OPEN_STATUSES
from tickets.models import WorkOrder, WorkOrderEvent
from tickets.schemas import BEIJING_DISTRICTS

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991
Grouping = Literal["unit", "district", "category"]
GROUPINGS: tuple[str, ...] = ("unit", "district", "category")
RESPONSE_KINDS = ("accept", "reply", "resolve")
SATISFIED = ("满意", "基本满意")
CATEGORY_DIGITS = 2  # level 1 of the catalog
NO_KEY_NAME = {"unit": "未派单", "district": "未指定区", "category": "未分类"}
UnitName = Callable[[str], str | None]

WO = WorkOrder.__table__
EV = WorkOrderEvent.__table__
# The units registry's table (tickets/units.py owns it): only its code and name are read.
UNIT_TABLE = table("handling_unit", column("code"), column("name"))


def beijing_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(BEIJING).date()


def day_start(day: date) -> datetime:
    """00:00 Beijing time of `day`, in UTC."""
    return datetime.combine(day, time(0), BEIJING).astimezone(UTC)


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class Tally:
    """The counts behind one row of a report."""

    received: int = 0
    dispatched: int = 0
    resolved: int = 0
    overdue: int = 0
    response_due: int = 0
    responded: int = 0
    surveyed: int = 0
    answered_resolved: int = 0
    satisfied: int = 0

    def add(self, other: "Tally") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def rates(self) -> dict[str, float | None]:
        return {
            "response": ratio(self.responded, self.response_due),
            "resolution": ratio(self.answered_resolved, self.surveyed),
            "satisfaction": ratio(self.satisfied, self.surveyed),
        }

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            "response": {"numerator": self.responded, "denominator": self.response_due},
            "resolution": {"numerator": self.answered_resolved, "denominator": self.surveyed},
            "satisfaction": {"numerator": self.satisfied, "denominator": self.surveyed},
        }


def _dimension(name: str):
    if name == "unit":
        return WO.c.unit_code
    if name == "district":
        return WO.c.district
    if name == "category":
        return func.substr(WO.c.category_code, literal_column("1"), literal_column(str(CATEGORY_DIGITS)))
    raise ValueError(f"by must be one of {', '.join(GROUPINGS)}, not {name!r}")


def responded_in_time():
    """EXISTS an accept/reply/resolve event by a unit or the API key, at or before the order's
    response limit and at or after its latest dispatch (or reopening to the unit)."""
    dispatch, answer = EV.alias("d"), EV.alias("e")
    latest_dispatch = (
        select(func.max(dispatch.c.created_at))
        .where(
            dispatch.c.work_order_id == WO.c.id,
            or_(
                dispatch.c.kind == "dispatch", and_(dispatch.c.kind == "reopened", dispatch.c.to_status == "dispatched")
            ),
        )
        .correlate(WO)
        .scalar_subquery()
    )
    return (
        exists()
        .where(
            answer.c.work_order_id == WO.c.id,
            answer.c.kind.in_(RESPONSE_KINDS),
            or_(answer.c.actor.startswith("unit:"), answer.c.actor == "api"),
            answer.c.created_at <= WO.c.response_due_at,
            answer.c.created_at >= latest_dispatch,
        )
        .correlate(WO)
    )


def between(c: Any, start: datetime, end: datetime) -> Any:
    """The column's time lies in the half-open period [start, end)."""
    return and_(c >= start, c < end)


def response_settled_in(start: datetime, end: datetime) -> Any:
    """The order's current first response was settled in [start, end): answered within its limit
    in the period (the projection `responded_at`), or its limit fell in the period without one."""
    in_time = and_(WO.c.responded_at.is_not(None), WO.c.responded_at <= WO.c.response_due_at)
    return or_(
        and_(in_time, between(WO.c.responded_at, start, end)),
        and_(not_(in_time), between(WO.c.response_due_at, start, end)),
    )


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class Reports:
    """Reports over one database. `unit_name` maps a unit code to its name; without it names
    are read from the `handling_unit` table. `clock` is the current time (UTC)."""

    def __init__(
        self,
        engine: Engine,
        catalog: CategoryCatalog,
        unit_name: UnitName | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine, self.catalog, self.unit_name = engine, catalog, unit_name
        self.clock = clock or (lambda: utcnow())

    # --- public ---

    def daily(self, day: date | None = None) -> dict[str, Any]:
        """The daily report of DESIGN's contract (see the module docstring for the definitions)."""
        day = day or beijing_today(self.clock())
        start, end = day_start(day), day_start(day + timedelta(days=1))
        dims = ("unit", "district", "category")
        with self._connect() as conn:
            cells = self._tally(conn, dims, start, end, overdue_by=min(end, self.clock()), daily=True)
            names = self._unit_names(conn, {key[0] for key in cells if key[0] is not None})
        total = Tally()
        for tally in cells.values():
            total.add(tally)
        report: dict[str, Any] = {
            "date": day.isoformat(),
            "received": total.received,
            "dispatched": total.dispatched,
            "resolved": total.resolved,
            "overdue": total.overdue,
            "rates": total.rates(),
        }
        for index, name in enumerate(dims):
            groups = _roll_up(cells, index)
            report[f"by_{name}"] = [
                self._row(name, key, tally, names, daily=True) for key, tally in _sorted(name, groups, by_volume=True)
            ]
        return {
            key: report[key]
            for key in (
                "date",
                "received",
                "dispatched",
                "resolved",
                "overdue",
                "rates",
                "by_unit",
                "by_category",
                "by_district",
            )
        }

    def rates(self, start: date, end: date, by: Grouping) -> list[dict[str, Any]]:
        """The three rates and their counts per unit, district or category (level 1) for the
        Beijing dates [start, end): `[{<by>: key, "name", "rates", "counts"}]`."""
        _check_period(start, end)
        _dimension(by)
        with self._connect() as conn:
            cells = self._tally(conn, (by,), day_start(start), day_start(end))
            names = self._unit_names(conn, {k[0] for k in cells if k[0] is not None}) if by == "unit" else {}
        groups = {key[0]: tally for key, tally in cells.items()}
        return [self._row(by, key, tally, names) for key, tally in _sorted(by, groups)]

    def totals(self, start: date, end: date) -> dict[str, Any]:
        """The three rates and their counts over everything, for the Beijing dates [start, end)."""
        _check_period(start, end)
        with self._connect() as conn:
            cells = self._tally(conn, (), day_start(start), day_start(end))
        total = cells.get((), Tally())
        return {"rates": total.rates(), "counts": total.counts()}

    def rates_report(self, first: date, last: date, by: Grouping) -> dict[str, Any]:
        """What `hotline report rates --from D --to D` and `GET /api/reports/rates` answer, both
        dates included: `{"from", "to", "by", "rates", "counts", "groups": rates(first, last + 1 day, by)}`."""
        if last < first:
            raise ValueError("empty period: --to is before --from")
        start, end = first, last + timedelta(days=1)
        groups = self.rates(start, end, by)
        total = Tally()
        for group in groups:
            counts = group["counts"]
            total.add(
                Tally(
                    response_due=counts["response"]["denominator"],
                    responded=counts["response"]["numerator"],
                    surveyed=counts["resolution"]["denominator"],
                    answered_resolved=counts["resolution"]["numerator"],
                    satisfied=counts["satisfaction"]["numerator"],
                )
            )
        return {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "by": by,
            "rates": total.rates(),
            "counts": total.counts(),
            "groups": groups,
        }

    # --- the SQL ---

    def _connect(self) -> Connection:
        conn = self.engine.connect()
        if conn.dialect.name == "postgresql":  # one snapshot for all the queries of a report
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        return conn

    def _tally(
        self,
        conn: Connection,
        dims: tuple[str, ...],
        start: datetime,
        end: datetime,
        overdue_by: datetime | None = None,
        daily: bool = False,
    ) -> dict[tuple, Tally]:
        """Counts per combination of `dims` (a handful of grouped queries)."""
        keys = [_dimension(d).label(f"g{i}") for i, d in enumerate(dims)]
        groups = [_dimension(d) for d in dims]

        def in_period(c: Any) -> Any:
            return between(c, start, end)

        joined = EV.join(WO, EV.c.work_order_id == WO.c.id)
        queries: list[tuple[tuple[str, ...], Any]] = [
            (
                ("response_due", "responded"),
                select(*keys, func.count(), _count_if(responded_in_time()))
                .where(response_settled_in(start, end))
                .group_by(*groups),
            ),
            (
                ("surveyed", "answered_resolved", "satisfied"),
                select(
                    *keys,
                    func.count(),
                    _count_if(WO.c.survey_resolved.is_(True)),
                    _count_if(WO.c.survey_satisfaction.in_(SATISFIED)),
                )
                .where(in_period(WO.c.survey_answered_at), WO.c.survey_resolved.is_not(None))
                .group_by(*groups),
            ),
        ]
        if daily:
            open_statuses = sorted(s.value for s in OPEN_STATUSES)
            queries += [
                (("received",), select(*keys, func.count()).where(in_period(WO.c.created_at)).group_by(*groups)),
                (
                    ("dispatched",),
                    select(*keys, func.count())
                    .select_from(joined)
                    .where(EV.c.kind == "dispatch", in_period(EV.c.created_at))
                    .group_by(*groups),
                ),
                (
                    ("resolved",),
                    select(*keys, func.count())
                    .select_from(joined)
                    .where(EV.c.kind == "resolve", in_period(EV.c.created_at))
                    .group_by(*groups),
                ),
                (
                    ("overdue",),
                    select(*keys, func.count())
                    .where(WO.c.status.in_(open_statuses), WO.c.deadline < overdue_by, WO.c.created_at < end)
                    .group_by(*groups),
                ),
            ]
        cells: dict[tuple, Tally] = {}
        for fields, query in queries:
            for row in conn.execute(query):
                key, values = tuple(row[: len(dims)]), row[len(dims) :]
                tally = cells.setdefault(key, Tally())
                for name, value in zip(fields, values, strict=True):
                    setattr(tally, name, int(value or 0))
        return cells

    def _unit_names(self, conn: Connection, codes: set[str]) -> dict[str, str | None]:
        if not codes:
            return {}
        if self.unit_name is not None:
            return {code: self.unit_name(code) for code in codes}
        query = select(UNIT_TABLE.c.code, UNIT_TABLE.c.name).where(UNIT_TABLE.c.code.in_(sorted(codes)))
        return dict(conn.execute(query).all())  # the result itself has keys(): dict() would index it

    def _row(
        self, by: str, key: str | None, tally: Tally, unit_names: dict[str, str | None], daily: bool = False
    ) -> dict[str, Any]:
        if key is None:
            name = NO_KEY_NAME[by]
        elif by == "unit":
            name = unit_names.get(key)
        elif by == "category":
            path = self.catalog.path_of(key)
            name = path[0] if path else None
        else:
            name = key
        row: dict[str, Any] = {by: key, "name": name}
        if daily:
            row.update(received=tally.received, resolved=tally.resolved, overdue=tally.overdue)
        row.update(rates=tally.rates(), counts=tally.counts())
        return row


def _check_period(start: date, end: date) -> None:
    if not start < end:
        raise ValueError(f"the period is empty: from {start} to {end} (to is exclusive)")


def _roll_up(cells: dict[tuple, Tally], index: int) -> dict[Any, Tally]:
    groups: dict[Any, Tally] = {}
    for key, tally in cells.items():
        groups.setdefault(key[index], Tally()).add(tally)
    return groups


def _sorted(by: str, groups: dict[Any, Tally], by_volume: bool = False) -> Iterable[tuple[Any, Tally]]:
    """Units by volume (received, then due for response) in a daily report, else by code;
    categories by code; districts in the official order; the row without a key last."""
    order = {name: i for i, name in enumerate(BEIJING_DISTRICTS)}

    def sort_key(item: tuple[Any, Tally]) -> tuple:
        key, tally = item
        if key is None:
            return (1,)
        if by == "district":
            return (0, order.get(key, len(order)), key)
        if by == "unit" and by_volume:
            return (0, -tally.received, -tally.response_due, key)
        return (0, key)

    return sorted(groups.items(), key=sort_key)
