"""`hotline up`: the whole system (Rasa replicas, action server, gateway) under one supervisor."""

import asyncio
import logging
import sqlite3
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from core.settings import PROJECT_ROOT, Settings
from runtime.engine_env import ENGINE_ENV, engine_command
from runtime.prepare import prepare_models
from runtime.progress import Progress
from runtime.supervisor import ProcessSpec, Supervisor
from voice.models import ensure_model as ensure_speech_model

log = logging.getLogger(__name__)


# The variable endpoints.yml puts into the header Rasa sends the action server (bot/action_server.py).
ACTION_TOKEN_VARIABLE = "HOTLINE_ACTION_TOKEN"
# One TensorFlow thread per op: the models are tiny, and thread hand-offs cost more than they
# save on a small machine shared with the gateway.
ENGINE_VARS = {**ENGINE_ENV, "TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1"}


def rasa_env(settings: Settings) -> dict[str, str]:
    """The variables endpoints.yml (SQLite tracker store) or endpoints.scale-out.yml (PostgreSQL
    tracker store, Redis lock store) read, and the token Rasa sends the action server."""
    env = {
        **ENGINE_VARS,
        "ACTION_ENDPOINT_URL": f"{settings.action_server_base_url}/webhook",
        ACTION_TOKEN_VARIABLE: settings.action_server_token,
    }
    if settings.rasa_tracker_url:
        url = urlsplit(settings.rasa_tracker_url)
        env.update(
            RASA_TRACKER_HOST=url.hostname or "127.0.0.1",
            RASA_TRACKER_PORT=str(url.port or 5432),
            RASA_TRACKER_DB=url.path.lstrip("/") or "rasa",
            RASA_TRACKER_USER=unquote(url.username or ""),
            RASA_TRACKER_PASSWORD=unquote(url.password or ""),
        )
    else:  # one file for all replicas: a conversation whose replica is down goes on on another
        tracker_db = settings.var_dir / "rasa" / "tracker.db"
        prepare_sqlite_tracker_store(tracker_db)
        env["RASA_TRACKER_DB"] = str(tracker_db)
    if settings.redis_url:
        url = urlsplit(settings.redis_url)
        env.update(
            RASA_LOCK_HOST=url.hostname or "127.0.0.1",
            RASA_LOCK_PORT=str(url.port or 6379),
            RASA_LOCK_DB=url.path.lstrip("/") or "0",
        )
    return env


def rasa_command(settings: Settings, model: Path, port: int) -> list[str]:
    """Rasa on settings.engine_host (loopback by default); its HTTP API (/model/parse, /status,
    /conversations/…) answers only with the token (?token=…) the gateway holds. `rasa run` through
    bot/engine_runtime.py, which installs the project's Rasa patches first."""
    return engine_command(
        "python",
        "-m",
        "bot.engine_runtime",
        "run",
        "--enable-api",
        "--model",
        str(model),
        "--interface",
        settings.engine_host,
        "--port",
        str(port),
        f"--auth-token={settings.rasa_auth_token}",  # one argument: a random token may start with "-"
        "--endpoints",
        str(settings.rasa_endpoints),
        "--credentials",
        "credentials.yml",
    )


def action_server_command(settings: Settings) -> list[str]:
    """rasa-sdk's action server behind bot/action_server.py: on settings.engine_host, and /webhook
    only for Rasa (the shared token)."""
    return engine_command(
        "python", "-m", "bot.action_server", "--actions", "bot.actions", "--port", str(settings.action_port)
    )


def action_server_env(settings: Settings) -> dict[str, str]:
    return {
        **ENGINE_VARS,
        "SANIC_HOST": settings.engine_host,  # rasa-sdk's listening interface
        ACTION_TOKEN_VARIABLE: settings.action_server_token,
        "HOTLINE_GATEWAY_URL": f"http://127.0.0.1:{settings.port}",
        "HOTLINE_API_KEY": sorted(settings.api_key_set)[0],
    }


def rasa_replica_name(index: int) -> str:
    """Process names (logs, pid files): rasa, rasa-1, rasa-2 … (replica i on rasa_port + i)."""
    return "rasa" if index == 0 else f"rasa-{index}"


def rasa_specs(settings: Settings, model: Path) -> list[ProcessSpec]:
    """settings.rasa_replicas Rasa servers on rasa_port, rasa_port + 1, …, one model, one tracker
    store (SQLite in WAL mode, or PostgreSQL) and each its own in-memory lock store: the gateways
    pin every conversation to one replica, so no two replicas ever work on one conversation."""
    env = rasa_env(settings)
    return [
        ProcessSpec(
            name=rasa_replica_name(i),
            argv=rasa_command(settings, model, settings.rasa_port + i),
            health_url=f"{url}/status?token={settings.rasa_auth_token}",
            cwd=PROJECT_ROOT,
            env=env,
        )
        for i, url in enumerate(settings.local_rasa_urls)
    ]


def stack_specs(settings: Settings, model: Path) -> list[ProcessSpec]:
    return [
        *rasa_specs(settings, model),
        ProcessSpec(
            name="actions",
            argv=action_server_command(settings),
            health_url=f"{settings.action_server_base_url}/health",
            cwd=PROJECT_ROOT,
            env=action_server_env(settings),
        ),
        ProcessSpec(
            name="gateway",
            argv=[sys.executable, "-m", "cli", "serve"],
            health_url=f"http://127.0.0.1:{settings.port}/healthz",
            cwd=PROJECT_ROOT,
        ),
    ]


def prepare_sqlite_tracker_store(path: Path) -> None:
    """Put Rasa's SQLite tracker store in WAL mode (a property of the file, kept by every later
    connection): one fsync per turn instead of several, and readers never wait for the writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


async def warm_up(settings: Settings) -> None:
    """One full turn through every Rasa replica (model, policies, action server, tracker store),
    so that the first citizen of each does not wait."""
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(index: int, base: str) -> None:
            await client.post(f"{base}/model/parse", params={"token": settings.rasa_auth_token}, json={"text": "你好"})
            await client.post(
                f"{base}/webhooks/rest/webhook", json={"sender": f"system:warmup-{index}", "message": "你好"}
            )

        await asyncio.gather(*(one(i, base) for i, base in enumerate(settings.rasa_base_urls)))


async def run_stack(settings: Settings) -> int:
    progress = Progress()
    model = prepare_models(settings, progress)
    if settings.speech_provider == "vosk":  # fetched when missing and its host answers; never fatal
        progress.say("speech model", "checking…")
        speech_ok, message = ensure_speech_model(settings)
        (log.info if speech_ok else log.warning)("%s", message)
        progress.say("speech model", "ready" if speech_ok else "missing: phone calls in keypad-only mode (see the log)")
    supervisor = Supervisor(
        stack_specs(settings, model), settings.var_dir / "log", settings.var_dir / "run", on_event=progress.say
    )

    async def ready() -> None:
        with progress.stage("warm-up", doing=f"one turn through {len(settings.rasa_base_urls)} Rasa replica(s)…"):
            await warm_up(settings)
        base = f"http://localhost:{settings.port}"
        print(
            f"\n  12345 hotline is up.\n  Citizen chat:  {base}/\n  Health:        {base}/healthz\n"
            f"  Open311:       {base}/open311/v2/services.json\n"
            f"  Phone:         AudioSocket {settings.host}:{settings.audiosocket_port}, "
            f"media streams {base.replace('http', 'ws')}/ws/media\n"
            f"  Rasa:          {', '.join(settings.rasa_base_urls)}\n  Logs:          {settings.var_dir / 'log'}\n"
            "  Ticket API key (/api/tickets): "
            f"{'HOTLINE_API_KEYS' if settings.api_keys else settings.var_dir / 'secrets/api_key'}\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )

    await supervisor.run(on_ready=ready)
    return 0
