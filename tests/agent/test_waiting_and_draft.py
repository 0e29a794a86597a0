"""Working hours, wait estimates and the draft work order built from the bot's summary."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from desk.orders import DraftPatch, apply_patch, draft_from_summary
from desk.waiting import WorkingHours, estimate_minutes, position_text


def beijing(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 21, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_working_hours_in_beijing_time():
    day = WorkingHours.parse("08:00-20:00")
    assert day.open_at(beijing(8)) and day.open_at(beijing(19, 59))
    assert not day.open_at(beijing(20)) and not day.open_at(beijing(7, 59))
    night = WorkingHours.parse("20:00-08:00")
    assert night.open_at(beijing(23)) and night.open_at(beijing(3)) and not night.open_at(beijing(12))
    always = WorkingHours.parse("00:00-24:00")
    assert always.always and all(always.open_at(beijing(h)) for h in range(24))
    assert day.label() == "08:00至20:00"
    for bad in ("8-20", "25:00-26:00", "08:00-24:30", "08:60-20:00"):
        with pytest.raises(ValueError):
            WorkingHours.parse(bad)


def test_wait_estimate_uses_the_pace_of_recent_takes_or_the_average_handle_time():
    now = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    # No history: 2 agents online, 4 minutes per conversation, 3 ahead -> (3+1) * 4 / 2 = 8 minutes.
    assert estimate_minutes(3, [], now, 240, 2) == 8
    assert estimate_minutes(0, [], now, 240, 0) == 4  # nobody online counts as one agent
    # Ten takes over the last 20 minutes: one every 2 minutes; 2 ahead -> 6 minutes.
    takes = [now - timedelta(minutes=2 * i) for i in range(1, 11)]
    assert estimate_minutes(2, takes, now, 240, 1) == 6
    old = [now - timedelta(hours=2)] * 10  # takes outside the window do not count
    assert estimate_minutes(2, old, now, 60, 1) == 3
    assert estimate_minutes(0, takes * 10, now, 60, 1) == 1  # never less than a minute
    assert position_text(2, 3) == "您前面还有2位，预计等待约3分钟。"
    assert position_text(0, 1) == "您是下一位，预计等待约1分钟。"


def test_draft_from_the_bots_summary():
    summary = {
        "reason": "requested",
        "request_type": "complain",
        "slots": {
            "description": "噪音扰民",
            "occurred": "2026-11-20T22:00:00+08:00",
            "contact_phone": "invalid:12345",
            "district": "朝阳区",
            "session_started_metadata": {},
        },
    }
    draft = draft_from_summary(summary)
    assert draft["request_type"] == "complain" and draft["district"] == "朝阳区"
    assert draft["occurred_at"] == "2026-11-20T22:00:00+08:00" and draft["ongoing"] is False
    assert draft["contact_phone"] is None and "session_started_metadata" not in draft
    assert draft_from_summary({"reason": "emergency"})["request_type"] == "seek_help"
    assert draft_from_summary({"draft": {"description": "草稿", "foo": 1}})["description"] == "草稿"
    assert draft_from_summary(None)["request_type"] is None


def test_draft_edits_are_checked_and_only_sent_fields_change():
    patch = DraftPatch(contact_phone="138 1234 5678", district="海淀区")
    assert patch.contact_phone == "13812345678"
    merged = apply_patch({"description": "噪音扰民", "district": "朝阳区"}, patch)
    assert merged["description"] == "噪音扰民" and merged["district"] == "海淀区"
    assert DraftPatch(contact_phone="(010) 6234-5678").contact_phone == "010-62345678"
    for bad in (
        {"district": "浦东新区"},
        {"contact_phone": "12345"},
        {"request_type": "chat"},
        {"description": "a\x00b"},
        {"number": "26112100001"},
    ):
        with pytest.raises(ValidationError):
            DraftPatch(**bad)
