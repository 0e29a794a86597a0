"""Local servers that speak the PBX protocols the survey calls use, for tests:

- `FakeAsterisk`: ARI over HTTP (`POST /ari/channels`, basic auth, originate parameters from the
  query or the JSON body as Asterisk reads them; 200 with a channel snapshot), then, as Asterisk
  running the dialplan `AudioSocket(${HOTLINE_CALL_ID},${HOTLINE_AUDIOSOCKET})` once the callee
  answers, a real AudioSocket TCP connection: the UUID frame, 8 kHz slin 20 ms frames of line
  noise at real-time pace, and the callee's DTMF keys, each pressed once a prompt finished.
- `FakeTwilio`: `POST /2010-04-01/Accounts/{sid}/Calls.json` (form fields, basic auth sid:token;
  201 with the call resource), then, as Twilio executing the TwiML `<Connect><Stream>`, a
  WebSocket to the stream URL: connected, start (customParameters from `<Parameter>`), media
  (base64 μ-law), dtmf events.

"A prompt finished" is what a callee can tell: audio came since the last key and then none for
`quiet_s`."""

import asyncio
import base64
import json
import struct
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field

import websockets
from aiohttp import BasicAuth, web

from tests.helpers import free_port
from tests.phone.fakes import silence
from voice.audio import mulaw_to_pcm16, pcm16_to_mulaw

FRAME_BYTES, FRAME_S = 320, 0.02
LINE_NOISE = silence(20)


@dataclass
class Callee:
    """One answered call as the callee's side sees it: what they do after each prompt (a DTMF key,
    or speech as 8 kHz PCM16), what they heard."""

    keys: str | list[str | bytes]
    quiet_s: float = 0.6
    prompt_timeout_s: float = 15.0  # longest wait for a prompt to finish before a key
    audio: list[float] = field(default_factory=list)  # arrival times of our audio frames
    heard_at_keys: list[int] = field(default_factory=list)  # frames heard before each key
    hung_up_by_gateway: bool = False
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    error: str | None = None
    speech: deque[bytes] = field(default_factory=deque)  # frames still to say, instead of line noise

    def next_frame(self) -> bytes:
        return self.speech.popleft() if self.speech else LINE_NOISE

    async def prompt_finished(self, since: int) -> None:
        async with asyncio.timeout(self.prompt_timeout_s):
            while len(self.audio) <= since or time.monotonic() - self.audio[-1] < self.quiet_s:
                await asyncio.sleep(0.02)

    async def press_keys(self, press) -> None:
        since = 0
        for key in self.keys:
            await self.prompt_finished(since)
            since = len(self.audio)
            self.heard_at_keys.append(since)
            if isinstance(key, bytes):
                self.speech.extend(key[i : i + FRAME_BYTES] for i in range(0, len(key), FRAME_BYTES))
                while self.speech:
                    await asyncio.sleep(0.02)
            else:
                await press(key)


async def _paced(send, stop: asyncio.Event, callee: Callee) -> None:
    """The callee's side every 20 ms, as a PBX streams it: their speech, else line noise."""
    deadline = time.monotonic()
    while not stop.is_set():
        await send(callee.next_frame())
        deadline += FRAME_S
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))


class _Server:
    def __init__(self) -> None:
        self.app = web.Application()
        self.port = free_port()
        self.requests: list[dict] = []
        self.callees: list[Callee] = []
        self.keys: list[str] = []  # keys the next callees press, one string per call
        # How long a callee waits in silence before taking a prompt as finished, and how long a
        # call may last (a loaded machine synthesises more slowly).
        self.quiet_s, self.prompt_timeout_s, self.call_timeout_s = 0.6, 15.0, 40.0
        self._runner: web.AppRunner | None = None
        self._calls: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await asyncio.gather(*self._calls, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    def _answer(self, run) -> Callee:
        callee = Callee(
            self.keys.pop(0) if self.keys else "", quiet_s=self.quiet_s, prompt_timeout_s=self.prompt_timeout_s
        )
        self.callees.append(callee)
        task = asyncio.create_task(self._guarded(callee, run(callee)))
        self._calls.add(task)
        return callee

    @staticmethod
    async def _guarded(callee: Callee, call) -> None:
        try:
            await call
        except Exception as exc:  # noqa: BLE001  (the test reads it)
            callee.error = f"{type(exc).__name__}: {exc}"
        finally:
            callee.closed.set()

    @staticmethod
    def _authorized(request: web.Request, user: str, password: str) -> bool:
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            return False
        return (auth.login, auth.password) == (user, password)


class FakeAsterisk(_Server):
    """ARI on HTTP, and the AudioSocket leg of every answered call."""

    def __init__(self, user: str = "hotline", password: str = "ari-secret-1") -> None:
        super().__init__()
        self.user, self.password = user, password
        self.app.router.add_post("/ari/channels", self._originate)

    async def _originate(self, request: web.Request) -> web.Response:
        if not self._authorized(request, self.user, self.password):
            return web.json_response({"message": "Authentication required"}, status=401)
        params: dict = dict(request.query)
        if request.can_read_body:
            params.update(await request.json())  # body keys other than `variables` count as query parameters
        self.requests.append(params)
        missing = [k for k in ("endpoint", "context", "extension", "priority") if k not in params]
        variables = params.get("variables") or {}
        if missing or "HOTLINE_CALL_ID" not in variables or "HOTLINE_AUDIOSOCKET" not in variables:
            message = f"Invalid parameters for originating a channel: {missing}"
            return web.json_response({"message": message}, status=400)
        call_id, (host, port) = variables["HOTLINE_CALL_ID"], variables["HOTLINE_AUDIOSOCKET"].rsplit(":", 1)
        self._answer(lambda callee: self._audiosocket(callee, host, int(port), call_id))
        channel_id = params.get("channelId") or f"{time.time():.6f}"
        return web.json_response(
            {
                "id": channel_id,
                "name": f"PJSIP/trunk-{len(self.requests):08x}",
                "state": "Down",
                "caller": {"name": "", "number": str(params.get("callerId", ""))},
                "connected": {"name": "", "number": ""},
                "accountcode": "",
                "language": "en",
                "creationtime": "2026-12-05T18:30:00.000+0800",
                "dialplan": {
                    "context": params["context"],
                    "exten": params["extension"],
                    "priority": int(params["priority"]),
                },
            }
        )

    async def _audiosocket(self, callee: Callee, host: str, port: int, call_id: str) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        lock, stop = asyncio.Lock(), asyncio.Event()

        async def send(kind: int, payload: bytes = b"") -> None:
            async with lock:
                writer.write(struct.pack(">BH", kind, len(payload)) + payload)
                await writer.drain()

        async def read() -> None:
            while True:
                kind, length = struct.unpack(">BH", await reader.readexactly(3))
                payload = await reader.readexactly(length) if length else b""
                if kind == 0x10:
                    assert len(payload) == FRAME_BYTES, f"audio frame of {len(payload)} bytes"
                    callee.audio.append(time.monotonic())
                elif kind == 0x00:
                    callee.hung_up_by_gateway = True
                    return
                else:
                    raise AssertionError(f"unexpected frame 0x{kind:02x} {payload!r}")

        await send(0x01, uuid.UUID(call_id).bytes)
        noise = asyncio.create_task(_paced(lambda frame: send(0x10, frame), stop, callee))
        reading = asyncio.create_task(read())
        keys = asyncio.create_task(callee.press_keys(lambda key: send(0x03, key.encode())))
        try:
            await asyncio.wait_for(reading, self.call_timeout_s)
            if keys.done() and keys.exception() is not None:
                raise AssertionError(f"the callee could not press its keys: {keys.exception()!r}")
        finally:
            stop.set()
            keys.cancel()
            await asyncio.gather(noise, keys, return_exceptions=True)
            writer.close()
            await writer.wait_closed()


class FakeTwilio(_Server):
    """The calls API on HTTP, and the media stream of every answered call."""

    def __init__(self, account_sid: str = "AC" + "1" * 32, auth_token: str = "twilio-token-1") -> None:
        super().__init__()
        self.account_sid, self.auth_token = account_sid, auth_token
        self.app.router.add_post("/2010-04-01/Accounts/{sid}/Calls.json", self._create_call)
        self.close_reason: str | None = None

    async def _create_call(self, request: web.Request) -> web.Response:
        sid = request.match_info["sid"]
        if sid != self.account_sid or not self._authorized(request, self.account_sid, self.auth_token):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        form = dict(await request.post())
        self.requests.append(form)
        if not all(form.get(k) for k in ("To", "From", "Twiml")):
            error = {"code": 21201, "message": "No 'To' number is specified", "status": 400}
            return web.json_response(error, status=400)
        stream = ET.fromstring(form["Twiml"]).find("./Connect/Stream")
        params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
        call_sid = "CA" + uuid.uuid4().hex
        self._answer(lambda callee: self._media_stream(callee, stream.get("url"), call_sid, params))
        return web.json_response(
            {
                "sid": call_sid,
                "account_sid": self.account_sid,
                "to": form["To"],
                "from": form["From"],
                "status": "queued",
            },
            status=201,
        )

    async def _media_stream(self, callee: Callee, url: str, call_sid: str, params: dict) -> None:
        stream_sid, seq = "MZ" + uuid.uuid4().hex, iter(range(1, 1_000_000))
        async with websockets.connect(url) as ws:
            lock, stop = asyncio.Lock(), asyncio.Event()

            async def send(message: dict) -> None:
                async with lock:
                    await ws.send(json.dumps({**message, "sequenceNumber": str(next(seq)), "streamSid": stream_sid}))

            async def media(frame: bytes) -> None:
                payload = base64.b64encode(pcm16_to_mulaw(frame)).decode()
                await send({"event": "media", "media": {"track": "inbound", "payload": payload}})

            async def read() -> None:
                async for raw in ws:
                    message = json.loads(raw)
                    if message["event"] == "media":
                        assert len(mulaw_to_pcm16(base64.b64decode(message["media"]["payload"]))) == FRAME_BYTES
                        callee.audio.append(time.monotonic())
                    elif message["event"] == "mark":
                        await send({"event": "mark", "mark": message["mark"]})  # played: echoed as Twilio does

            await send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
            await send(
                {
                    "event": "start",
                    "start": {
                        "accountSid": self.account_sid,
                        "streamSid": stream_sid,
                        "callSid": call_sid,
                        "tracks": ["inbound"],
                        "customParameters": params,
                        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    },
                }
            )
            noise = asyncio.create_task(_paced(media, stop, callee))

            def dtmf(key: str) -> Awaitable[None]:
                return send({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": key}})

            keys = asyncio.create_task(callee.press_keys(dtmf))
            try:
                await asyncio.wait_for(read(), 40)
            finally:
                stop.set()
                keys.cancel()
                await asyncio.gather(noise, keys, return_exceptions=True)
            callee.hung_up_by_gateway = ws.close_code == 1000
            self.close_reason = ws.close_reason
