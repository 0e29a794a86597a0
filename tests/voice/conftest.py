"""Shared helpers for the voice tests: the real Mandarin clips in ../shared/data/speech/."""

import wave
from pathlib import Path

import numpy as np
import pytest

SPEECH_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "speech"


def speech_clips() -> list[Path]:
    return sorted(SPEECH_DIR.glob("*.wav"))


def read_wav(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return w.readframes(w.getnframes()), w.getframerate()


def transcripts() -> dict[str, str]:
    lines = (SPEECH_DIR / "transcripts.tsv").read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def sine(freq: float, seconds: float, rate: int, amplitude: float = 8000.0) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()


def dominant_frequency(pcm: bytes, rate: int) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


@pytest.fixture(scope="session")
def speech_16k() -> dict[str, bytes]:
    clips = speech_clips()
    if not clips:
        pytest.skip(f"no speech clips in {SPEECH_DIR}")
    out = {}
    for path in clips:
        pcm, rate = read_wav(path)
        assert rate == 16000
        out[path.name] = pcm
    return out
