"""Commands of the engine environment (.venv-engine, Python 3.10, Rasa), called as subprocesses."""

from core.settings import PROJECT_ROOT

ENGINE_VENV = PROJECT_ROOT / ".venv-engine"


class EngineEnvMissing(RuntimeError):
    pass


def engine_command(tool: str, *args: str) -> list[str]:
    exe = ENGINE_VENV / "bin" / tool
    if not exe.exists():
        raise EngineEnvMissing(
            f"{exe} not found: the engine environment is not set up. Run `make setup` (needs Python 3.10)."
        )
    return [str(exe), *args]

