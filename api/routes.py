"""The gateway's own routes: the chat page (`/`, the widget's index.html), `/healthz` (each
component's state) and `/metrics` (Prometheus text format). The component checks behind
`/healthz` are registered by create_app on `app.state.health_checks`; two of them live here."""

import asyncio
import inspect
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Header
from fastapi.responses import FileResponse, Response
from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.deps import ApiKeysDep, HealthCheck, HealthChecksDep, MetricsDep
from core.api_keys import has_bearer_key
from core.settings import Settings

STATIC_DIR = Path(__file__).resolve().parents[1] / "channels" / "web" / "static"

router = APIRouter()


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


@router.get("/healthz")
async def healthz(
    checks: HealthChecksDep, api_keys: ApiKeysDep, authorization: Annotated[str | None, Header()] = None
) -> dict:
    """Each component's state; its details (URLs, paths, errors) only with the API key."""
    results = await asyncio.gather(*(_run(check) for check in checks.values()))
    components = dict(zip(checks, results, strict=True))
    status = "ok" if all(c["ok"] for c in components.values()) else "degraded"
    if not has_bearer_key(authorization, api_keys):
        components = {name: {"ok": bool(c["ok"])} for name, c in components.items()}
    return {"status": status, "components": components}


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type="text/plain; version=0.0.4")


async def _run(check: HealthCheck) -> dict[str, Any]:
    result = check()
    return await result if inspect.isawaitable(result) else result


async def action_server_health(http: httpx.AsyncClient, settings: Settings) -> dict:
    url = settings.action_server_base_url
    try:
        resp = await http.get(f"{url}/health", timeout=settings.health_timeout_s)
        resp.raise_for_status()
    except httpx.HTTPError as exc:
        return {"ok": False, "url": url, "error": type(exc).__name__}
    return {"ok": True, "url": url}


async def database_health(db: Engine) -> dict:
    return await asyncio.to_thread(_database_health, db)


def _database_health(db: Engine) -> dict:
    try:
        with db.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001  (any driver error means the database is unusable)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "dialect": db.dialect.name}
