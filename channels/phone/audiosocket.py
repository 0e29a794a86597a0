"""Asterisk AudioSocket: a TCP server (HOTLINE_AUDIOSOCKET_PORT, default 9092) that Asterisk's
`AudioSocket(uuid,host:port)` dialplan application connects to, one connection per call.

Framing: 1-byte kind, 2-byte big-endian payload length, payload. Kinds: 0x00 hangup,
0x01 UUID (16 bytes, first frame), 0x03 DTMF (1 ASCII character), 0x10 audio (8 kHz
signed-linear 16-bit little-endian mono), 0xff error (Asterisk sends a 1-byte code; we send an
English reason as ASCII text). Outbound audio goes out as 320-byte frames every 20 ms.

A protocol violation (unknown kind, odd audio length, second UUID, a frame cut short or stalled,
audio faster than real time) gets an error frame with the reason, a log line, and the call ends;
nothing else on the server is affected.
"""

import asyncio
import contextlib
import logging
import struct
import uuid

from channels.phone.calls import PhoneChannel, run_to_end
from channels.phone.playout import Playout
from core.log_ids import short_id
from voice import events as ev
from voice.audio import PCM16_8K
from voice.call import CallInfo, InputOverflow
from voice.pipeline import VoicePipeline

log = logging.getLogger(__name__)

KIND_HANGUP, KIND_UUID, KIND_DTMF, KIND_AUDIO, KIND_ERROR = 0x00, 0x01, 0x03, 0x10, 0xFF
OTHER_RATE_KINDS = range(0x11, 0x19)  # slin at 12/16/24/32/44.1/48/96/192 kHz (newer Asterisk)
DTMF_KEYS = "0123456789*#ABCD"
ASTERISK_ERRORS = {0x01: "hangup of the calling party", 0x02: "frame forwarding error", 0x04: "memory error"}
MAX_ERROR_TEXT = 200


class ProtocolError(Exception):
    """The peer broke the AudioSocket protocol; the message says how, in English."""


def encode_frame(kind: int, payload: bytes = b"") -> bytes:
    return struct.pack(">BH", kind, len(payload)) + payload


async def read_frame(
    reader: asyncio.StreamReader, idle_timeout_s: float, frame_timeout_s: float
) -> tuple[int, bytes] | None:
    """The next (kind, payload); None on a clean end of stream between frames."""
    try:
        header = await asyncio.wait_for(reader.readexactly(3), idle_timeout_s)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise ProtocolError(f"connection closed inside a frame header ({len(exc.partial)} of 3 bytes)") from None
    except TimeoutError:
        raise ProtocolError(f"no frame received for {idle_timeout_s:g} s") from None
    kind, length = struct.unpack(">BH", header)
    if not length:
        return kind, b""
    try:
        payload = await asyncio.wait_for(reader.readexactly(length), frame_timeout_s)
    except asyncio.IncompleteReadError as exc:
        raise ProtocolError(
            f"connection closed mid-frame: kind 0x{kind:02x} announced {length} payload bytes, got {len(exc.partial)}"
        ) from None
    except TimeoutError:
        raise ProtocolError(
            f"incomplete frame: kind 0x{kind:02x} announced {length} payload bytes, "
            f"the rest did not arrive within {frame_timeout_s:g} s"
        ) from None
    return kind, payload


class AudioSocketTransport:
    """One call's connection, as the pipeline sees it."""

    name = "audiosocket"
    audio_format = PCM16_8K

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.playout = Playout(self._send_audio, PCM16_8K.frame_bytes(20))
        self.ended = False
        self.disposition: str | None = None

    async def _send_audio(self, frame: bytes) -> None:
        self._writer.write(encode_frame(KIND_AUDIO, frame))
        await self._writer.drain()

    def play(self, pcm16: bytes) -> None:
        self.playout.play(pcm16)

    def clear(self) -> None:
        self.playout.clear()

    async def drained(self) -> None:
        await self.playout.drained()

    async def end(self, disposition: str) -> None:
        """We end the call leg. AudioSocket has no transfer message: the dialplan continues after
        AudioSocket() and asks GET /phone/calls/<uuid>/disposition whether to transfer."""
        self.disposition = disposition
        await self._send_control(KIND_HANGUP)

    async def send_error(self, reason: str) -> None:
        await self._send_control(KIND_ERROR, reason.encode("ascii", "replace")[:MAX_ERROR_TEXT])

    async def _send_control(self, kind: int, payload: bytes = b"") -> None:
        if self.ended or self._writer.is_closing():
            return
        self.ended = True
        self.playout.clear()
        try:
            self._writer.write(encode_frame(kind, payload))
            await asyncio.wait_for(self._writer.drain(), 2)
        except (ConnectionError, TimeoutError) as exc:
            log.info("could not send frame 0x%02x: %s", kind, exc)

    async def close(self) -> None:
        await self.playout.stop()
        await self._send_control(KIND_HANGUP)
        self._writer.close()
        with contextlib.suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), 2)


class AudioSocketServer:
    def __init__(
        self,
        phone: PhoneChannel,
        host: str,
        port: int,
        *,
        uuid_timeout_s: float = 5.0,
        idle_timeout_s: float = 10.0,
        frame_timeout_s: float = 2.0,
    ) -> None:
        self.phone, self.host, self.port = phone, host, port
        self.uuid_timeout_s, self.idle_timeout_s, self.frame_timeout_s = uuid_timeout_s, idle_timeout_s, frame_timeout_s
        self._server: asyncio.Server | None = None
        self.connections: set[asyncio.Task] = set()
        self.protocol_errors = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("AudioSocket server listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        await self.phone.stop()
        if self.connections:
            _, pending = await asyncio.wait(set(self.connections), timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        peer = writer.get_extra_info("peername")
        transport = AudioSocketTransport(writer)
        try:
            frame = await read_frame(reader, self.uuid_timeout_s, self.frame_timeout_s)
            if frame is None:
                log.info("AudioSocket peer %s closed before sending its UUID", peer)
                return
            call_id = self._call_id(*frame)
            call = CallInfo(call_id, caller=self.phone.caller_of(call_id))
            try:
                pipeline = self.phone.open_call(call, transport)
            except ValueError as exc:
                raise ProtocolError(str(exc)) from None
            transport.playout.start()
            reader_task = asyncio.create_task(
                self._read(reader, transport, pipeline), name=f"audiosocket-{call.call_id}"
            )
            await run_to_end(self.phone, pipeline, reader_task)
        except ProtocolError as exc:
            self.protocol_errors += 1
            log.warning("AudioSocket peer %s: %s", peer, exc)
            await transport.send_error(str(exc))
        except Exception:
            log.exception("AudioSocket connection from %s failed", peer)
        finally:
            await transport.close()
            self.connections.discard(task)

    @staticmethod
    def _call_id(kind: int, payload: bytes) -> str:
        if kind != KIND_UUID:
            raise ProtocolError(f"expected a UUID frame (kind 0x01) first, got kind 0x{kind:02x}")
        if len(payload) != 16:
            raise ProtocolError(f"UUID frame must carry 16 bytes, got {len(payload)}")
        return str(uuid.UUID(bytes=payload))

    async def _read(
        self, reader: asyncio.StreamReader, transport: AudioSocketTransport, pipeline: VoicePipeline
    ) -> None:
        code = ev.PipelineErrorCode.PROTOCOL_ERROR
        try:
            while True:
                frame = await read_frame(reader, self.idle_timeout_s, self.frame_timeout_s)
                if frame is None:
                    pipeline.caller_hangup()
                    return
                kind, payload = frame
                if kind == KIND_AUDIO:
                    if len(payload) % 2:
                        raise ProtocolError(f"audio frame of {len(payload)} bytes: 16-bit samples need an even length")
                    code = ev.PipelineErrorCode.INPUT_OVERFLOW
                    pipeline.feed_audio(payload)
                    code = ev.PipelineErrorCode.PROTOCOL_ERROR
                elif kind == KIND_DTMF:
                    key = payload.decode("ascii", "replace")
                    if len(payload) != 1 or key not in DTMF_KEYS:
                        raise ProtocolError(f"DTMF frame must carry one of {DTMF_KEYS!r}, got {payload!r}")
                    pipeline.feed_dtmf(key)
                elif kind == KIND_HANGUP:
                    pipeline.caller_hangup()
                    return
                elif kind == KIND_ERROR:
                    what = ASTERISK_ERRORS.get(payload[0], "unknown") if payload else "no code"
                    log.info(
                        "call %s: the PBX reported an error (%s: %s)",
                        short_id(pipeline.call.call_id),
                        payload.hex(),
                        what,
                    )
                    pipeline.caller_hangup()
                    return
                elif kind == KIND_UUID:
                    raise ProtocolError("a second UUID frame on one connection")
                elif kind in OTHER_RATE_KINDS:
                    raise ProtocolError(
                        f"audio kind 0x{kind:02x} is not 8 kHz; configure the channel for slin (kind 0x10)"
                    )
                else:
                    raise ProtocolError(f"unknown frame kind 0x{kind:02x} ({len(payload)} payload bytes)")
        except (ProtocolError, InputOverflow) as exc:
            self.protocol_errors += 1
            log.warning("AudioSocket call %s: %s", short_id(pipeline.call.call_id), exc)
            await transport.send_error(str(exc))
            pipeline.abort(code, str(exc))
        except ConnectionError as exc:
            log.info("AudioSocket call %s: connection lost (%s)", short_id(pipeline.call.call_id), exc)
            pipeline.caller_hangup()
