"""GET /api/tts: replies read aloud as WAV by the real espeak-ng provider (slower in 长辈模式),
and clear errors when synthesis is missing or fails."""

import io
import wave

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.web import speech_route
from core.settings import Settings
from voice.audio import AudioFormat
from voice.tts import SynthesisError, TextToSpeech
from voice.tts.espeak_provider import EspeakTextToSpeech


class BrokenTts(TextToSpeech):
    name = "broken"
    audio_format = AudioFormat(16000, "pcm16")

    async def synthesize(self, text, *, rate="+0%"):
        raise SynthesisError("service unreachable")
        yield b""  # pragma: no cover


def client(tts) -> TestClient:
    app = FastAPI()
    app.state.tts, app.state.settings = tts, Settings(tts_rate="+0%", tts_elder_rate="-40%")
    app.include_router(speech_route.router)
    return TestClient(app)


def seconds(wav_data: bytes) -> float:
    with wave.open(io.BytesIO(wav_data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        return w.getnframes() / w.getframerate()


def test_reply_is_read_aloud_and_slower_for_elders():
    espeak = EspeakTextToSpeech()
    if not espeak.available():
        pytest.fail("espeak-ng is missing: apt-get install espeak-ng")
    http = client(espeak)
    text = "您好，这里是12345市民服务热线，请问有什么可以帮您？"
    normal = http.get("/api/tts", params={"text": text, "rate": "normal"})
    assert normal.status_code == 200 and normal.headers["content-type"] == "audio/wav"
    slow = http.get("/api/tts", params={"text": text, "rate": "slow"})
    assert 1.0 < seconds(normal.content) < seconds(slow.content)


def test_errors_are_clear():
    http = client(BrokenTts())
    failed = http.get("/api/tts", params={"text": "你好"})
    assert failed.status_code == 503 and failed.json()["error"] == "tts_unavailable"
    assert client(None).get("/api/tts", params={"text": "你好"}).json()["error"] == "tts_unavailable"
    assert http.get("/api/tts", params={"text": "你好\x07"}).status_code == 400
    assert http.get("/api/tts", params={"text": "长" * 501}).status_code == 422
    assert http.get("/api/tts", params={"text": "你好", "rate": "fast"}).status_code == 422
    assert http.get("/api/tts").status_code == 422
