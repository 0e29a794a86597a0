"""Working-day deadlines. Dates checked against the State Council's holiday notices (as in
chinese_calendar): 国庆 2025 off Oct 1–8, adjusted working days Sun Sep 28 and Sat Oct 11;
春节 2026 off Feb 15–23, adjusted working days Sat Feb 14 and Sat Feb 28."""

import logging
from datetime import UTC, datetime, timedelta, timezone

import chinese_calendar
import pytest

from tickets import deadlines
from tickets.deadlines import add_working_days, deadline_for, is_working_day, warning_at

BJ = timezone(timedelta(hours=8))


def bj(*args: int) -> datetime:
    """A Beijing wall-clock time, as the aware UTC datetime the functions take."""
    return datetime(*args, tzinfo=BJ).astimezone(UTC)


def library_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(datetime(year, 6, 1).date())
        return True
    except NotImplementedError:
        return False


def end_of(y: int, m: int, d: int) -> datetime:
    """24:00 Beijing of that day, in UTC (16:00 UTC the same date)."""
    return datetime(y, m, d, 16, tzinfo=UTC)


def test_the_calendar_facts_the_tests_rely_on():
    from datetime import date

    assert is_working_day(date(2025, 9, 28))  # Sunday, adjusted working day before 国庆
    assert not any(is_working_day(date(2025, 10, d)) for d in range(1, 9))
    assert is_working_day(date(2025, 10, 11))  # Saturday, adjusted working day after 国庆
    assert not is_working_day(date(2025, 10, 12))  # an ordinary Sunday
    assert is_working_day(date(2026, 2, 14)) and is_working_day(date(2026, 2, 28))  # Saturdays, 春节 调休
    assert not any(is_working_day(date(2026, 2, d)) for d in range(15, 24))


def test_7d_across_national_day_2025():
    # Received Tue Sep 30 (a working day). The working days after it: Oct 1–8 off, then
    # Thu 9 (1), Fri 10 (2), Sat 11 adjusted (3), Mon 13 (4), 14 (5), 15 (6), Thu 16 (7).
    assert deadline_for("7d", bj(2025, 9, 30, 10)) == end_of(2025, 10, 16)


def test_received_on_a_holiday_counts_from_the_next_working_day():
    # Received Fri Oct 3, in the holiday: Oct 9 is the first working day, Oct 16 the 7th as above.
    assert deadline_for("7d", bj(2025, 10, 3, 9, 30)) == end_of(2025, 10, 16)
    # 15d: after Thu 16 (7): Fri 17 (8), 20 (9), 21 (10), 22 (11), 23 (12), Fri 24 (13), 27 (14), Tue 28 (15).
    assert deadline_for("15d", bj(2025, 10, 3, 9, 30)) == end_of(2025, 10, 28)


def test_an_adjusted_working_sunday_counts():
    # Received Sat Sep 27: Sun Sep 28 is a working day (1), Mon 29 (2), Tue 30 (3), then after the
    # holiday Oct 9 (4), 10 (5), Sat 11 (6), Mon 13 (7).
    assert deadline_for("7d", bj(2025, 9, 27, 12)) == end_of(2025, 10, 13)


def test_7d_across_spring_festival_2026():
    # Received Fri Feb 13: Sat Feb 14 adjusted (1), Feb 15–23 off, Tue 24 (2), 25 (3), 26 (4),
    # Fri 27 (5), Sat 28 adjusted (6), Mon Mar 2 (7).
    assert deadline_for("7d", bj(2026, 2, 13, 15)) == end_of(2026, 3, 2)
    # Received on the adjusted working Saturday Feb 14 itself: counting starts after it.
    # Tue 24 (1) … Fri 27 (4), Sat 28 (5), Mon Mar 2 (6), Tue Mar 3 (7).
    assert deadline_for("7d", bj(2026, 2, 14, 11)) == end_of(2026, 3, 3)


def test_the_day_of_receipt_is_the_beijing_day():
    # 17:30 UTC on Fri Oct 10 is 01:30 Beijing on Sat Oct 11 (an adjusted working day): the day of
    # receipt is Oct 11, so the count starts Mon 13 (1) … Fri 17 (5), Mon 20 (6), Tue 21 (7).
    assert deadline_for("7d", datetime(2025, 10, 10, 17, 30, tzinfo=UTC)) == end_of(2025, 10, 21)
    # Half an hour earlier it is still Fri Oct 10 in Beijing: Sat 11 (1), 13 … 17 (6), Mon 20 (7).
    assert deadline_for("7d", datetime(2025, 10, 10, 15, 30, tzinfo=UTC)) == end_of(2025, 10, 20)


def test_2h_and_24h_run_on_the_clock_across_midnight_and_holidays():
    received = bj(2025, 9, 30, 23, 10)  # 15:10 UTC; National Day starts at midnight
    assert deadline_for("2h", received) == bj(2025, 10, 1, 1, 10)
    assert deadline_for("24h", received) == bj(2025, 10, 1, 23, 10)
    assert deadline_for("2h", received).tzinfo is not None
    # A naive datetime (as SQLite returns it) is UTC.
    assert deadline_for("2h", datetime(2025, 9, 30, 15, 10)) == bj(2025, 10, 1, 1, 10)


def test_extension_counts_working_days_from_the_deadline_day():
    deadline = end_of(2025, 10, 16)  # 24:00 Thu Oct 16 belongs to Oct 16
    # Fri 17 (1), Mon 20 (2), Tue 21 (3).
    assert add_working_days(deadline, 3) == end_of(2025, 10, 21)
    # A deadline at the end of Tue Sep 30 extended by 2: the holiday, then Oct 9 (1), Oct 10 (2).
    assert add_working_days(end_of(2025, 9, 30), 2) == end_of(2025, 10, 10)
    # Fri Sep 26 + 1: the adjusted working Sunday Sep 28.
    assert add_working_days(end_of(2025, 9, 26), 1) == end_of(2025, 9, 28)
    # A 24h deadline at 15:00 Beijing on Fri Oct 10 + 1: Sat Oct 11 (adjusted working day).
    assert add_working_days(bj(2025, 10, 10, 15), 1) == end_of(2025, 10, 11)
    with pytest.raises(ValueError, match="at least one working day"):
        add_working_days(deadline, 0)


def test_warning_times():
    received = bj(2025, 10, 13, 9)
    assert warning_at("2h", received, deadline_for("2h", received)) == bj(2025, 10, 13, 10, 30)
    assert warning_at("24h", received, deadline_for("24h", received)) == bj(2025, 10, 14, 5)
    # 7d from Mon Oct 13: Tue 14 (1) … Fri 17 (4), Mon 20 … Wed 22 (7): warned at 00:00 Oct 22.
    deadline = deadline_for("7d", received)
    assert deadline == end_of(2025, 10, 22)
    assert warning_at("7d", received, deadline) == bj(2025, 10, 22, 0)
    # An extended deadline: the start of its last working day, Mon Oct 27 (Fri 24 + 1).
    assert warning_at("15d", received, add_working_days(end_of(2025, 10, 24), 1)) == bj(2025, 10, 27, 0)
    # Never before the order was received.
    assert warning_at("2h", received, received + timedelta(minutes=10)) == received


def test_unknown_urgency():
    with pytest.raises(ValueError, match="urgency must be one of 2h, 24h, 7d, 15d"):
        deadline_for("3d", bj(2025, 10, 13, 9))
    with pytest.raises(ValueError):
        warning_at("3d", bj(2025, 10, 13, 9), bj(2025, 10, 14, 9))


@pytest.mark.skipif(library_covers(2030), reason="this chinesecalendar knows 2030: pick a later year")
def test_a_year_without_holiday_data_falls_back_to_monday_to_friday(monkeypatch, caplog):
    monkeypatch.setattr(deadlines, "_warned_years", set())
    caplog.set_level(logging.WARNING, logger="tickets.deadlines")
    # 2030 is past the library's data. Received Fri Jan 4 2030: Mon 7 (1) … Fri 11 (5), Mon 14 (6),
    # Tue 15 (7); Jan 1 2030 (a holiday in any real year) is not looked at.
    assert deadline_for("7d", bj(2030, 1, 4, 10)) == end_of(2030, 1, 15)
    assert deadline_for("15d", bj(2030, 1, 4, 10)) == end_of(2030, 1, 25)  # Mon 21 (11) … Fri 25 (15)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per year, not per day or per call
    assert "no holiday data for 2030" in warnings[0].getMessage()


@pytest.mark.skipif(library_covers(2027), reason="this chinesecalendar knows 2027 (chinesecalendar==1.11.0 did not)")
def test_a_deadline_running_into_a_year_without_data(monkeypatch, caplog):
    monkeypatch.setattr(deadlines, "_warned_years", set())
    caplog.set_level(logging.WARNING, logger="tickets.deadlines")
    # Received Thu Dec 31 2026 (data known). The library raises for 2027, so Mon–Fri from there:
    # Fri Jan 1 2027 (1; no data: a weekday), Mon 4 (2) … Fri 8 (6), Mon 11 (7).
    assert deadline_for("7d", bj(2026, 12, 31, 10)) == end_of(2027, 1, 11)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 1 and "no holiday data for 2027" in messages[0]
