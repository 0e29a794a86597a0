"""A local server speaking edge-tts's WebSocket protocol (the read-aloud synthesis service),
for testing the real edge-tts client: it checks the request like the service does (token,
Sec-MS-GEC, speech.config then SSML), answers `turn.start`, binary audio frames
(2-byte header length, header with `Path:audio`, raw MP3 frames) and `turn.end`.

The "speech" is a tone whose length follows the text (80 ms per character) and whose pitch
tells the rate (200 Hz at +0%, scaled by the rate), so tests can check what was asked for.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from websockets.asyncio.server import ServerConnection, unix_serve

MS_PER_CHAR = 80
TOKEN = re.compile(r"Sec-MS-GEC=[0-9A-F]{16}-[0-9A-F]{64}")


def mp3_frames(seconds: float, freq: float, rate: int = 24000) -> list[bytes]:
    """Raw MP3 packets (no ID3/Xing), 48 kbit/s mono, like the service's output."""
    codec = av.CodecContext.create("libmp3lame", "w")
    codec.sample_rate, codec.layout, codec.format, codec.bit_rate = rate, "mono", "s16p", 48000
    t = np.arange(int(seconds * rate)) / rate
    x = (9000 * np.sin(2 * np.pi * freq * t)).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(x, format="s16p", layout="mono")
    frame.sample_rate = rate
    return [bytes(p) for p in codec.encode(frame)] + [bytes(p) for p in codec.encode(None)]


@dataclass
class FakeEdge:
    socket: Path
    mode: str = "ok"  # ok | hang | hang_after_first | refuse | garbage
    chunk_delay_s: float = 0.02
    requests: list[dict] = field(default_factory=list)

    async def handler(self, ws: ServerConnection) -> None:
        path = ws.request.path
        assert "TrustedClientToken=" in path and TOKEN.search(path), path
        assert "ConnectionId=" in path
        if self.mode == "refuse":
            await ws.close(1011, "service unavailable")
            return
        config = await ws.recv()
        assert "Path:speech.config" in config
        ssml = await ws.recv()
        request_id = re.search(r"X-RequestId:([0-9a-f]+)", ssml).group(1)
        text = re.sub(r"<[^>]+>", "", ssml.split("\r\n\r\n", 1)[1]).strip()
        rate = int(re.search(r"rate='([+-]\d+)%'", ssml).group(1))
        voice = re.search(r"name='([^']+)'", ssml).group(1)
        self.requests.append({"text": text, "rate": rate, "voice": voice})
        if self.mode == "hang":
            await ws.wait_closed()  # silent until the client gives up
            return
        head = f"X-RequestId:{request_id}\r\nContent-Type:application/json; charset=utf-8\r\n"
        await ws.send(head + "Path:turn.start\r\n\r\n{}")
        frames = mp3_frames(len(text) * MS_PER_CHAR / 1000, 200 * (1 + rate / 100))
        for i, mp3 in enumerate(frames):
            if self.mode == "hang_after_first" and i == 8:
                await ws.wait_closed()  # silent until the client gives up
                return
            header = (
                f"X-RequestId:{request_id}\r\nX-StreamId:{uuid.uuid4().hex}\r\n"
                f"Path:audio\r\nContent-Type:audio/mpeg\r\n"
            ).encode()
            body = b"\xff\x00garbage" * 20 if self.mode == "garbage" else mp3
            await ws.send(len(header).to_bytes(2, "big") + header + body)
            await asyncio.sleep(self.chunk_delay_s)
        await ws.send(head + "Path:turn.end\r\n\r\n{}")
        await asyncio.sleep(0.1)  # the client closes first, as with the real service

    async def __aenter__(self) -> FakeEdge:
        self._server = await unix_serve(self.handler, str(self.socket))
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def endpoint(self) -> str:
        return f"unix:{self.socket}"
