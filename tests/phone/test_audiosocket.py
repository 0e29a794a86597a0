"""The AudioSocket server against a real TCP client speaking Asterisk's framing, streaming real
Mandarin speech (8 kHz) at real-time pace: greeting audio, paced frames, transcript events,
barge-in flush, DTMF handoff, hangup, bad input and clean teardown."""

import asyncio
import os
import struct
import time
import uuid

from channels.phone.audiosocket import encode_frame
from tests.phone.clients import AudioSocketClient, loud
from tests.phone.fakes import silence, speech_8k

HOST = "127.0.0.1"


async def connect(server, call_id=None) -> AudioSocketClient:
    return await AudioSocketClient.connect(HOST, server.port, call_id)


async def test_greeting_arrives_as_paced_320_byte_frames(audiosocket, phone):
    client = await connect(audiosocket)
    started = time.monotonic()
    end = await phone.wait_event(client.call_id, "tts-end")
    await asyncio.sleep(0.1)
    frames = [f for _, f in client.audio]
    assert frames and all(len(f) == 320 for f in frames)
    assert client.audio[0][0] - started < 1.0, "greeting audio starts within a second"
    assert sum(loud(f) for f in frames) > 10
    span = client.audio[-1][0] - client.audio[0][0]
    assert span >= 0.02 * (len(frames) - 1) * 0.9, "frames are paced in real time, not burst"
    assert end.data["audio_ms"] >= 20 * (len(frames) - 1)
    await client.hangup()
    await client.wait_closed()
    await phone.wait_idle()
    assert phone.types(client.call_id)[-1] == "run-end"


async def test_a_spoken_turn_yields_transcript_events_and_a_reply(audiosocket, phone):
    client = await connect(audiosocket)
    await phone.wait_event(client.call_id, "tts-end")
    n = len(phone.events[client.call_id])
    await client.stream(speech_8k() + silence(900))
    stt_end = await phone.wait_event(client.call_id, "stt-end")
    assert stt_end.data["text"] == "我要投诉楼下烧烤店太吵"
    await phone.wait_event(client.call_id, "tts-end", after=n)
    assert phone.types(client.call_id)[:9] == [
        "run-start",
        "tts-start",
        "tts-end",
        "stt-start",
        "stt-vad-end",
        "stt-end",
        "intent-start",
        "intent-end",
        "tts-start",
    ]
    assert any(e.type == "stt-partial" for e in phone.events[client.call_id])
    assert client.first_loud_after(time.monotonic() - 5) is not None
    await client.hangup()
    await client.wait_closed()


async def test_barge_in_flushes_the_outbound_queue(audiosocket, phone):
    phone.tts.ms_per_char = 120  # a long greeting (~4 s of audio)
    client = await connect(audiosocket)
    await phone.wait_event(client.call_id, "tts-start")
    await asyncio.sleep(0.5)
    await client.stream(speech_8k(seconds=1.0))
    barge = await phone.wait_event(client.call_id, "barge-in")
    greeting_end = await phone.wait_event(client.call_id, "tts-end")
    assert greeting_end.data["interrupted"] is True
    # Frames stop at once: nothing of the greeting arrives later than ~3 frames after the barge-in.
    barge_at = client.audio[0][0] + (barge.t_ms - phone.events[client.call_id][1].t_ms) / 1000
    late = [t for t, _ in client.audio if t > barge_at + 0.15]
    assert len(client.audio) * 20 < greeting_end.data["audio_ms"], "the rest of the greeting was never sent"
    assert not late or late[0] > barge_at + 0.5  # only the next reply's audio, after the turn
    await client.hangup()
    await client.wait_closed()


async def test_dtmf_zero_transfers_the_call(audiosocket, phone):
    client = await connect(audiosocket)
    await phone.wait_event(client.call_id, "tts-end")
    await client.dtmf("0")
    await client.wait_closed()
    assert client.hung_up and client.error is None
    types = phone.types(client.call_id)
    assert types[-4:] == ["tts-start", "tts-end", "handoff", "run-end"]
    assert phone.events[client.call_id][-1].data["reason"] == "transfer"
    assert phone.channel.disposition(client.call_id) == "transfer"
    conv = phone.store.get(f"phone:{client.call_id}")
    assert conv.mode == "queued"


async def test_dtmf_digits_query_a_work_order(audiosocket, phone):
    client = await connect(audiosocket)
    await phone.wait_event(client.call_id, "tts-end")
    await client.dtmf("26112100042#")
    await phone.wait_event(client.call_id, "intent-end")
    assert phone.engine.seen == ["查询工单 26112100042"]
    await client.hangup()
    await client.wait_closed()
    await phone.wait_idle()
    assert phone.channel.disposition(client.call_id) == "hangup"


async def test_caller_hangup_mid_greeting_tears_everything_down(audiosocket, phone):
    client = await connect(audiosocket)
    await phone.wait_event(client.call_id, "tts-start")
    await client.hangup()
    await client.wait_closed()
    await phone.wait_idle()
    assert phone.types(client.call_id) == ["run-start", "tts-start", "error", "run-end"]
    assert phone.stt.open_streams == phone.channel.pool.idle == 1  # only the warm stream waiting in the pool
    assert not audiosocket.connections


async def test_socket_closed_without_hangup_frame(audiosocket, phone):
    client = await connect(audiosocket)
    await phone.wait_event(client.call_id, "tts-start")
    await client.close()
    end = await phone.wait_event(client.call_id, "run-end")
    assert end.data["reason"] == "caller-hangup"


async def test_never_speaking_caller_is_reprompted_then_hung_up(tmp_path):
    from channels.phone.audiosocket import AudioSocketServer
    from tests.phone.conftest import make_phone

    phone = make_phone(tmp_path, silence_timeout_s=0.4)
    server = AudioSocketServer(phone.channel, HOST, 0)
    await server.start()
    try:
        client = await connect(server)
        streaming = asyncio.create_task(client.stream(silence(15000)))
        await client.wait_closed(15)
        streaming.cancel()
        await asyncio.gather(streaming, return_exceptions=True)
        assert client.hung_up
        assert [e.data.get("code") for e in phone.events[client.call_id] if e.type == "error"] == ["caller-silent"]
        assert phone.events[client.call_id][-1].data["reason"] == "caller-silent"
        await phone.wait_idle()
    finally:
        await server.stop()
    assert phone.stt.open_streams == 0


async def bad_client(server, data: bytes, *, uuid_first=True, then_wait=True) -> AudioSocketClient:
    reader, writer = await asyncio.open_connection(HOST, server.port)
    client = AudioSocketClient(reader, writer, str(uuid.uuid4()))
    if uuid_first:
        await client.send_frame(0x01, uuid.UUID(client.call_id).bytes)
    await client.send_raw(data)
    if then_wait:
        await client.wait_closed(5)
    return client


async def test_first_frame_must_be_the_uuid(audiosocket):
    client = await bad_client(audiosocket, encode_frame(0x10, b"\x00" * 320), uuid_first=False)
    assert "expected a UUID frame" in client.error


async def test_uuid_of_the_wrong_length(audiosocket):
    client = await bad_client(audiosocket, encode_frame(0x01, b"abc"), uuid_first=False)
    assert "16 bytes" in client.error


async def test_unknown_kind_gets_an_error_frame(audiosocket, phone):
    client = await bad_client(audiosocket, encode_frame(0x42, b"xyz"))
    assert client.error == "unknown frame kind 0x42 (3 payload bytes)"
    await phone.wait_event(client.call_id, "run-end")
    assert [e.data["code"] for e in phone.events[client.call_id] if e.type == "error"][0] == "protocol-error"


async def test_odd_audio_length_and_bad_dtmf(audiosocket):
    client = await bad_client(audiosocket, encode_frame(0x10, b"\x00" * 321))
    assert "even length" in client.error
    client = await bad_client(audiosocket, encode_frame(0x03, b"12"))
    assert "DTMF frame" in client.error


async def test_higher_rate_audio_is_refused_clearly(audiosocket):
    client = await bad_client(audiosocket, encode_frame(0x12, b"\x00" * 640))
    assert "not 8 kHz" in client.error


async def test_client_stopping_mid_frame(audiosocket, phone):
    client = await bad_client(audiosocket, struct.pack(">BH", 0x10, 320) + b"\x00" * 100, then_wait=False)
    await client.close()  # gone with 220 bytes missing
    await phone.wait_event(client.call_id, "run-end")
    error = [e for e in phone.events[client.call_id] if e.type == "error"][0]
    assert error.data["message"] == "connection closed mid-frame: kind 0x10 announced 320 payload bytes, got 100"


async def test_client_stalling_mid_frame(audiosocket):
    client = await bad_client(audiosocket, struct.pack(">BH", 0x10, 320) + b"\x00" * 100)
    assert "did not arrive within 0.5 s" in client.error


async def test_garbage_bytes(audiosocket, phone):
    client = await bad_client(audiosocket, bytes([0x7E, 0x00, 0x04]) + os.urandom(4))
    assert client.error.startswith("unknown frame kind 0x7e")
    client = await bad_client(audiosocket, os.urandom(2000), uuid_first=False)
    assert client.error  # whatever the bytes said, a clear reason came back


async def test_audio_faster_than_real_time(audiosocket, phone):
    client = await bad_client(audiosocket, b"".join(encode_frame(0x10, f) for f in [b"\x00" * 320] * 400))
    assert "faster than real time" in client.error
    await phone.wait_event(client.call_id, "run-end")
    assert phone.events[client.call_id][-1].data["reason"] == "input-overflow"


async def test_silent_connection_times_out(audiosocket):
    client = await bad_client(audiosocket, b"")
    assert client.error == "no frame received for 3 s"


async def test_server_keeps_serving_after_bad_clients_and_in_parallel(audiosocket, phone):
    await bad_client(audiosocket, encode_frame(0x42))
    clients = [await connect(audiosocket) for _ in range(3)]
    for client in clients:
        await phone.wait_event(client.call_id, "tts-end")
        assert client.audio
    assert len(phone.channel.calls) == 3
    for client in clients:
        await client.hangup()
    for client in clients:
        await client.wait_closed()
    await phone.wait_idle()


async def test_recognition_streams_are_lent_per_utterance_and_reused(audiosocket, phone):
    for _ in range(3):  # three calls one after the other, one utterance each
        client = await connect(audiosocket)
        await phone.wait_event(client.call_id, "tts-end")
        greeted = len(phone.events[client.call_id])
        await client.stream(speech_8k(seconds=1.0) + silence(900))
        await phone.wait_event(client.call_id, "stt-vad-end", after=greeted)
        await phone.wait_event(client.call_id, "tts-end", after=greeted)  # the answer
        await client.hangup()
        await client.wait_closed()
        await phone.wait_idle()
    assert phone.channel.pool.opened == 1, "the warm stream of the first call served the next ones"
    assert phone.stt.open_streams == phone.channel.pool.idle == 1


async def test_duplicate_call_uuid_is_refused(audiosocket, phone):
    first = await connect(audiosocket)
    await phone.wait_event(first.call_id, "run-start")
    second = await connect(audiosocket, first.call_id)
    await second.wait_closed()
    assert "already connected" in second.error
    await first.hangup()
    await first.wait_closed()


async def test_caller_announced_by_the_dialplan_is_stored_masked(audiosocket, phone):
    call_id = str(uuid.uuid4())
    phone.channel.announce_caller(call_id, "13812345678")
    client = await connect(audiosocket, call_id)
    await phone.wait_event(call_id, "tts-start")
    assert phone.store.get(f"phone:{call_id}").user_id == "138****5678"
    await client.hangup()
    await client.wait_closed()
