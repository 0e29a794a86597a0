"""Delivery to an external ticket system through a real local HTTP server that is first down,
then answers 500, then recovers: every work order arrives exactly once."""

import asyncio

import httpx
from sqlmodel import Session, select

from tests.helpers import ExternalTicketSystem, free_port
from tests.tickets.conftest import work_order_data
from tickets.models import OutboxMessage
from tickets.outbox import OutboxDeliverer, OutboxTarget


async def test_down_then_500_then_recovered_delivers_each_work_order_once(repo, db):
    port = free_port()
    numbers = [repo.create(work_order_data(), actor="bot").number for _ in range(5)]
    target = OutboxTarget(url=f"http://127.0.0.1:{port}/tickets", base_backoff_s=0.05, max_backoff_s=0.2)
    async with httpx.AsyncClient() as client:
        deliverer = OutboxDeliverer(db, target, client)

        assert await deliverer.deliver_due() == 5  # the external system is down
        with Session(db) as session:
            rows = session.exec(select(OutboxMessage)).all()
            assert {r.status for r in rows} == {"pending"} and all(r.attempts == 1 for r in rows)
            assert all("Connect" in r.last_error for r in rows)

        system = ExternalTicketSystem(port)
        system.fail_with = 500
        try:
            await asyncio.sleep(0.1)
            assert await deliverer.deliver_due() == 5
            assert system.requests == 5 and system.accepted == {}

            system.fail_with = None
            numbers.append(repo.create(work_order_data(), actor="bot").number)  # one more meanwhile
            for _ in range(40):
                await asyncio.sleep(0.05)
                await deliverer.deliver_due()
            assert sorted(b["work_order"]["number"] for b in system.accepted.values()) == sorted(numbers)
            assert len(system.accepted) == 6
            before = system.requests
            await asyncio.sleep(0.3)
            assert await deliverer.deliver_due() == 0 and system.requests == before, "nothing is sent twice"
        finally:
            system.stop()
    with Session(db) as session:
        rows = session.exec(select(OutboxMessage)).all()
        assert {r.status for r in rows} == {"delivered"}
        assert max(r.attempts for r in rows) == 3


async def test_gives_up_after_max_attempts(repo, db):
    repo.create(work_order_data(), actor="bot")
    target = OutboxTarget(url=f"http://127.0.0.1:{free_port()}/x", max_attempts=2, base_backoff_s=0.01)
    async with httpx.AsyncClient() as client:
        deliverer = OutboxDeliverer(db, target, client)
        await deliverer.deliver_due()
        await asyncio.sleep(0.05)
        await deliverer.deliver_due()
    with Session(db) as session:
        [row] = session.exec(select(OutboxMessage)).all()
        assert row.status == "failed" and row.attempts == 2
