"""The bot's `occurred` slot read back as a work order's occurred_at and ongoing (agent drafts)."""

import pytest

from desk.orders import occurred_slot_fields


@pytest.mark.parametrize(
    ("slot", "fields"),
    [
        ("2026-11-20T22:00:00+08:00", {"occurred_at": "2026-11-20T22:00:00+08:00", "ongoing": False}),
        ("ongoing", {"occurred_at": None, "ongoing": True}),
        ("ongoing:2026-10-22T12:00:00+08:00", {"occurred_at": "2026-10-22T12:00:00+08:00", "ongoing": True}),
        ("unknown", {"occurred_at": None, "ongoing": False}),
        (None, {"occurred_at": None, "ongoing": False}),
    ],
)
def test_occurred_slot_as_work_order_fields(slot, fields):
    assert occurred_slot_fields(slot) == fields
