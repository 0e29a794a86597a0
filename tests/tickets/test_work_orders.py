"""Work orders on a real database: numbering under concurrency, lifecycle, event log, search."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from core.clock import utcnow
from tests.tickets.conftest import work_order_data
from tickets.crud import WorkOrderFilter, WorkOrderNotFound
from tickets.models import Status, WorkOrder
from tickets.numbering import spoken_form


def test_create_sets_number_deadline_and_logs_the_event(repo):
    order = repo.create(work_order_data(urgency="24h"), actor="bot")
    assert re.fullmatch(r"\d{11}", order.number)
    assert spoken_form(order.number) == f"{order.number[:6]} {order.number[6:]}"
    assert order.status == "accepted"
    assert timedelta(hours=23, minutes=59) < order.deadline - order.created_at <= timedelta(hours=24)
    events = repo.events(order.number)
    assert [(e.kind, e.to_status, e.actor) for e in events] == [("created", "accepted", "bot")]


def test_numbers_are_sequential_and_unique_under_concurrency(repo):
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda i: repo.create(work_order_data(), actor=f"t{i}").number, range(60)))
    assert len(set(numbers)) == 60
    seqs = sorted(int(n[6:]) for n in numbers)
    assert seqs == list(range(seqs[0], seqs[0] + 60))


def test_emergency_is_always_2h(repo):
    order = repo.create(work_order_data(emergency=True, urgency="15d"), actor="bot")
    assert order.urgency == "2h" and order.emergency


def test_unknown_number(repo):
    with pytest.raises(WorkOrderNotFound):
        repo.get("00000000000")


def test_search_filters_and_paging(repo, db):
    a = repo.create(work_order_data(district="海淀区", category_code="010101"), actor="bot")
    repo.create(work_order_data(district="朝阳区", category_code="020301", contact_phone="13900001111"), actor="bot")
    c = repo.create(work_order_data(district="海淀区", category_code="030201", request_type="report"), actor="bot")
    with Session(db) as session:  # `c` dispatched
        row = session.get(WorkOrder, c.id)
        row.status = Status.DISPATCHED.value
        session.add(row)
        session.commit()
    with Session(db) as session:  # make `a` overdue
        row = session.get(WorkOrder, a.id)
        row.deadline = utcnow() - timedelta(hours=1)
        session.add(row)
        session.commit()

    def numbers(**kw) -> list[str]:
        return [o.number for o in repo.search(WorkOrderFilter(**kw))[1]]

    assert numbers(district="海淀区") == [c.number, a.number]
    assert numbers(category="01") == [a.number]
    assert numbers(status=["dispatched"]) == [c.number]
    assert numbers(request_type="report") == [c.number]
    assert numbers(phone="13900001111") != [] and a.number not in numbers(phone="13900001111")
    assert numbers(overdue=True) == [a.number]
    assert a.number not in numbers(overdue=False)
    assert numbers(created_from=utcnow() + timedelta(minutes=1)) == []
    total, page = repo.search(WorkOrderFilter(), offset=1, limit=1)
    assert total == 3 and len(page) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"contact_phone": "12345"},
        {"contact_phone": "23812345678"},
        {"contact_phone": "010-1234"},
        {"district": "浦东新区"},
        {"description": "字" * 5000},
        {"description": "   "},
        {"request_type": "order_pizza"},
        {"urgency": "3d"},
        {"lat": 31.2, "lon": 121.5},  # Shanghai
    ],
)
def test_invalid_work_orders_are_refused(bad):
    with pytest.raises(ValidationError):
        work_order_data(**bad)


def test_valid_phone_forms():
    assert work_order_data(contact_phone="010-62345678").contact_phone == "010-62345678"
    assert work_order_data(contact_phone="01062345678").contact_phone == "01062345678"
