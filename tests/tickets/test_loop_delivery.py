"""What leaves the ticket system after filing: every change as `work_order.updated` (exactly once
per change, through a real local HTTP server), an emergency order at once to the emergency
services' webhook with the agents told whether it arrived, and deadline warnings and overdue
alerts (once per deadline, also through the outbox)."""

from datetime import timedelta

import httpx

from tests.helpers import ExternalTicketSystem, free_port
from tests.tickets.conftest import work_order_data
from tickets.deadline_watch import DeadlineWatch
from tickets.deadlines import warning_at
from tickets.handling import Actor
from tickets.outbox import OutboxDeliverer, OutboxTarget

UNIT = Actor("unit", "wj_ops", "110105021")


async def test_each_change_is_delivered_once_as_it_was(dispatching_repo, handling, db):
    system = ExternalTicketSystem(port := free_port())
    try:
        number = dispatching_repo.create(work_order_data(), actor="bot").number
        handling.perform(number, "accept", {}, UNIT)
        handling.perform(number, "resolve", {"text": "已责令整改"}, UNIT)
        async with httpx.AsyncClient() as client:
            deliverer = OutboxDeliverer(db, OutboxTarget(f"http://127.0.0.1:{port}/orders"), client)
            assert await deliverer.deliver_due() == 3
            assert await deliverer.deliver_due() == 0
        events = sorted(system.accepted.values(), key=lambda b: b["work_order"]["updated_at"])
        assert [(b["event"], b["work_order"]["status"]) for b in events] == [
            ("work_order.created", "dispatched"),
            ("work_order.updated", "in_progress"),
            ("work_order.updated", "resolved"),
        ]
        assert events[-1]["work_order"]["result"] == "已责令整改" and system.requests == 3
    finally:
        system.stop()


async def test_an_emergency_order_goes_to_the_emergency_webhook_and_the_agents_hear_of_it(repo, db):
    services = ExternalTicketSystem(port := free_port())
    attempts = []

    async def told(message, order, error) -> None:
        attempts.append((message.target, order.number, error))

    try:
        urgent = repo.create(work_order_data(emergency=True, description="小区地下车库着火了，浓烟很大"), actor="bot")
        repo.create(work_order_data(), actor="bot")  # an ordinary order does not go there
        async with httpx.AsyncClient() as client:
            target = OutboxTarget(f"http://127.0.0.1:{port}/110", name="emergency")
            assert await OutboxDeliverer(db, target, client, on_attempt=told).deliver_due() == 1
        [(key, body)] = services.accepted.items()
        assert key == f"emergency-{urgent.number}" and body["work_order"]["emergency"] is True
        assert attempts == [("emergency", urgent.number, None)]
    finally:
        services.stop()


async def test_warning_before_and_alert_after_the_deadline_once_each(dispatching_repo, handling, db):
    order = dispatching_repo.create(work_order_data(urgency="24h"), actor="bot")
    heard = []

    async def changed(outcome) -> None:
        heard.append(outcome.event.kind)

    watch = DeadlineWatch(db, handling, warning_at, changed)
    deadline = order.deadline
    assert await watch.check(deadline - timedelta(hours=5)) == []  # 24 h orders are warned 4 h before
    assert [o.action for o in await watch.check(deadline - timedelta(hours=3))] == ["deadline_warning"]
    assert await watch.check(deadline - timedelta(hours=2)) == []
    assert [o.action for o in await watch.check(deadline + timedelta(minutes=1))] == ["overdue"]
    assert await watch.check(deadline + timedelta(hours=1)) == []
    assert heard == ["deadline_warning", "overdue"]
    events = [e for e in dispatching_repo.events(order.number) if e.kind in ("deadline_warning", "overdue")]
    assert [e.actor for e in events] == ["system:deadlines"] * 2

    handling.perform(order.number, "extend", {"days": 2, "reason": "同意延期"}, Actor("supervisor", "zhao"))
    later = dispatching_repo.get(order.number)
    assert later.overdue_alerted_at is None  # a new deadline is watched afresh
    assert await watch.check(deadline + timedelta(hours=2)) == []


async def test_resolved_orders_are_not_watched(dispatching_repo, handling, db):
    order = dispatching_repo.create(work_order_data(urgency="2h"), actor="bot")
    handling.perform(order.number, "resolve", {"text": "已处理完毕"}, UNIT)

    async def changed(outcome) -> None:
        raise AssertionError("nothing to tell")

    assert await DeadlineWatch(db, handling, warning_at, changed).check(order.deadline + timedelta(hours=1)) == []
