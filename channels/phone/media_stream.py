"""`/ws/media`: a media-stream WebSocket compatible with Twilio Media Streams (bidirectional,
`<Connect><Stream>`), one connection per call.

Inbound JSON text messages: `connected`, `start` (streamSid, callSid, mediaFormat audio/x-mulaw
8000 Hz mono, customParameters — `caller` is used as the caller number, `hotline_call_id` names
a survey call we placed), `media` (base64 μ-law,
track/chunk/timestamp), `dtmf` ({digit}), `mark` (echo of ours), `stop`. Outbound: `media`
(base64 μ-law 20 ms frames with streamSid), `mark` (after each reply; `transfer` before a
handoff), `clear` (barge-in). The call leg ends with close code 1000 and reason `hangup` or
`transfer`; bad input closes with 1003/1007/1008 and an English reason.
"""

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from starlette.requests import HTTPConnection

from api.deps import SettingsDep
from channels.phone.calls import PhoneChannel, run_to_end
from channels.phone.playout import Playout
from channels.phone.signature import signature_ok
from core.log_ids import short_id
from voice import events as ev
from voice.audio import PCM16_8K, mulaw_to_pcm16, pcm16_to_mulaw
from voice.call import CallInfo, InputOverflow
from voice.pipeline import VoicePipeline

log = logging.getLogger(__name__)

UNSUPPORTED, INVALID, POLICY = 1003, 1007, 1008
_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")
START_TIMEOUT_S = 10.0
IDLE_TIMEOUT_S = 10.0
PLACED_CALL_PARAMETER = "hotline_call_id"  # <Parameter> of the <Stream> of a call we placed


class CloseCall(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason[:120]


class MediaStreamTransport:
    name = "media-stream"
    audio_format = PCM16_8K

    def __init__(self, ws: WebSocket, stream_sid: str) -> None:
        self.ws, self.stream_sid = ws, stream_sid
        self._lock = asyncio.Lock()
        self.playout = Playout(self._send_media, PCM16_8K.frame_bytes(20))
        self._sends: set[asyncio.Task] = set()
        self.marks_sent = 0
        self.closed: tuple[int, str] | None = None

    async def _send(self, message: dict[str, Any]) -> None:
        async with self._lock:
            if self.closed is None:
                await self.ws.send_text(json.dumps(message, separators=(",", ":")))

    async def _send_media(self, frame: bytes) -> None:
        payload = base64.b64encode(pcm16_to_mulaw(frame)).decode("ascii")
        await self._send({"event": "media", "streamSid": self.stream_sid, "media": {"payload": payload}})

    def play(self, pcm16: bytes) -> None:
        self.playout.play(pcm16)

    def clear(self) -> None:
        self.playout.clear()
        if self.closed is None:
            task = asyncio.create_task(self._send({"event": "clear", "streamSid": self.stream_sid}))
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)

    async def drained(self) -> None:
        await self.playout.drained()
        self.marks_sent += 1
        await self._send_mark(f"reply-{self.marks_sent}")

    async def _send_mark(self, name: str) -> None:
        await self._send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    async def end(self, disposition: str) -> None:
        """Transfer: a `transfer` mark, then close 1000 "transfer"; the provider's <Connect action>
        webhook (POST /phone/twilio/after-stream) then enqueues the call for agents."""
        if disposition == "transfer":
            await self._send_mark("transfer")
        await self.close(1000, disposition)

    async def close(self, code: int = 1000, reason: str = "hangup") -> None:
        await self.playout.stop()
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        async with self._lock:
            if self.closed is not None:
                return
            self.closed = (code, reason)
            with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):  # the peer is already gone
                await self.ws.close(code=code, reason=reason)


def _parse(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("text") is None:
        raise CloseCall(UNSUPPORTED, "binary frames are not part of the media-stream protocol; send JSON text")
    try:
        message = json.loads(event["text"])
    except json.JSONDecodeError as exc:
        raise CloseCall(INVALID, f"invalid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        raise CloseCall(INVALID, "every message must be a JSON object with an 'event' string")
    return message


async def _receive(ws: WebSocket, timeout_s: float, waiting_for: str) -> dict[str, Any] | None:
    try:
        async with asyncio.timeout(timeout_s):
            event = await ws.receive()
    except TimeoutError:
        raise CloseCall(POLICY, f"no {waiting_for} within {timeout_s:g} s") from None
    if event["type"] == "websocket.disconnect":
        return None
    return _parse(event)


async def _await_start(ws: WebSocket) -> dict[str, Any] | None:
    while True:
        message = await _receive(ws, START_TIMEOUT_S, "start event")
        if message is None:
            return None
        if message["event"] == "connected":
            continue
        if message["event"] != "start":
            raise CloseCall(POLICY, f"'{message['event']}' before 'start'; the stream must begin with connected/start")
        start = message.get("start")
        sid = message.get("streamSid") or (start or {}).get("streamSid")
        if not isinstance(start, dict) or not isinstance(sid, str) or not sid:
            raise CloseCall(INVALID, "start event without a start object and streamSid")
        for key in ("streamSid", "callSid"):
            value = start.get(key, sid) if key == "callSid" else sid
            if not isinstance(value, str) or not _SID.fullmatch(value):
                raise CloseCall(INVALID, f"{key} must be 1-64 letters, digits, '-' or '_'")
        fmt = start.get("mediaFormat") or {}
        if (fmt.get("encoding"), int(fmt.get("sampleRate") or 0), int(fmt.get("channels") or 1)) != (
            "audio/x-mulaw",
            8000,
            1,
        ):
            raise CloseCall(UNSUPPORTED, f"unsupported mediaFormat {fmt}; expected audio/x-mulaw, 8000 Hz, mono")
        return {**start, "streamSid": sid}


async def _read(ws: WebSocket, pipeline: VoicePipeline, transport: MediaStreamTransport) -> None:
    try:
        while True:
            message = await _receive(ws, IDLE_TIMEOUT_S, "message")
            kind = None if message is None else message["event"]
            if kind is None or kind == "stop":
                pipeline.caller_hangup()
                return
            if kind == "media":
                media = message.get("media") or {}
                if media.get("track", "inbound") not in ("inbound", "inbound_track"):
                    continue
                try:
                    pcm = mulaw_to_pcm16(base64.b64decode(media.get("payload") or "", validate=True))
                except (binascii.Error, ValueError):
                    raise CloseCall(INVALID, "media payload is not valid base64") from None
                pipeline.feed_audio(pcm)
            elif kind == "dtmf":
                digit = str((message.get("dtmf") or {}).get("digit", ""))
                if len(digit) == 1 and digit in "0123456789*#ABCD":
                    pipeline.feed_dtmf(digit)
                else:
                    log.warning("call %s: ignored dtmf event with digit %r", short_id(pipeline.call.call_id), digit)
            elif kind == "mark":
                log.debug(
                    "call %s: mark %s played", short_id(pipeline.call.call_id), (message.get("mark") or {}).get("name")
                )
            elif kind != "connected":
                log.info("call %s: ignored unknown media-stream event %r", short_id(pipeline.call.call_id), kind)
    except CloseCall as exc:
        log.warning("media stream %s: %s", short_id(pipeline.call.call_id), exc.reason)
        pipeline.abort(ev.PipelineErrorCode.PROTOCOL_ERROR, exc.reason)
        await transport.close(exc.code, exc.reason)
    except InputOverflow as exc:
        log.warning("media stream %s: %s", short_id(pipeline.call.call_id), exc)
        pipeline.abort(ev.PipelineErrorCode.INPUT_OVERFLOW, str(exc))
        await transport.close(POLICY, str(exc))
    except (WebSocketDisconnect, RuntimeError):
        pipeline.caller_hangup()


async def get_phone(conn: HTTPConnection) -> PhoneChannel:
    return conn.app.state.phone


PhoneDep = Annotated[PhoneChannel, Depends(get_phone)]
router = APIRouter()


@router.websocket("/ws/media")
async def media_stream(ws: WebSocket, phone: PhoneDep, settings: SettingsDep) -> None:
    if not signature_ok(settings.twilio_auth_token, ws, websocket=True):  # the provider signs the wss URL
        log.warning("media stream refused: missing or invalid X-Twilio-Signature")
        await ws.close(code=POLICY)  # before accept: the upgrade is answered 403
        return
    await ws.accept()
    transport: MediaStreamTransport | None = None
    try:
        start = await _await_start(ws)
        if start is None:
            return
        params = start.get("customParameters") or {}
        placed = params.get(PLACED_CALL_PARAMETER)  # a survey call we placed (followup/pbx/twilio.py)
        call = CallInfo(
            str(start.get("callSid") or start["streamSid"]),
            caller=params.get("caller") or None,
            placed_id=placed if isinstance(placed, str) and placed else None,
        )
        transport = MediaStreamTransport(ws, start["streamSid"])
        try:
            pipeline = phone.open_call(call, transport)
        except ValueError as exc:
            raise CloseCall(POLICY, str(exc)) from None
        transport.playout.start()
        reader = asyncio.create_task(_read(ws, pipeline, transport), name=f"media-stream-{call.call_id}")
        await run_to_end(phone, pipeline, reader)
    except CloseCall as exc:
        log.warning("media stream refused: %s", exc.reason)
        transport = transport or MediaStreamTransport(ws, "")
        await transport.close(exc.code, exc.reason)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        if transport is None:
            transport = MediaStreamTransport(ws, "")
        await transport.close(1000, "hangup")
