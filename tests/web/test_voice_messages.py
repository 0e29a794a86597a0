"""Voice messages on /ws/chat: VoiceMessages with the real PyAV decoder (every refusal), and through
the real web chat router with a scripted dialogue engine, a fake recogniser and a real SQLite store."""

import base64
import io
import wave

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.web import chat_socket
from channels.web.chat_socket import WebChat, WebChatChannel
from channels.web.protocol import FrameError
from channels.web.voice_messages import VoiceMessages
from conversation.messages import InboundMessage, Reply
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.metrics import Metrics
from voice.decode import decode_upload


class FakeSpeech:
    def __init__(self, text: str = "我要投诉楼下太吵", up: bool = True) -> None:
        self.text, self.up = text, up
        self.heard: list[int] = []

    def available(self) -> bool:
        return self.up

    async def transcribe(self, pcm16: bytes) -> str:
        self.heard.append(len(pcm16))
        if isinstance(self.text, Exception):
            raise self.text
        return self.text


def tone(ms: int, rate: int = 16000) -> bytes:
    t = np.arange(rate * ms // 1000) / rate
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2").tobytes()


def wav_bytes(pcm: bytes, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def voice(speech=None, max_bytes=1_000_000, max_seconds=60.0) -> VoiceMessages:
    return VoiceMessages(
        speech if speech is not None else FakeSpeech(), decode_upload, max_bytes=max_bytes, max_seconds=max_seconds
    )


async def refusal(v: VoiceMessages, data: str, fmt: str = "wav") -> FrameError:
    with pytest.raises(FrameError) as info:
        await v.recognise(data, fmt)
    err = info.value
    assert err.message and err.detail and any("\u4e00" <= ch <= "\u9fff" for ch in err.message)
    return err


async def test_wav_is_recognised_with_its_duration():
    speech = FakeSpeech("你好")
    heard = await voice(speech).recognise(b64(wav_bytes(tone(1500))), "wav")
    assert (heard.text, heard.duration_ms, heard.audio_format) == ("你好", 1500, "wav")
    assert speech.heard == [1500 * 32]
    assert heard.metadata() == {"kind": "voice", "duration_ms": 1500, "format": "wav"}
    assert heard.frame() == {"type": "transcript", "text": "你好", "duration_ms": 1500}


async def test_wav_at_another_rate_is_resampled():
    speech = FakeSpeech("你好")
    heard = await voice(speech).recognise(b64(wav_bytes(tone(1000, rate=8000), rate=8000)), "wav")
    assert abs(heard.duration_ms - 1000) <= 20 and abs(speech.heard[0] - 32000) <= 640


async def test_pcm16_passes_through():
    heard = await voice().recognise(b64(tone(800)), "pcm16")
    assert heard.duration_ms == 800


async def test_bad_base64():
    err = await refusal(voice(), "这不是base64!!")
    assert err.code == "invalid_audio" and "base64" in err.detail


async def test_empty_audio():
    assert (await refusal(voice(), "")).code == "invalid_audio"


async def test_too_large_is_refused_before_decoding():
    speech = FakeSpeech()
    err = await refusal(voice(speech, max_bytes=10_000), b64(wav_bytes(tone(1000))))
    assert err.code == "audio_too_large" and speech.heard == []


async def test_too_long():
    err = await refusal(voice(max_seconds=1.0), b64(wav_bytes(tone(1500))))
    assert err.code == "audio_too_long" and "1500 ms" in err.detail


async def test_undecodable_audio():
    err = await refusal(voice(), b64(b"RIFF....not really a wave file"))
    assert err.code == "invalid_audio" and "could not be decoded" in err.detail
    err = await refusal(voice(), b64(b"\x1a\x45\xdf\xa3 webm header only"), "webm")
    assert err.code == "invalid_audio"


async def test_silence_or_nothing_recognised():
    assert (await refusal(voice(FakeSpeech("  ")), b64(wav_bytes(tone(1000))))).code == "asr_empty"
    assert (await refusal(voice(), b64(wav_bytes(tone(50))))).code == "asr_empty"


async def test_recogniser_unavailable_or_failing():
    assert (await refusal(voice(FakeSpeech(up=False)), b64(tone(1000)), "pcm16")).code == "audio_unavailable"
    failing = FakeSpeech(RuntimeError("model crashed"))
    err = await refusal(voice(failing), b64(tone(1000)), "pcm16")
    assert err.code == "audio_unavailable" and "RuntimeError" in err.detail


# ---------- through /ws/chat ----------


class ScriptedEngine:
    def __init__(self) -> None:
        self.seen: list[InboundMessage] = []

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        self.seen.append(msg)
        return [Reply(f"收到：{msg.text}")]

    async def health(self) -> dict:
        return {"ok": True}


@pytest.fixture()
def chat(tmp_path):
    db = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    init_db(db)
    store = ConversationStore(db)
    engine = ScriptedEngine()
    conversations = ConversationRouter(store, engine, Metrics())
    speech = FakeSpeech("我要投诉楼下太吵")

    def make(with_voice: bool = True) -> TestClient:
        app = FastAPI()
        v = VoiceMessages(speech, decode_upload, max_bytes=1_000_000) if with_voice else None
        app.state.web_chat = WebChat(conversations, WebChatChannel(), 2000, v)
        app.include_router(chat_socket.router)
        return TestClient(app)

    return make, store, engine, speech


def open_session(client: TestClient):
    ws = client.websocket_connect("/ws/chat").__enter__()
    session = ws.receive_json()
    assert ws.receive_json()["type"] == "status"
    return ws, session["conversation_id"]


def test_voice_frame_becomes_a_stored_message_then_the_bot_answers(chat):
    make, store, engine, _speech = chat
    ws, conv_id = open_session(make())
    ws.send_json({"type": "audio", "format": "wav", "data": b64(wav_bytes(tone(2000)))})
    assert ws.receive_json() == {"type": "transcript", "text": "我要投诉楼下太吵", "duration_ms": 2000}
    reply = ws.receive_json()
    assert reply["type"] == "message" and reply["text"] == "收到：我要投诉楼下太吵"
    [seen] = engine.seen
    assert seen.metadata["kind"] == "voice" and seen.metadata["duration_ms"] == 2000
    rows = store.history(conv_id)
    assert [(r.direction, r.text) for r in rows] == [("in", "我要投诉楼下太吵"), ("out", "收到：我要投诉楼下太吵")]
    assert rows[0].payload["kind"] == "voice"
    ws.close()


def test_refused_audio_stores_nothing_and_the_socket_stays_open(chat):
    make, store, engine, speech = chat
    ws, conv_id = open_session(make())
    ws.send_json({"type": "audio", "format": "wav", "data": "%%%"})
    err = ws.receive_json()
    assert (err["type"], err["code"]) == ("error", "invalid_audio") and err["message"] and err["detail"]
    speech.up = False
    ws.send_json({"type": "audio", "format": "pcm16", "data": b64(tone(1000))})
    assert ws.receive_json()["code"] == "audio_unavailable"
    assert store.history(conv_id) == [] and engine.seen == []
    ws.send_json({"type": "text", "text": "还在吗"})
    assert ws.receive_json()["text"] == "收到：还在吗"
    ws.close()


def test_without_a_recogniser_audio_is_unavailable(chat):
    make, store, _engine, _speech = chat
    ws, conv_id = open_session(make(with_voice=False))
    ws.send_json({"type": "audio", "format": "webm", "data": b64(b"\x1a\x45\xdf\xa3")})
    err = ws.receive_json()
    assert err["code"] == "audio_unavailable" and "文字" in err["message"]
    assert store.history(conv_id) == []
    ws.close()
