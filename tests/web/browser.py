"""Headless Chromium (Debian's) for the page tests, and a scripted stand-in for the gateway that
the page talks to through Playwright's request and WebSocket routing (no server process)."""

import io
import json
import math
import re
import struct
import wave
from pathlib import Path

from tests.helpers import ARTIFACTS, CHROMIUM  # noqa: F401  (used by the page tests)

STATIC = Path(__file__).resolve().parents[2] / "channels" / "web" / "static"
CONVERSATION = "web:00000000-0000-4000-8000-000000000001"
RESUME_TOKEN = "token-of-the-conversation"
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


def speech_like_wav(path: Path, seconds: float = 3.0, rate: int = 16000) -> Path:
    """A mono 16 kHz WAV with voiced, syllable-like bursts (stands in for a microphone)."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        t = i / rate
        envelope = max(0.0, math.sin(2 * math.pi * 3 * t))  # three "syllables" a second
        pitch = 180 + 40 * math.sin(2 * math.pi * 0.5 * t)
        sample = envelope * (0.6 * math.sin(2 * math.pi * pitch * t) + 0.3 * math.sin(2 * math.pi * 2.1 * pitch * t))
        frames += struct.pack("<h", int(sample * 12000))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


def tiny_wav() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x00" * 1600)
    return buf.getvalue()


class FakeGateway:
    """Serves the real static files at `base` and answers /ws/chat from a script.

    `reply(frame, gateway)` decides what to answer to each client frame (default: an echo)."""

    def __init__(self, page, base: str = "http://localhost:8123", tts: bytes | None = None) -> None:
        self.page, self.base, self.tts = page, base, tts
        self.received: list[dict] = []
        self.urls: list[str] = []
        self.sockets: list = []
        self.tts_requests: list[str] = []
        self.history: list[dict] | None = None
        self.reply = lambda frame, gw: gw.push({"type": "message", "sender": "bot", "text": "收到", "buttons": []})
        page.route(re.compile(re.escape(base) + r"/.*"), self._http)
        page.route_web_socket(re.compile(r".*/ws/chat.*"), self._socket)

    def _http(self, route) -> None:
        path = route.request.url.removeprefix(self.base).split("?", 1)[0]
        if path == "/api/tts":
            self.tts_requests.append(route.request.url)
            if self.tts is None:
                route.fulfill(status=404, body="not found")
            else:
                route.fulfill(status=200, body=self.tts, headers={"Content-Type": "audio/wav"})
            return
        file = STATIC / ("index.html" if path in ("/", "") else path.removeprefix("/static/"))
        if not file.is_file():
            route.fulfill(status=404, body="not found")
            return
        route.fulfill(
            status=200, body=file.read_bytes(), headers={"Content-Type": TYPES.get(file.suffix, "text/plain")}
        )

    def _socket(self, ws) -> None:
        self.sockets.append(ws)
        self.urls.append(ws.url)
        ws.on_message(lambda message: self._message(message))
        ws.send(json.dumps({"type": "session", "conversation_id": CONVERSATION, "resume_token": RESUME_TOKEN}))
        if self.history is not None and "conversation_id=" in ws.url:
            ws.send(json.dumps({"type": "history", "messages": self.history}, ensure_ascii=False))
        ws.send(json.dumps({"type": "status", "mode": "bot"}))

    def _message(self, message) -> None:
        frame = json.loads(message)
        if "id" in frame:  # stored: acknowledged at once (tests compare frames without their id)
            self.sockets[-1].send(json.dumps({"type": "ack", "id": frame.pop("id")}))
        self.received.append(frame)
        self.reply(frame, self)

    def push(self, frame: dict) -> None:
        self.sockets[-1].send(json.dumps(frame, ensure_ascii=False))

    def open(self, query: str = "") -> None:
        self.page.goto(self.base + "/" + query)
        self.page.wait_for_selector('#conn[data-state="open"]')
