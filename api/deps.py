"""Typed FastAPI dependencies, in the style of full-stack-fastapi-template's `api/deps.py`.

Each alias reads one object that create_app (app.py) built and put on `app.state`; a route asks
for it by annotation (`async def queue(desk: DeskDep, session: AgentSession)`), so routers are
module-level and hold no state of their own. The functions take an `HTTPConnection`, so they serve
WebSocket routes as well as HTTP ones."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header
from starlette.requests import HTTPConnection

from channels.agent.auth import DeskAuth, Session
from channels.telegram.channel import TelegramChannel
from core.api_keys import require_bearer_key
from core.metrics import Metrics
from core.phone_proof import PhoneProof
from core.settings import Settings
from desk.accounts.models import ROLES
from desk.accounts.service import AgentAccounts
from desk.agent_desk import AgentDesk
from knowledge_base.service import KnowledgeBase
from places.gazetteer import Gazetteer
from tickets.category_catalog import CategoryCatalog
from tickets.crud import WorkOrderRepository
from tickets.handling import Actor

# A component's health check for /healthz: {"ok": bool, …details}, sync or async.
HealthCheck = Callable[[], dict[str, Any] | Awaitable[dict[str, Any]]]


async def get_settings(conn: HTTPConnection) -> Settings:
    return conn.app.state.settings


async def get_api_keys(settings: Annotated[Settings, Depends(get_settings)]) -> frozenset[str]:
    return settings.api_key_set


async def get_metrics(conn: HTTPConnection) -> Metrics:
    return conn.app.state.metrics


async def get_health_checks(conn: HTTPConnection) -> dict[str, HealthCheck]:
    return conn.app.state.health_checks


async def get_work_orders(conn: HTTPConnection) -> WorkOrderRepository:
    return conn.app.state.work_orders


async def get_catalog(conn: HTTPConnection) -> CategoryCatalog:
    return conn.app.state.catalog


async def get_gazetteer(conn: HTTPConnection) -> Gazetteer:
    return conn.app.state.gazetteer


async def get_knowledge_base(conn: HTTPConnection) -> KnowledgeBase:
    return conn.app.state.kb


async def get_category_of(conn: HTTPConnection) -> Callable[[str], str | None]:
    """The classifier's category code for a text (None: no category)."""
    return conn.app.state.category_of


async def get_unit_of(conn: HTTPConnection) -> Callable[[str], dict | None]:
    """A handling unit's public {code, name, level} by its code."""
    return conn.app.state.unit_of


async def get_phone_proof(conn: HTTPConnection) -> PhoneProof | None:
    return conn.app.state.phone_proof


async def get_desk(conn: HTTPConnection) -> AgentDesk:
    return conn.app.state.desk


async def get_desk_auth(conn: HTTPConnection) -> DeskAuth:
    return conn.app.state.desk_auth


async def get_accounts(conn: HTTPConnection) -> AgentAccounts:
    return conn.app.state.accounts


async def get_telegram(conn: HTTPConnection) -> TelegramChannel | None:
    """The Telegram channel (None when it is off)."""
    return conn.app.state.telegram


SettingsDep = Annotated[Settings, Depends(get_settings)]
ApiKeysDep = Annotated[frozenset[str], Depends(get_api_keys)]
CategoryOfDep = Annotated[Callable[[str], str | None], Depends(get_category_of)]
UnitOfDep = Annotated[Callable[[str], dict | None], Depends(get_unit_of)]
PhoneProofDep = Annotated[PhoneProof | None, Depends(get_phone_proof)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
HealthChecksDep = Annotated[dict[str, HealthCheck], Depends(get_health_checks)]
WorkOrdersDep = Annotated[WorkOrderRepository, Depends(get_work_orders)]
CatalogDep = Annotated[CategoryCatalog, Depends(get_catalog)]
GazetteerDep = Annotated[Gazetteer, Depends(get_gazetteer)]
KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(get_knowledge_base)]
DeskDep = Annotated[AgentDesk, Depends(get_desk)]
DeskAuthDep = Annotated[DeskAuth, Depends(get_desk_auth)]
AccountsDep = Annotated[AgentAccounts, Depends(get_accounts)]
TelegramDep = Annotated[TelegramChannel | None, Depends(get_telegram)]


async def require_api_key(api_keys: ApiKeysDep, authorization: Annotated[str | None, Header()] = None) -> str:
    """The request's bearer API key (HOTLINE_API_KEYS); 401 without a valid one."""
    return require_bearer_key(authorization, api_keys)


ApiKey = Annotated[str, Depends(require_api_key)]


async def get_actor(
    auth: DeskAuthDep, api_keys: ApiKeysDep, authorization: Annotated[str | None, Header()] = None
) -> Actor:
    """Who acts in the closed loop: the API key (the external ticket system) or an account's token."""
    return await auth.actor(authorization, api_keys)


Caller = Annotated[Actor, Depends(get_actor)]


class SessionWithRole:
    """The session of the request's bearer token (from POST /api/agent/login) when its account has
    one of `roles` (none given: the agent console's roles); 401/403 otherwise."""

    def __init__(self, *roles: str) -> None:
        self.roles = roles

    async def __call__(self, auth: DeskAuthDep, authorization: Annotated[str | None, Header()] = None) -> Session:
        return await auth.authorize(authorization, self.roles)


AgentSession = Annotated[Session, Depends(SessionWithRole())]  # agent or supervisor: the console's roles
SupervisorSession = Annotated[Session, Depends(SessionWithRole("supervisor"))]
AnySession = Annotated[Session, Depends(SessionWithRole(*ROLES))]  # any account, units included
