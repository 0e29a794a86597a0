"""Builds the agent desk for the gateway: event bus (Redis or in-process, from settings), the
channel registry with the tracked web chat channel, accounts and tokens, the AgentDesk (built
first: the ConversationRouter is then built with it), the /ws/agent hub and the HTTP routes."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from channels.agent import routes
from channels.agent.auth import DeskAuth, TokenRedactingFilter
from channels.agent.hub import AgentHub, build_agent_socket
from channels.registry import ChannelRegistry, TrackedWebChatChannel
from conversation.bus import make_bus
from conversation.store import ConversationStore
from core.settings import Settings
from desk.accounts.limits import LoginLimiter
from desk.accounts.service import AgentAccounts
from desk.accounts.tokens import TokenSigner
from desk.agent_desk import AgentDesk, DeskConfig
from desk.orders import DeskOrders
from desk.waiting import WorkingHours
from places.gazetteer import Gazetteer
from tickets.category_catalog import CategoryCatalog
from tickets.crud import WorkOrderRepository
from tickets.intake import IntakeExtractor

log = logging.getLogger(__name__)


class AgentDeskWiring:
    def __init__(
        self,
        settings: Settings,
        db: Engine,
        store: ConversationStore,
        work_orders: WorkOrderRepository,
        catalog: CategoryCatalog,
        category_of: Callable[[str], str | None],
        reset_dialogue: Callable[[str], Awaitable[None]] | None = None,
        extractor: IntakeExtractor | None = None,
    ) -> None:
        """`reset_dialogue` is the dialogue engine's reset: a conversation an agent takes starts
        afresh with the bot afterwards. `extractor` is the router's intake extractor (the gateway
        passes its own; built from the built-in gazetteer if not): it pre-fills agents' drafts."""
        self.settings, self.db, self.store = settings, db, store
        self.bus = make_bus(settings.redis_url, settings.redis_prefix)
        self.registry = ChannelRegistry(self.bus)
        self.web = TrackedWebChatChannel(self.registry)
        self.accounts = AgentAccounts(db)
        signer = TokenSigner(settings.agent_token_key, settings.agent_token_ttl_s)
        self.auth = DeskAuth(self.accounts, signer, LoginLimiter(self.bus))
        self.config = DeskConfig(
            WorkingHours.parse(settings.agent_hours), settings.agent_avg_handle_s, settings.max_text_chars
        )
        self._redact = TokenRedactingFilter()
        orders = DeskOrders(work_orders, catalog, category_of)
        # For the ConversationRouter (which then queues, alerts and reports through it).
        extractor = extractor or IntakeExtractor(Gazetteer.builtin())
        self.desk = AgentDesk(
            store,
            self.bus,
            self.registry.deliver,
            orders,
            self.config,
            reset_dialogue=reset_dialogue,
            extract=extractor.extract,
        )
        self.hub = AgentHub(self.desk, self.auth, self.bus)

    def include(self, app: FastAPI) -> None:
        """The desk, its authentication and the accounts go on `app.state` for the routes'
        dependencies (api/deps.py); then the routes, /ws/agent and the console's files."""
        app.state.desk, app.state.desk_auth, app.state.accounts = self.desk, self.auth, self.accounts
        app.include_router(routes.router)
        app.include_router(build_agent_socket(self.hub))
        app.mount("/agent/static", StaticFiles(directory=routes.STATIC_DIR), name="agent-static")

    async def start(self) -> None:
        """After the tables exist: join the bus."""
        for name in ("uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).addFilter(self._redact)
        await self.bus.start()
        await self.registry.start()
        log.info(
            "agent desk ready (bus=%s, gateway=%s, hours=%s)",
            self.bus.kind,
            self.bus.gateway_id,
            self.config.hours.label(),
        )

    async def stop(self) -> None:
        for name in ("uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).removeFilter(self._redact)
        await self.hub.stop()
        await self.registry.stop()
        await self.bus.stop()

    async def health(self) -> dict[str, Any]:
        return await self.bus.health()
