"""Commands of the engine environment (.venv-engine, Python 3.10, Rasa), called as subprocesses."""

from core.settings import PROJECT_ROOT

ENGINE_VENV = PROJECT_ROOT / ".venv-engine"
# Environment for every engine command: no telemetry or crash reports sent anywhere, quiet TF.
ENGINE_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


class EngineEnvMissing(RuntimeError):
    pass


def engine_command(tool: str, *args: str) -> list[str]:
    exe = ENGINE_VENV / "bin" / tool
    if not exe.exists():
        raise EngineEnvMissing(
            f"{exe} not found: the engine environment is not set up. Run `make setup` (needs Python 3.10)."
        )
    return [str(exe), *args]
