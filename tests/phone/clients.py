"""Real telephony clients for tests and benchmarks: an AudioSocket TCP client (as Asterisk
speaks it) and a Twilio-style media-stream WebSocket client, both streaming at real-time pace
and recording what they receive with arrival times."""

import asyncio
import base64
import contextlib
import json
import struct
import time
import uuid

import websockets

from voice.audio import mulaw_to_pcm16, pcm16_to_mulaw, rms_dbfs

FRAME_MS = 20
FRAME_BYTES = 320  # 20 ms of 8 kHz PCM16


async def pace(pcm: bytes, send, speed: float = 1.0) -> None:
    """Call `send(frame)` for each 20 ms frame on a real-time deadline (`speed` x real time)."""
    period = FRAME_MS / 1000 / speed
    deadline = time.monotonic()
    for i in range(0, len(pcm), FRAME_BYTES):
        await send(pcm[i : i + FRAME_BYTES])
        deadline += period
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))


def loud(frame: bytes, threshold_dbfs: float = -45.0) -> bool:
    return rms_dbfs(frame) > threshold_dbfs


class AudioSocketClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, call_id: str) -> None:
        self.reader, self.writer, self.call_id = reader, writer, call_id
        self.audio: list[tuple[float, bytes]] = []  # (arrival time, 320-byte frame)
        self.controls: list[tuple[float, int, bytes]] = []  # hangup / error frames
        self.closed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, host: str, port: int, call_id: str | None = None) -> "AudioSocketClient":
        reader, writer = await asyncio.open_connection(host, port)
        call_id = call_id or str(uuid.uuid4())
        client = cls(reader, writer, call_id)
        await client.send_raw(struct.pack(">BH", 0x01, 16) + uuid.UUID(call_id).bytes)
        return client

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def send_frame(self, kind: int, payload: bytes = b"") -> None:
        await self.send_raw(struct.pack(">BH", kind, len(payload)) + payload)

    async def stream(self, pcm: bytes, speed: float = 1.0) -> None:
        await pace(pcm, lambda frame: self.send_frame(0x10, frame), speed)

    async def dtmf(self, keys: str) -> None:
        for key in keys:
            await self.send_frame(0x03, key.encode())

    async def hangup(self) -> None:
        await self.send_frame(0x00)

    async def _read(self) -> None:
        try:
            while True:
                header = await self.reader.readexactly(3)
                kind, length = struct.unpack(">BH", header)
                payload = await self.reader.readexactly(length) if length else b""
                now = time.monotonic()
                if kind == 0x10:
                    self.audio.append((now, payload))
                else:
                    self.controls.append((now, kind, payload))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.closed.set()

    def first_loud_after(self, t: float) -> float | None:
        return next((at for at, frame in self.audio if at >= t and loud(frame)), None)

    @property
    def error(self) -> str | None:
        return next((p.decode("ascii", "replace") for _, k, p in self.controls if k == 0xFF), None)

    @property
    def hung_up(self) -> bool:
        return any(k == 0x00 for _, k, _ in self.controls)

    async def wait_closed(self, timeout: float = 10) -> None:
        await asyncio.wait_for(self.closed.wait(), timeout)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
        await asyncio.gather(self._task, return_exceptions=True)


class MediaStreamClient:
    """Speaks as Twilio does: connected, start, media (base64 μ-law), dtmf, stop."""

    def __init__(self, ws, stream_sid: str, call_sid: str) -> None:
        self.ws, self.stream_sid, self.call_sid = ws, stream_sid, call_sid
        self.media: list[tuple[float, bytes]] = []  # (arrival, PCM16 decoded from μ-law)
        self.marks: list[tuple[float, str]] = []
        self.clears: list[float] = []
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.closed = asyncio.Event()
        self._seq = 0
        self._chunk = 0
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, caller: str | None = None, start: bool = True) -> "MediaStreamClient":
        ws = await websockets.connect(url)
        client = cls(ws, "MZ" + uuid.uuid4().hex, "CA" + uuid.uuid4().hex)
        if start:
            await client.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
            params = {"caller": caller} if caller else {}
            await client.send(
                {
                    "event": "start",
                    "sequenceNumber": client.seq(),
                    "streamSid": client.stream_sid,
                    "start": {
                        "accountSid": "AC" + "0" * 32,
                        "streamSid": client.stream_sid,
                        "callSid": client.call_sid,
                        "tracks": ["inbound"],
                        "customParameters": params,
                        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    },
                }
            )
        return client

    def seq(self) -> str:
        self._seq += 1
        return str(self._seq)

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def send_media(self, pcm_frame: bytes) -> None:
        self._chunk += 1
        payload = base64.b64encode(pcm16_to_mulaw(pcm_frame)).decode()
        await self.send(
            {
                "event": "media",
                "sequenceNumber": self.seq(),
                "streamSid": self.stream_sid,
                "media": {
                    "track": "inbound",
                    "chunk": str(self._chunk),
                    "timestamp": str(self._chunk * 20),
                    "payload": payload,
                },
            }
        )

    async def stream(self, pcm: bytes, speed: float = 1.0) -> None:
        await pace(pcm, self.send_media, speed)

    async def dtmf(self, keys: str) -> None:
        for key in keys:
            await self.send(
                {
                    "event": "dtmf",
                    "sequenceNumber": self.seq(),
                    "streamSid": self.stream_sid,
                    "dtmf": {"track": "inbound_track", "digit": key},
                }
            )

    async def stop(self) -> None:
        await self.send(
            {
                "event": "stop",
                "sequenceNumber": self.seq(),
                "streamSid": self.stream_sid,
                "stop": {"accountSid": "AC" + "0" * 32, "callSid": self.call_sid},
            }
        )

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.monotonic()
                message = json.loads(raw)
                assert message.get("streamSid") == self.stream_sid, message
                if message["event"] == "media":
                    self.media.append((now, mulaw_to_pcm16(base64.b64decode(message["media"]["payload"]))))
                elif message["event"] == "mark":
                    self.marks.append((now, message["mark"]["name"]))
                    await self.send(
                        {
                            "event": "mark",
                            "sequenceNumber": self.seq(),
                            "streamSid": self.stream_sid,
                            "mark": {"name": message["mark"]["name"]},
                        }
                    )
                elif message["event"] == "clear":
                    self.clears.append(now)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            self.closed.set()

    def first_loud_after(self, t: float) -> float | None:
        return next((at for at, frame in self.media if at >= t and loud(frame)), None)

    async def wait_closed(self, timeout: float = 10) -> None:
        await asyncio.wait_for(self.closed.wait(), timeout)

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._task, return_exceptions=True)
