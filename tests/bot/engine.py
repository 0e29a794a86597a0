"""Runs engine-side code (bot/, Python 3.10) from the gateway's test run: a script in the engine
environment prints one JSON line per case, `{"case": name, "result": ...}`."""

import json
import subprocess
from pathlib import Path

import pytest

from runtime.engine_env import ENGINE_VENV, engine_command

ROOT = Path(__file__).resolve().parents[2]


def run_in_engine(*args: str) -> subprocess.CompletedProcess:
    """`python ARGS` in the engine environment from the project root; skips when it is missing."""
    if not (ENGINE_VENV / "bin" / "python").exists():
        pytest.skip("engine environment missing (make run / make test create it)")
    done = subprocess.run(engine_command("python", *args), capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def engine_cases(script: str) -> dict:
    """The results of tests/bot/<script>, by case name."""
    done = run_in_engine(str(Path(__file__).with_name(script)))
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {line["case"]: line["result"] for line in lines}
