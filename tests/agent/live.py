"""Real gateway processes for agent desk tests: start `hotline serve` (Rasa need not run: the
citizens here ask for a person with /request_human, which works with the bot down), create
agents with `hotline agents add`, and drive the desk API and /ws/agent like a console does."""

import asyncio
import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import websockets

from tests.conftest import ROOT, stack_env
from tests.helpers import ChatClient, free_port, wait_http

TOKEN_SECRET = "desk-tests-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
PASSWORD = "a long pass phrase 7"


@dataclass
class Gateway:
    http: str
    ws: str
    var_dir: Path
    env: dict
    proc: subprocess.Popen

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        path = self.var_dir / f"gateway-{self.http.rsplit(':', 1)[1]}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def gateway_env(var_dir: Path, port: int, **extra: str) -> dict:
    env = stack_env(var_dir, gateway=port, rasa=free_port(), actions=free_port())  # nothing listens there
    env.update(HOTLINE_AGENT_TOKEN_SECRET=TOKEN_SECRET, HOTLINE_KB_DENSE="false", HOTLINE_KB_WATCH="false", **extra)
    return env


def start_gateway(var_dir: Path, **extra: str) -> Gateway:
    port = free_port()
    env = gateway_env(var_dir, port, **extra)
    log = open(var_dir / f"gateway-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    http = f"http://127.0.0.1:{port}"
    gateway = Gateway(http, http.replace("http://", "ws://"), var_dir, env, proc)
    try:
        wait_http(f"{http}/healthz", 120, proc=proc)
    except Exception:
        gateway.stop()
        print(gateway.log()[-4000:])
        raise
    return gateway


def add_agent(env: dict, name: str, role: str = "agent", password: str = PASSWORD) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cli", "agents", "add", name, "--role", role],
        cwd=ROOT,
        env=env,
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


class AgentClient:
    """One agent's console: bearer token for the API, events from /ws/agent."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.http = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=20)
        self.ws = None
        self.events: list[dict] = []

    @classmethod
    async def login(cls, base: str, username: str, password: str = PASSWORD) -> "AgentClient":
        async with httpx.AsyncClient(base_url=base, timeout=20) as client:
            resp = await client.post("/api/agent/login", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        return cls(base, resp.json()["token"])

    async def connect(self) -> dict:
        url = self.base.replace("http://", "ws://") + f"/ws/agent?token={self.token}"
        self.ws = await websockets.connect(url)
        return await self.next_event(lambda e: e["type"] == "hello")

    async def next_event(self, pred, timeout: float = 10) -> dict:
        """The first event (already received or arriving) that satisfies pred; it is consumed."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if pred(event):
                    return self.events.pop(i)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching agent event; got {[e['type'] for e in self.events]}")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), remaining)
            except TimeoutError:
                continue
            self.events.append(json.loads(raw))

    async def post(self, path: str, **kwargs) -> httpx.Response:
        return await self.http.post(path, **kwargs)

    async def get(self, path: str, **kwargs) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    def conv(self, cid: str, action: str = "") -> str:
        return f"/api/agent/conversations/{cid}" + (f"/{action}" if action else "")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self.http.aclose()


async def queued_citizen(ws_base: str) -> ChatClient:
    """A citizen on /ws/chat who pressed 转人工 and waits in the queue."""
    chat = await ChatClient.connect(ws_base)
    await chat.recv()  # status
    frames = await chat.click("/request_human", "转人工")
    assert [f["mode"] for f in frames if f["type"] == "status"] == ["queued"], frames
    return chat
