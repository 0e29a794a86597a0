"""/ws/media against a real `websockets` client speaking Twilio's Media Streams messages, on a
real uvicorn server: greeting media, marks, transcript events, barge-in `clear`, DTMF handoff
(transfer mark, close reason, TwiML), stop, bad input and clean teardown."""

import asyncio
import json
import time

import httpx
import websockets

from tests.phone.clients import MediaStreamClient, loud
from tests.phone.fakes import silence, speech_8k


async def open_call(media_server, **kwargs) -> MediaStreamClient:
    ws_url, _ = media_server
    return await MediaStreamClient.connect(f"{ws_url}/ws/media", **kwargs)


async def test_greeting_media_and_a_mark(media_server, phone):
    client = await open_call(media_server, caller="+8613812345678")
    await phone.wait_event(client.call_sid, "tts-end")
    await asyncio.sleep(0.2)
    assert client.media and all(len(pcm) == 320 for _, pcm in client.media)  # 160 μ-law bytes = 20 ms
    assert sum(loud(pcm) for _, pcm in client.media) > 10
    assert [name for _, name in client.marks] == ["reply-1"]
    assert client.marks[0][0] >= client.media[-1][0]
    conv = phone.store.get(f"phone:{client.call_sid}")
    assert conv.user_id == "138****5678"  # the caller number is masked before it is stored
    await client.stop()
    await client.wait_closed()
    assert client.close_code == 1000
    await phone.wait_idle()
    assert phone.types(client.call_sid)[-1] == "run-end"


async def test_spoken_turn_and_barge_in_clear(media_server, phone):
    phone.tts.ms_per_char = 120
    client = await open_call(media_server)
    await phone.wait_event(client.call_sid, "tts-start")
    await asyncio.sleep(0.4)
    sent_at = time.monotonic()
    await client.stream(speech_8k() + silence(900))
    await phone.wait_event(client.call_sid, "barge-in")
    assert client.clears and client.clears[0] >= sent_at
    stt_end = await phone.wait_event(client.call_sid, "stt-end")
    assert stt_end.data["text"] == "我要投诉楼下烧烤店太吵"
    await phone.wait_event(client.call_sid, "intent-end")
    assert phone.engine.seen == ["我要投诉楼下烧烤店太吵"]
    types = phone.types(client.call_sid)
    assert types[:8] == [
        "run-start",
        "tts-start",
        "barge-in",
        "tts-end",
        "stt-start",
        "stt-vad-end",
        "stt-end",
        "intent-start",
    ]
    await client.stop()
    await client.wait_closed()


async def test_dtmf_zero_transfers_with_a_mark_and_close_reason(media_server, phone):
    _, http = media_server
    client = await open_call(media_server)
    await phone.wait_event(client.call_sid, "tts-end")
    await client.dtmf("0")
    await client.wait_closed()
    assert (client.close_code, client.close_reason) == (1000, "transfer")
    assert client.marks[-1][1] == "transfer"
    async with httpx.AsyncClient(base_url=http) as web:
        twiml = await web.post("/phone/twilio/after-stream", data={"CallSid": client.call_sid})
        assert "<Enqueue>12345-agents</Enqueue>" in twiml.text
        plain = await web.get(f"/phone/calls/{client.call_sid}/disposition")
        assert (plain.status_code, plain.text) == (200, "transfer")
        unknown = await web.get("/phone/calls/CAnope/disposition")
        assert (unknown.status_code, unknown.text) == (404, "unknown")


async def test_dialplan_announces_the_caller(media_server, phone):
    _, http = media_server
    async with httpx.AsyncClient(base_url=http) as web:
        ok = await web.post("/phone/calls/5a0c0f1e-1111-4222-8333-444455556666/caller", data={"number": "13812345678"})
        assert (ok.status_code, ok.text) == (200, "ok")
        bad = await web.post("/phone/calls/x/caller", data={})
        assert bad.status_code == 400 and "number" in bad.text
    assert phone.channel.caller_of("5a0c0f1e-1111-4222-8333-444455556666") == "13812345678"


async def test_twiml_for_an_incoming_call(media_server, phone):
    _, http = media_server
    async with httpx.AsyncClient(base_url=http) as web:
        resp = await web.post(
            "/phone/twilio/voice",
            data={"CallSid": "CA1", "From": "+8613812345678"},
            headers={"x-forwarded-proto": "https", "host": "hotline.example.cn"},
        )
    assert resp.headers["content-type"].startswith("application/xml")
    assert '<Stream url="wss://hotline.example.cn/ws/media">' in resp.text
    assert '<Connect action="https://hotline.example.cn/phone/twilio/after-stream">' in resp.text
    assert '<Parameter name="caller" value="+8613812345678"/>' in resp.text


async def test_stop_after_a_normal_call_hangs_up(media_server, phone):
    _, http = media_server
    client = await open_call(media_server)
    await phone.wait_event(client.call_sid, "tts-start")
    await client.stop()
    await client.wait_closed()
    await phone.wait_event(client.call_sid, "run-end")
    assert phone.types(client.call_sid) == ["run-start", "tts-start", "error", "run-end"]
    async with httpx.AsyncClient(base_url=http) as web:
        twiml = await web.post("/phone/twilio/after-stream", data={"CallSid": client.call_sid})
    assert "<Hangup/>" in twiml.text


async def raw(media_server, *messages, wait=True):
    ws_url, _ = media_server
    ws = await websockets.connect(f"{ws_url}/ws/media")
    for message in messages:
        await ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))
    if wait:
        try:
            async with asyncio.timeout(15):
                async for _ in ws:
                    pass
        except websockets.ConnectionClosed:
            pass
    return ws


START = {"event": "start", "streamSid": "MZ1", "start": {"streamSid": "MZ1", "callSid": "CAbad",
         "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}  # fmt: skip


async def test_bad_input_closes_with_a_code_and_reason(media_server, phone):
    ws = await raw(media_server, "{not json")
    assert ws.close_code == 1007 and ws.close_reason.startswith("invalid JSON")
    ws = await raw(media_server, b"\x00\x01")
    assert ws.close_code == 1003 and "binary frames" in ws.close_reason
    ws = await raw(media_server, {"event": "media", "media": {"payload": ""}})
    assert (
        ws.close_code == 1008
        and ws.close_reason == "'media' before 'start'; the stream must begin with connected/start"
    )
    bad_format = json.loads(json.dumps(START))
    bad_format["start"]["mediaFormat"] = {"encoding": "audio/l16", "sampleRate": 16000, "channels": 1}
    ws = await raw(media_server, bad_format)
    assert ws.close_code == 1003 and "expected audio/x-mulaw" in ws.close_reason
    bad_sid = json.loads(json.dumps(START))
    bad_sid["start"]["callSid"] = "CA<script>" + "x" * 100
    ws = await raw(media_server, bad_sid)
    assert ws.close_code == 1007 and ws.close_reason == "callSid must be 1-64 letters, digits, '-' or '_'"
    ws = await raw(media_server, ["a", "list"])
    assert ws.close_code == 1007
    ws = await raw(media_server, START, {"event": "media", "streamSid": "MZ1", "media": {"payload": "@@notbase64@@"}})
    assert ws.close_code == 1007 and ws.close_reason == "media payload is not valid base64"
    await phone.wait_idle()


async def test_unknown_events_and_odd_dtmf_are_ignored(media_server, phone):
    client = await open_call(media_server)
    await client.send({"event": "something-new", "streamSid": client.stream_sid})
    await client.send({"event": "dtmf", "streamSid": client.stream_sid, "dtmf": {"digit": "??"}})
    await phone.wait_event(client.call_sid, "tts-end")
    assert not client.closed.is_set()
    await client.stop()
    await client.wait_closed()


async def test_media_faster_than_real_time_is_refused(media_server, phone):
    client = await open_call(media_server)
    for _ in range(300):  # 6 s of audio at once
        await client.send_media(b"\x00" * 320)
    await client.wait_closed()
    assert client.close_code == 1008 and "faster than real time" in client.close_reason
    end = await phone.wait_event(client.call_sid, "run-end")
    assert end.data["reason"] == "input-overflow"


async def test_client_that_vanishes_is_cleaned_up(media_server, phone):
    client = await open_call(media_server)
    await phone.wait_event(client.call_sid, "tts-start")
    client.ws.transport.abort()  # the TCP connection drops without a closing handshake
    end = await phone.wait_event(client.call_sid, "run-end")
    assert end.data["reason"] == "caller-hangup"


async def test_silent_socket_times_out_with_a_reason(media_server, phone, monkeypatch):
    import channels.phone.media_stream as media_stream

    monkeypatch.setattr(media_stream, "START_TIMEOUT_S", 0.5)
    monkeypatch.setattr(media_stream, "IDLE_TIMEOUT_S", 0.5)
    ws = await raw(media_server)  # connects and says nothing
    assert (ws.close_code, ws.close_reason) == (1008, "no start event within 0.5 s")
    client = await open_call(media_server)  # starts, then sends no media at all
    await client.wait_closed()
    assert (client.close_code, client.close_reason) == (1008, "no message within 0.5 s")
    end = await phone.wait_event(client.call_sid, "run-end")
    assert end.data["reason"] == "protocol-error"
