"""Shared test helpers: free ports, waiting for HTTP, an app on a uvicorn thread, a small /ws/chat client."""

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
import websockets

_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, never one handed out before in this process: the kernel readily
    gives a just-released port again, and a stack's gateway and AudioSocket ports once collided."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


@contextmanager
def served(app: Any, timeout_s: float = 60) -> Iterator[str]:
    """The ASGI app (lifespan included) on a real uvicorn socket in a thread: its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_http(url: str, timeout_s: float, ok=lambda r: r.status_code < 500, proc=None) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} while waiting for {url}")
        try:
            resp = httpx.get(url, timeout=3)
            if ok(resp):
                return resp
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout_s} s (last error: {last})")


class ChatClient:
    """A citizen on /ws/chat: collects frames, sends text/buttons, waits for replies."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.frames: list[dict] = []
        self.conversation_id: str | None = None
        self.resume_token: str | None = None

    @classmethod
    async def connect(
        cls, base_ws: str, conversation_id: str | None = None, resume_token: str | None = None
    ) -> "ChatClient":
        """A new conversation, or the given one (resumed only with its resume_token)."""
        query = urlencode({"conversation_id": conversation_id, "resume_token": resume_token or ""})
        url = f"{base_ws}/ws/chat" + (f"?{query}" if conversation_id else "")
        client = cls(await websockets.connect(url, max_size=2**23))
        session = await client.recv()
        assert session["type"] == "session", session
        client.conversation_id = session["conversation_id"]
        client.resume_token = session["resume_token"]
        return client

    @classmethod
    async def resume(cls, base_ws: str, previous: "ChatClient") -> "ChatClient":
        return await cls.connect(base_ws, previous.conversation_id, previous.resume_token)

    async def recv(self, timeout: float = 20) -> dict:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.frames.append(frame)
        return frame

    async def recv_until(self, pred, timeout: float = 20) -> list[dict]:
        """Frames received until (and including) the first that satisfies pred."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.recv(max(0.1, deadline - time.monotonic()))
            got.append(frame)
            if pred(frame):
                return got

    async def say(self, text: str, timeout: float = 20) -> list[dict]:
        """Send a text and return the message frames of the reply (and any status frames)."""
        await self.ws.send(json.dumps({"type": "text", "text": text}, ensure_ascii=False))
        return await self._turn(timeout)

    async def say_until(self, text: str, pred, timeout: float = 30) -> list[dict]:
        """Like `say`, for a turn whose replies come in two waves (emergency advice at once, then
        the dialogue): frames until one satisfies pred, then what follows within a quiet period."""
        frames = await self.say(text, timeout)
        if not any(pred(f) for f in frames):
            frames += await self.recv_until(pred, timeout)
            while True:
                try:
                    frames.append(await self.recv(timeout=0.4))
                except TimeoutError:
                    break
        return frames

    async def click(self, payload: str, title: str = "", timeout: float = 20) -> list[dict]:
        await self.ws.send(json.dumps({"type": "button", "payload": payload, "title": title}, ensure_ascii=False))
        return await self._turn(timeout)

    async def _turn(self, timeout: float) -> list[dict]:
        frames = await self.recv_until(lambda f: f["type"] in ("message", "error"), timeout)
        # A turn may carry several messages; collect what follows within a short quiet period.
        while True:
            try:
                frames.append(await self.recv(timeout=0.4))
            except TimeoutError:
                return frames

    async def close(self) -> None:
        await self.ws.close()


def texts(frames: list[dict]) -> str:
    return "\n".join(f.get("text", "") for f in frames if f["type"] == "message")


CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def launch_chromium(pw, fake_audio: Path | None = None):
    """Debian's headless Chromium for the browser tests (fake microphone, optionally from a WAV)."""
    import pytest

    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: run scripts/install-system-packages.sh test (make test does)")
    args = [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-gpu",
        "--disable-quic",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
    ]
    if fake_audio is not None:
        args.append(f"--use-file-for-fake-audio-capture={fake_audio}")
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=args)


class ExternalTicketSystem:
    """A webhook receiver on a real socket (an external ticket system, the emergency services'
    platform): accepts JSON posts, de-duplicating by Idempotency-Key; can be told to fail."""

    def __init__(self, port: int) -> None:
        self.fail_with: int | None = None
        self.accepted: dict[str, dict] = {}
        self.requests = 0
        system = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                system.requests += 1
                if system.fail_with:
                    self.send_response(system.fail_with)
                    self.end_headers()
                    return
                key = self.headers["Idempotency-Key"]
                system.accepted.setdefault(key, body)
                self.send_response(201)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
