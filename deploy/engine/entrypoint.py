"""Entry point of the engine image (Python 3.10): `rasa` starts one Rasa replica, `actions` the
action server. The container equivalent of runtime/stack.py's rasa_env / rasa_command /
action_server_env for the scale-out (PostgreSQL tracker store, Redis lock store), written with the
standard library only: the engine runtime imports nothing from the gateway (tests/unit/test_boundary.py).

It reads the same HOTLINE_* variables as `hotline up` and turns them into the variables
endpoints.scale-out.yml reads. Secrets have no defaults: it stops when a token is missing.
"""

import os
import sys
from urllib.parse import unquote, urlsplit

ENGINE_VARS = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
}
MODEL = "/app/models/engine.tar.gz"


def need(env: dict[str, str], name: str, min_len: int = 1) -> str:
    value = env.get(name, "")
    if len(value) < min_len:
        sys.exit(f"engine: {name} must be set (at least {min_len} characters); there is no default")
    return value


def rasa_env(env: dict[str, str]) -> dict[str, str]:
    action_url = env.get("HOTLINE_ACTION_SERVER_URL", "http://actions:5055").rstrip("/")
    out = {**ENGINE_VARS, "ACTION_ENDPOINT_URL": f"{action_url}/webhook"}
    tracker = urlsplit(need(env, "HOTLINE_RASA_TRACKER_URL"))
    out.update(
        RASA_TRACKER_HOST=tracker.hostname or "127.0.0.1",
        RASA_TRACKER_PORT=str(tracker.port or 5432),
        RASA_TRACKER_DB=tracker.path.lstrip("/") or "rasa",
        RASA_TRACKER_USER=unquote(tracker.username or ""),
        RASA_TRACKER_PASSWORD=unquote(tracker.password or ""),
    )
    lock = urlsplit(need(env, "HOTLINE_REDIS_URL"))
    out.update(
        RASA_LOCK_HOST=lock.hostname or "127.0.0.1",
        RASA_LOCK_PORT=str(lock.port or 6379),
        RASA_LOCK_DB=lock.path.lstrip("/") or "0",
    )
    return out


def rasa_argv(env: dict[str, str]) -> list[str]:
    """`rasa run` through bot/engine_runtime.py (the project's Rasa patches), as runtime/stack.py."""
    return [
        "python",
        "-m",
        "bot.engine_runtime",
        "run",
        "--enable-api",
        "--model",
        MODEL,
        "--interface",
        env.get("HOTLINE_ENGINE_HOST", "0.0.0.0"),
        "--port",
        env.get("HOTLINE_RASA_PORT", "5005"),
        f"--auth-token={need(env, 'HOTLINE_RASA_TOKEN', 16)}",  # one argument: a token may start with "-"
        "--endpoints",
        "endpoints.scale-out.yml",
        "--credentials",
        "credentials.yml",
    ]


def actions_env(env: dict[str, str]) -> dict[str, str]:
    api_keys = [k.strip() for k in need(env, "HOTLINE_API_KEYS", 16).split(",") if k.strip()]
    return {
        **ENGINE_VARS,
        "SANIC_HOST": env.get("HOTLINE_ENGINE_HOST", "0.0.0.0"),
        "HOTLINE_GATEWAY_URL": env.get("HOTLINE_GATEWAY_URL", "http://gateway:8000"),
        "HOTLINE_API_KEY": sorted(api_keys)[0],
    }


def actions_argv(env: dict[str, str]) -> list[str]:
    return [
        "python",
        "-m",
        "bot.action_server",
        "--actions",
        "bot.actions",
        "--port",
        env.get("HOTLINE_ACTION_PORT", "5055"),
    ]


def main(argv: list[str]) -> None:
    role = argv[1] if len(argv) > 1 else ""
    env = dict(os.environ)
    need(env, "HOTLINE_ACTION_TOKEN", 16)  # both sides: Rasa sends it, the action server checks it
    if role == "rasa":
        extra, command = rasa_env(env), rasa_argv(env)
    elif role == "actions":
        extra, command = actions_env(env), actions_argv(env)
    else:
        sys.exit("usage: entrypoint.py rasa|actions")
    os.umask(0o077)
    os.execvpe(command[0], command, {**env, **extra})


if __name__ == "__main__":
    main(sys.argv)
