"""Test doubles and audio for the phone tests: real Mandarin speech at 8 kHz, a fast fake TTS,
a transport that records what it would send (with the real 20 ms pacing), and a scripted
dialogue engine behind the real ConversationRouter."""

import asyncio
import time
import wave
from pathlib import Path

import numpy as np

from conversation.messages import InboundMessage, Reply
from voice.audio import PCM16_8K, AudioFormat, resample_pcm16
from voice.tts.base import SynthesisError

SPEECH_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "speech"
FRAME = PCM16_8K.frame_bytes(20)


def speech_8k(name: str = "thchs30_D4_752.wav", start_s: float = 0.3, seconds: float = 2.0) -> bytes:
    """A piece of a real Mandarin clip, downsampled to the phone's 8 kHz."""
    with wave.open(str(SPEECH_DIR / name), "rb") as w:
        rate = w.getframerate()
        pcm = w.readframes(w.getnframes())
    piece = pcm[int(start_s * rate) * 2 : int((start_s + seconds) * rate) * 2]
    out = resample_pcm16(piece, rate, 8000)
    return out[: len(out) // FRAME * FRAME]


def silence(ms: int, level: float = 30.0, seed: int = 0) -> bytes:
    """Quiet line noise (not digital zero), 8 kHz PCM16."""
    rng = np.random.default_rng(seed)
    samples = (rng.standard_normal(ms * 8) * level).astype("<i2")
    return samples.tobytes()


def tone(ms: int, freq: float = 440.0, rate: int = 16000, amplitude: float = 6000.0) -> bytes:
    t = np.arange(ms * rate // 1000) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()


class FakeTTS:
    """Fast synthesis: `ms_per_char` of tone per character, in ~100 ms chunks, at 16 kHz."""

    name = "fake"
    audio_format = AudioFormat(16000, "pcm16")

    def __init__(self, ms_per_char: int = 20, chunk_delay_s: float = 0.0) -> None:
        self.ms_per_char, self.chunk_delay_s = ms_per_char, chunk_delay_s
        self.spoken: list[str] = []
        self.fail_on: set[str] = set()
        self.finished_at: list[float] = []

    async def synthesize(self, text: str, *, rate: str = "+0%"):
        if any(bad in text for bad in self.fail_on):
            raise SynthesisError(f"cannot synthesise {text!r}")
        self.spoken.append(text)
        audio = tone(len(text) * self.ms_per_char)
        step = self.audio_format.frame_bytes(100) + 1  # odd-sized chunks: the pipeline must cope
        for i in range(0, len(audio), step):
            if self.chunk_delay_s:
                await asyncio.sleep(self.chunk_delay_s)
            yield audio[i : i + step]
        self.finished_at.append(time.monotonic())


class RecordingTransport:
    """What a transport would send, with the real Playout pacing."""

    name = "test"
    audio_format = PCM16_8K

    def __init__(self) -> None:
        from channels.phone.playout import Playout

        self.frames: list[tuple[float, bytes]] = []
        self.playout = Playout(self._send, FRAME)
        self.clears = 0
        self.ended: str | None = None

    async def _send(self, frame: bytes) -> None:
        self.frames.append((time.monotonic(), frame))

    def play(self, pcm16: bytes) -> None:
        self.playout.play(pcm16)

    def clear(self) -> None:
        self.clears += 1
        self.playout.clear()

    async def drained(self) -> None:
        await self.playout.drained()

    async def end(self, disposition: str) -> None:
        self.ended = disposition


class ScriptedEngine:
    """Rasa stand-in: answers from a script, records what reached it."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.script: dict[str, list[Reply] | Exception] = {
            "/request_human": [Reply("", data={"handoff": {"reason": "requested"}})],
        }

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        self.seen.append(msg.text)
        answer = self.script.get(msg.text, [Reply(f"收到：{msg.text}")])
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def health(self) -> dict:
        return {"ok": True}

    async def parse(self, text: str) -> dict:
        return {"intent": {"name": "inform"}}


async def stream(pipeline, pcm: bytes, speed: float = 1.0) -> None:
    """Feed 8 kHz PCM16 in 20 ms frames, `speed` times real time."""
    for i in range(0, len(pcm), FRAME):
        pipeline.feed_audio(pcm[i : i + FRAME])
        await asyncio.sleep(0.02 / speed)
