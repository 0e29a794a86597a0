"""Session-wide fixtures. The real stack (trained Rasa model served by `rasa run`, the action
server and the gateway, under `hotline up`) is started once per test session."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.followup.pbx_servers import FakeAsterisk
from tests.helpers import ARTIFACTS, ExternalTicketSystem, free_port, launch_chromium, wait_http

ROOT = Path(__file__).resolve().parents[1]


class SessionPbx:
    """A local Asterisk speaking ARI (and dialling back into the stack's AudioSocket server) on its
    own event loop in a thread, for the whole session: the stack places survey calls through it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="session-pbx", daemon=True)
        self.thread.start()
        self.asterisk = FakeAsterisk()
        # Prompts come from espeak-ng on a busy machine: slower, with pauses between sentences.
        self.asterisk.quiet_s, self.asterisk.prompt_timeout_s, self.asterisk.call_timeout_s = 2.0, 60.0, 120.0
        self.run(self.asterisk.start())

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def env(self) -> dict:
        return {
            "HOTLINE_PBX": "ari",
            "HOTLINE_PBX_ARI_URL": self.asterisk.url,
            "HOTLINE_PBX_ARI_USER": self.asterisk.user,
            "HOTLINE_PBX_ARI_PASSWORD": self.asterisk.password,
        }

    def stop(self) -> None:
        self.run(self.asterisk.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@dataclass
class Stack:
    http: str
    ws: str
    rasa: str
    actions: str
    var_dir: Path
    env: dict
    proc: subprocess.Popen
    pbx: SessionPbx | None = None
    emergency_services: ExternalTicketSystem | None = None  # receives the emergency webhook

    def pid(self, name: str) -> int:
        return int((self.var_dir / "run" / f"{name}.pid").read_text())

    def secret(self, name: str) -> str:
        """A secret `hotline up` generated: api_key, rasa_token, action_token …"""
        return (self.var_dir / "secrets" / name).read_text().strip()

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.var_dir / "log" / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def stack_env(var_dir: Path, **ports: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_") and k != "DATABASE_URL"}
    env.update(
        HOTLINE_VAR_DIR=str(var_dir),
        HOTLINE_PORT=str(ports["gateway"]),
        HOTLINE_RASA_PORT=str(ports["rasa"]),
        HOTLINE_ACTION_PORT=str(ports["actions"]),
        # Every stack its own AudioSocket port (the default 9092 would collide between stacks).
        HOTLINE_AUDIOSOCKET_PORT=str(ports.get("audiosocket") or free_port()),
        # A local "other site" that embeds the widget (tests/e2e/test_widget_embed.py serves it there).
        HOTLINE_WIDGET_ORIGINS=f"http://127.0.0.1:{ports.get('widget_site') or free_port()}",
    )
    return env


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    var_dir = tmp_path_factory.mktemp("stack-var")
    ports = {"gateway": free_port(), "rasa": free_port(), "actions": free_port()}
    pbx = SessionPbx()
    emergency_services = ExternalTicketSystem(emergency_port := free_port())
    env = {
        **stack_env(var_dir, **ports),
        **pbx.env(),
        "HOTLINE_EMERGENCY_WEBHOOK": f"http://127.0.0.1:{emergency_port}/110",
    }
    out = open(var_dir / "hotline-up.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "up"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
    )
    http = f"http://127.0.0.1:{ports['gateway']}"
    s = Stack(
        http=http,
        ws=http.replace("http://", "ws://"),
        rasa=f"http://127.0.0.1:{ports['rasa']}",
        actions=f"http://127.0.0.1:{ports['actions']}",
        var_dir=var_dir,
        env=env,
        proc=proc,
        pbx=pbx,
        emergency_services=emergency_services,
    )
    try:
        wait_http(f"{http}/healthz", 300, ok=lambda r: r.json().get("status") == "ok", proc=proc)
        # `hotline up` prints its banner once every process is warmed up.
        deadline = time.monotonic() + 60
        while b"hotline is up" not in (var_dir / "hotline-up.log").read_bytes():
            assert time.monotonic() < deadline and proc.poll() is None, "hotline up never became ready"
            time.sleep(0.3)
    except Exception:
        proc.kill()
        print((var_dir / "hotline-up.log").read_text(errors="replace")[-5000:])
        print(s.log_tail("rasa"), s.log_tail("gateway"), sep="\n")
        raise
    yield s
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    finally:
        out.close()
        pbx.stop()
        emergency_services.stop()


FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, one per test module (a module needing other launch options,
    such as a fake microphone, defines its own)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()


@pytest.fixture()
def report_figure(request):
    """Record a measured figure; all of them are printed at the end of the run."""
    figures = request.config.stash.setdefault(FIGURES, [])
    return figures.append


def pytest_terminal_summary(terminalreporter, config):
    figures = config.stash.get(FIGURES, [])
    if figures:
        terminalreporter.section("measured figures")
        for line in figures:
            terminalreporter.write_line(line)
