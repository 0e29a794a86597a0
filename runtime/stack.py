"""`hotline up`: the whole system (Rasa, action server, gateway) under one supervisor."""

import logging
import sys

import httpx

from core.settings import PROJECT_ROOT, Settings
from runtime.engine_env import engine_command
from runtime.supervisor import ProcessSpec, Supervisor
from runtime.training import ensure_model

log = logging.getLogger(__name__)


def stack_specs(settings: Settings) -> list[ProcessSpec]:
    model = ensure_model(PROJECT_ROOT)
    tracker_db = settings.var_dir / "rasa" / "tracker.db"
    tracker_db.parent.mkdir(parents=True, exist_ok=True)
    quiet = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return [
        ProcessSpec(
            name="rasa",
            argv=engine_command(
                "rasa", "run", "--enable-api",
                "--model", str(model),
                "--port", str(settings.rasa_port),
                "--endpoints", "endpoints.yml",
                "--credentials", "credentials.yml",
            ),  # fmt: skip
            health_url=f"{settings.rasa_base_url}/status",
            cwd=PROJECT_ROOT,
            env={
                **quiet,
                "ACTION_ENDPOINT_URL": f"{settings.action_server_base_url}/webhook",
                "RASA_TRACKER_DB": str(tracker_db),
            },
        ),
        ProcessSpec(
            name="actions",
            argv=engine_command("rasa", "run", "actions", "--actions", "bot.actions", "--port", str(settings.action_port)),
            health_url=f"{settings.action_server_base_url}/health",
            cwd=PROJECT_ROOT,
            env=quiet,
        ),
        ProcessSpec(
            name="gateway",
            argv=[sys.executable, "-m", "cli", "serve"],
            health_url=f"http://127.0.0.1:{settings.port}/healthz",
            cwd=PROJECT_ROOT,
        ),
    ]


async def warm_up(settings: Settings) -> None:
    """One full turn through Rasa and the gateway's path, so the first citizen does not wait."""
    async with httpx.AsyncClient(timeout=30) as client:
        await client.post(f"{settings.rasa_base_url}/model/parse", json={"text": "你好"})
        await client.post(
            f"{settings.rasa_base_url}/webhooks/rest/webhook", json={"sender": "system:warmup", "message": "你好"}
        )


async def run_stack(settings: Settings) -> int:
    supervisor = Supervisor(stack_specs(settings), settings.var_dir / "log", settings.var_dir / "run")

    async def ready() -> None:
        await warm_up(settings)
        base = f"http://localhost:{settings.port}"
        print(
            f"\n  12345 hotline is up.\n  Citizen chat:  {base}/\n  Health:        {base}/healthz\n"
            f"  Rasa:          {settings.rasa_base_url}\n  Logs:          {settings.var_dir / 'log'}\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )

    await supervisor.run(on_ready=ready)
    return 0
