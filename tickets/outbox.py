"""Delivery of work-order events to an external ticket system (JSON webhook or Open311 POST) and
of emergency orders to the emergency services' webhook (12345+110): rows of the transactional
outbox (`work_order.created`, and one `work_order.updated` per change) are sent with an
Idempotency-Key, retried with exponential backoff, and several gateways can deliver side by side
(rows are claimed with SKIP LOCKED)."""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.db import saved_id
from tickets.models import OutboxMessage, WorkOrder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxTarget:
    url: str
    format: str = "json"  # json | open311 (Open311 receives new orders only)
    name: str = "tickets"  # tickets | emergency (OutboxMessage.target)
    api_key: str | None = None  # Open311 api_key field, or a bearer token for json
    max_attempts: int = 20
    base_backoff_s: float = 1.0
    max_backoff_s: float = 300.0


Delivered = Callable[[OutboxMessage, WorkOrder, str | None], Awaitable[None]]  # (row, order, error or None)


class OutboxDeliverer:
    def __init__(
        self,
        engine: Engine,
        target: OutboxTarget,
        client: httpx.AsyncClient,
        batch: int = 20,
        on_attempt: Delivered | None = None,
    ) -> None:
        """on_attempt: told of every attempt (the agent console shows whether an emergency
        order reached the emergency services)."""
        self.engine, self.target, self.client, self.batch, self.on_attempt = engine, target, client, batch, on_attempt

    async def run(self, idle_s: float = 0.5) -> None:
        """Deliver until cancelled."""
        while True:
            delivered = await self.deliver_due()
            if not delivered:
                await asyncio.sleep(idle_s)

    async def deliver_due(self) -> int:
        """One pass over the due rows; returns how many were attempted."""
        rows = await asyncio.to_thread(self._claim_due)
        for message, order in rows:
            if self.target.format == "open311" and message.event != "work_order.created":
                error = None  # an Open311 endpoint takes new requests only; updates are read from requests.json
            else:
                error = await self._send(message, order)
            await asyncio.to_thread(self._record, saved_id(message), error)
            if self.on_attempt is not None:
                await self.on_attempt(message, order, error)
        return len(rows)

    def _claim_due(self) -> list[tuple[OutboxMessage, WorkOrder]]:
        """Due rows, pushed a little into the future so no other deliverer takes them meanwhile."""
        with Session(self.engine, expire_on_commit=False) as session:
            now = utcnow()
            query = (
                select(OutboxMessage, WorkOrder)
                .join(WorkOrder, col(WorkOrder.id) == OutboxMessage.work_order_id)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.target == self.target.name,
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(col(OutboxMessage.id))
                .limit(self.batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=OutboxMessage)
            rows = session.exec(query).all()
            for message, _ in rows:
                message.next_attempt_at = now + timedelta(seconds=60)  # lease while sending
                session.add(message)
            session.commit()
            return [(m, o) for m, o in rows]

    async def _send(self, message: OutboxMessage, order: WorkOrder) -> str | None:
        headers = {"Idempotency-Key": message.idempotency_key}
        try:
            if self.target.format == "open311":
                form = {
                    "api_key": self.target.api_key or "",
                    "service_code": order.category_code or "",
                    "description": order.description,
                    "address_string": order.address or "",
                    "attribute[district]": order.district or "",
                    "attribute[number]": order.number,
                }
                resp = await self.client.post(self.target.url, data=form, headers=headers, timeout=10)
            else:
                if self.target.api_key:
                    headers["Authorization"] = f"Bearer {self.target.api_key}"
                body = {"event": message.event, "work_order": message.payload or order.to_json()}
                resp = await self.client.post(self.target.url, json=body, headers=headers, timeout=10)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        if resp.status_code >= 300:
            return f"HTTP {resp.status_code}"
        return None

    def _record(self, message_id: int, error: str | None) -> None:
        with Session(self.engine) as session:
            message = session.get_one(OutboxMessage, message_id)
            message.attempts += 1
            if error is None:
                message.status, message.delivered_at, message.last_error = "delivered", utcnow(), None
            else:
                message.last_error = error
                if message.attempts >= self.target.max_attempts:
                    message.status = "failed"
                    log.error("work order delivery gave up after %d attempts: %s", message.attempts, error)
                else:
                    backoff = min(self.target.max_backoff_s, self.target.base_backoff_s * 2 ** (message.attempts - 1))
                    message.next_attempt_at = utcnow() + timedelta(seconds=backoff * random.uniform(0.8, 1.2))
                    log.warning(
                        "work order delivery failed (attempt %d, retry in %.1f s): %s", message.attempts, backoff, error
                    )
            session.add(message)
            session.commit()
