"""Agent desk fixtures: the router, desk and store on a real database (SQLite, or PostgreSQL when
DATABASE_URL is set, as for the ticket tests) with the in-process bus."""

import asyncio
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

import desk.accounts.models  # noqa: F401  (registers the table)
import tickets.models  # noqa: F401  (registers the tables)
from conversation.bus import DESK_TOPIC, MemoryBus
from conversation.messages import InboundMessage, Reply
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.db import make_engine, reset_db
from core.metrics import Metrics
from desk.accounts.service import Agent
from desk.agent_desk import AgentDesk, DeskConfig
from desk.orders import DeskOrders
from desk.waiting import WorkingHours
from tests.unit.test_router import ScriptedEngine
from tickets.category_catalog import CategoryCatalog
from tickets.crud import WorkOrderRepository

ALICE = Agent("alice", "王丽", "agent")
BOB = Agent("bob", "李博", "agent")
SUE = Agent("sue", "苏主任", "supervisor")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class DeskSetup:
    router: ConversationRouter
    desk: AgentDesk
    store: ConversationStore
    engine: ScriptedEngine
    bus: MemoryBus
    repo: WorkOrderRepository
    clock: Clock
    delivered: defaultdict = field(default_factory=lambda: defaultdict(list))
    events: list = field(default_factory=list)

    async def say(self, text: str, cid: str = "web:1", **metadata) -> list[Reply]:
        replies = await self.router.handle(InboundMessage(cid, "web", cid.split(":")[1], text, metadata))
        await self.bus.drain()
        return replies

    async def settle(self) -> None:
        await self.bus.drain()

    def of_type(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]


def make_setup(tmp_path, hours: str = "00:00-24:00", now: datetime | None = None) -> DeskSetup:
    db = make_engine(os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'desk.db'}")
    reset_db(db)
    store = ConversationStore(db)
    bus = MemoryBus()
    repo = WorkOrderRepository(db)
    clock = Clock(now or datetime(2026, 11, 21, 3, 0, tzinfo=UTC))  # 11:00 in Beijing
    orders = DeskOrders(repo, CategoryCatalog.load(), lambda text: None)
    delivered: defaultdict = defaultdict(list)

    async def deliver(cid: str, replies: list[Reply]) -> None:
        delivered[cid].extend(replies)

    desk = AgentDesk(store, bus, deliver, orders, DeskConfig(WorkingHours.parse(hours), 120), clock=clock)
    engine = ScriptedEngine(store)
    router = ConversationRouter(store, engine, Metrics(), desk=desk)
    setup = DeskSetup(router, desk, store, engine, bus, repo, clock, delivered)

    async def record(event: dict) -> None:
        setup.events.append(event)

    bus.subscribe(DESK_TOPIC, record)
    return setup


@pytest.fixture()
async def desk_setup(tmp_path):
    setup = make_setup(tmp_path)
    await setup.bus.start()
    yield setup
    await setup.bus.stop()


async def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)
