"""Work-order deadlines: 2 h and 24 h on the clock; 7 d and 15 d in working days of mainland China.

Working days come from `chinese_calendar` (statutory holidays and the adjusted working days, 调休
上班, such as a Saturday before a long holiday), and are counted in Beijing time: a 7d order is due
at the end (24:00 Beijing) of the 7th working day after the day it was received, whatever the day
of receipt was (a working day, a weekend, a holiday). For a year the library does not know yet,
Monday to Friday are the working days, and one warning per year is logged.

Times in and out are timezone-aware UTC; a naive datetime (SQLite returns them) is taken as UTC.
"""

import logging
from datetime import UTC, date, datetime, time, timedelta, timezone

import chinese_calendar

log = logging.getLogger(__name__)

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991
CLOCK_HOURS = {"2h": 2, "24h": 24}
WORKING_DAYS = {"7d": 7, "15d": 15}
URGENCIES = (*CLOCK_HOURS, *WORKING_DAYS)
_warned_years: set[int] = set()


def is_working_day(day: date) -> bool:
    """A working day in mainland China: Monday–Friday unless a statutory holiday, plus the
    adjusted working weekend days. Monday–Friday for a year chinese_calendar has no data for."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "chinese_calendar has no holiday data for %d: deadlines in %d count Monday to Friday "
                "as working days (upgrade chinesecalendar when the State Council publishes the year's holidays)",
                day.year,
                day.year,
            )
        return day.weekday() < 5


def deadline_for(urgency: str, received: datetime) -> datetime:
    """When a work order received at `received` is due: received + 2 h / 24 h on the clock, or
    the end (24:00 Beijing) of the 7th / 15th working day after the Beijing day of receipt."""
    received = _utc(received)
    if urgency in CLOCK_HOURS:
        return received + timedelta(hours=CLOCK_HOURS[urgency])
    if urgency in WORKING_DAYS:
        return _end_of_working_day(received.astimezone(BEIJING).date(), WORKING_DAYS[urgency])
    raise ValueError(f"urgency must be one of {', '.join(URGENCIES)} (got {urgency!r})")


def add_working_days(deadline: datetime, days: int) -> datetime:
    """An extended deadline (延期): the end (24:00 Beijing) of the `days`-th working day after the
    Beijing day the deadline falls on (a deadline at 24:00 falls on the day that ends there)."""
    if days < 1:
        raise ValueError(f"an extension is at least one working day (got {days})")
    return _end_of_working_day(_day_of(_utc(deadline)), days)


def warning_at(urgency: str, received: datetime, deadline: datetime) -> datetime:
    """When to warn the unit and the supervisors that a deadline is near:

    - 2h: 30 minutes before the deadline;
    - 24h: 4 hours before;
    - 7d / 15d: at the start (00:00 Beijing) of the last working day, the day that ends at the
      deadline, so the unit has that whole working day (a notifier may hold the message until
      office hours). This also holds for an extended deadline.

    Never before `received`."""
    received, deadline = _utc(received), _utc(deadline)
    if urgency == "2h":
        warn = deadline - timedelta(minutes=30)
    elif urgency == "24h":
        warn = deadline - timedelta(hours=4)
    elif urgency in WORKING_DAYS:
        warn = datetime.combine(_day_of(deadline), time(0), BEIJING).astimezone(UTC)
    else:
        raise ValueError(f"urgency must be one of {', '.join(URGENCIES)} (got {urgency!r})")
    return max(warn, received)


def _end_of_working_day(start: date, count: int) -> datetime:
    """24:00 Beijing, in UTC, of the `count`-th working day after `start`."""
    day, found = start, 0
    while found < count:
        day += timedelta(days=1)
        if is_working_day(day):
            found += 1
    return datetime.combine(day + timedelta(days=1), time(0), BEIJING).astimezone(UTC)


def _day_of(moment: datetime) -> date:
    """The Beijing day a deadline falls on: 24:00 belongs to the day that ends there."""
    return (moment.astimezone(BEIJING) - timedelta(microseconds=1)).date()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
