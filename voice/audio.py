"""Audio utilities for telephony: G.711 (mu-law, A-law) <-> PCM16, good-quality resampling
(batch and streaming), format conversion, framing and levels.

Pure numpy; no dependency on the `audioop` module (removed in Python 3.13). All PCM is
signed 16-bit little-endian, interleaved when there is more than one channel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_ENCODINGS = {"pcm16": 2, "mulaw": 1, "alaw": 1}


@dataclass(frozen=True)
class AudioFormat:
    sample_rate: int  # e.g. 8000, 16000
    encoding: str  # "pcm16" | "mulaw" | "alaw"
    channels: int = 1

    def __post_init__(self) -> None:
        if self.encoding not in _ENCODINGS:
            raise ValueError(f"unknown audio encoding {self.encoding!r} (pcm16, mulaw or alaw)")
        if self.sample_rate <= 0 or self.channels <= 0:
            raise ValueError("sample_rate and channels must be positive")

    @property
    def sample_width(self) -> int:
        """Bytes per sample of one channel."""
        return _ENCODINGS[self.encoding]

    @property
    def bytes_per_second(self) -> int:
        return self.sample_rate * self.sample_width * self.channels

    def frame_bytes(self, ms: int) -> int:
        """Bytes in `ms` milliseconds of audio (whole samples)."""
        return self.sample_rate * ms // 1000 * self.sample_width * self.channels

    def duration_ms(self, nbytes: int) -> float:
        return nbytes * 1000 / self.bytes_per_second


PCM16_8K = AudioFormat(8000, "pcm16")
PCM16_16K = AudioFormat(16000, "pcm16")
MULAW_8K = AudioFormat(8000, "mulaw")
ALAW_8K = AudioFormat(8000, "alaw")


def _samples(pcm16: bytes) -> np.ndarray:
    if len(pcm16) % 2:
        raise ValueError(f"PCM16 data must have an even number of bytes, got {len(pcm16)}")
    return np.frombuffer(pcm16, dtype="<i2")


# --- G.711 -------------------------------------------------------------------------------
# Segment-based companding as specified by ITU-T G.711 (the classic Sun reference algorithm).

_MULAW_BIAS = 0x84
_MULAW_CLIP = 8159  # on 14-bit magnitudes


@lru_cache(maxsize=1)
def _mulaw_decode_table() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = ((u & 0x0F) << 3) + _MULAW_BIAS
    t <<= (u & 0x70) >> 4
    return np.where(u & 0x80, _MULAW_BIAS - t, t - _MULAW_BIAS).astype("<i2")


@lru_cache(maxsize=1)
def _alaw_decode_table() -> np.ndarray:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, np.where(seg == 1, t + 0x108, (t + 0x108) << np.maximum(seg - 1, 0)))
    return np.where(a & 0x80, t, -t).astype("<i2")


def _segment(magnitude: np.ndarray, first_end: int) -> np.ndarray:
    """Index of the G.711 segment: 0 for magnitude <= first_end, then one per doubling (max 8)."""
    ends = ((first_end + 1) << np.arange(8, dtype=np.int32)) - 1  # 0xFF, 0x1FF, ... for mu-law
    return np.searchsorted(ends, magnitude, side="left").astype(np.int32)


@lru_cache(maxsize=1)
def _mulaw_encode_table() -> np.ndarray:
    """All 65536 PCM16 values -> mu-law byte (indexed by value + 32768); 14-bit G.711 input."""
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 2
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), _MULAW_CLIP) + (_MULAW_BIAS >> 2)
    seg = _segment(mag, 0x3F)
    uval = (seg << 4) | ((mag >> (seg + 1)) & 0x0F)
    return np.where(seg >= 8, 0x7F ^ mask, uval ^ mask).astype(np.uint8)


@lru_cache(maxsize=1)
def _alaw_encode_table() -> np.ndarray:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 3  # A-law works on 13-bit magnitudes
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    mag = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = _segment(mag, 0x1F)
    aval = (seg << 4) | np.where(seg < 2, (mag >> 1) & 0x0F, (mag >> np.maximum(seg, 1)) & 0x0F)
    return np.where(seg >= 8, 0x7F ^ mask, aval ^ mask).astype(np.uint8)


def mulaw_to_pcm16(data: bytes) -> bytes:
    return _mulaw_decode_table()[np.frombuffer(data, dtype=np.uint8)].tobytes()


def pcm16_to_mulaw(data: bytes) -> bytes:
    return _mulaw_encode_table()[_samples(data).astype(np.int32) + 32768].tobytes()


def alaw_to_pcm16(data: bytes) -> bytes:
    return _alaw_decode_table()[np.frombuffer(data, dtype=np.uint8)].tobytes()


def pcm16_to_alaw(data: bytes) -> bytes:
    return _alaw_encode_table()[_samples(data).astype(np.int32) + 32768].tobytes()


# --- resampling ---------------------------------------------------------------------------
# Polyphase FIR: a Kaiser-windowed sinc low-pass (about 80 dB stop-band, pass-band up to 90 %
# of the lower Nyquist frequency) evaluated only at the output instants. Output sample n sits
# exactly at input time n * src / dst, so batch and streaming give the same samples.

_ZERO_CROSSINGS = 16
_KAISER_BETA = 8.0
_CUTOFF = 0.9
_BLOCK = 4096  # output samples computed per numpy step (bounds temporary memory)


@lru_cache(maxsize=32)
def _polyphase(up: int, down: int) -> tuple[np.ndarray, int]:
    """Phase matrix H[p, k] = h[p + k*up] and the filter's centre (delay) in upsampled samples."""
    width = max(up, down)
    n_taps = 2 * _ZERO_CROSSINGS * width + 1
    centre = (n_taps - 1) // 2
    n = np.arange(n_taps) - centre
    fc = _CUTOFF / width  # cycles per upsampled sample * 2
    h = up * fc * np.sinc(fc * n) * np.kaiser(n_taps, _KAISER_BETA)
    k = -(-n_taps // up)
    padded = np.zeros(k * up)
    padded[:n_taps] = h
    return padded.reshape(k, up).T.copy(), centre


def _ratio(src_rate: int, dst_rate: int) -> tuple[int, int]:
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError("sample rates must be positive")
    g = math.gcd(src_rate, dst_rate)
    return dst_rate // g, src_rate // g


def _to_int16(y: np.ndarray) -> bytes:
    return np.clip(np.rint(y), -32768, 32767).astype("<i2").tobytes()


class StreamResampler:
    """Stateful resampler for streaming (e.g. 20 ms chunks): no clicks at chunk borders.

    `process()` returns every output sample whose input is already known; the filter looks
    `lookahead_ms` ahead, so that much audio stays inside until more input or `flush()`.
    The concatenation of all `process()` results and `flush()` equals `resample_pcm16` of the
    whole signal.
    """

    def __init__(self, src_rate: int, dst_rate: int):
        self.src_rate, self.dst_rate = src_rate, dst_rate
        self._up, self._down = _ratio(src_rate, dst_rate)
        self._phases, self._centre = _polyphase(self._up, self._down)
        self._taps = self._phases.shape[1]
        self._hist = np.zeros(self._taps, dtype=np.float64)  # input samples, zeros before t=0
        self._base = -self._taps  # absolute input index of _hist[0]
        self._n_in = 0  # input samples received
        self._n_out = 0  # output samples produced

    @property
    def lookahead_ms(self) -> float:
        return 1000 * self._centre / self._up / self.src_rate

    def _compute(self, n_end: int) -> np.ndarray:
        out = []
        for start in range(self._n_out, n_end, _BLOCK):
            n = np.arange(start, min(n_end, start + _BLOCK), dtype=np.int64)
            t = n * self._down + self._centre
            idx = (t // self._up - self._base)[:, None] - np.arange(self._taps)[None, :]
            x = self._hist[np.clip(idx, 0, len(self._hist) - 1)]
            x[idx >= len(self._hist)] = 0.0  # beyond the end (only while flushing)
            out.append(np.einsum("ij,ij->i", self._phases[t % self._up], x))
        self._n_out = n_end
        return np.concatenate(out) if out else np.zeros(0)

    def _ready_outputs(self) -> int:
        # output n is ready when (n*down + centre) // up <= n_in - 1
        last_t = self._n_in * self._up - 1
        return max(0, (last_t - self._centre) // self._down + 1) if last_t >= self._centre else 0

    def _trim(self) -> None:
        next_i = (self._n_out * self._down + self._centre) // self._up
        drop = next_i - self._taps + 1 - self._base
        if drop > 0:
            self._hist = self._hist[drop:]
            self._base += drop

    def process(self, pcm: bytes) -> bytes:
        if self._up == self._down:
            return pcm
        x = _samples(pcm).astype(np.float64)
        self._hist = np.concatenate([self._hist, x])
        self._n_in += len(x)
        y = self._compute(self._ready_outputs())
        self._trim()
        return _to_int16(y)

    def flush(self) -> bytes:
        """The remaining output (input padded with silence); the resampler then starts over."""
        if self._up == self._down:
            return b""
        total = -(-self._n_in * self._up // self._down)
        y = self._compute(total)
        self.__init__(self.src_rate, self.dst_rate)  # type: ignore[misc]
        return _to_int16(y)


def resample_pcm16(data: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Resample mono PCM16 (polyphase FIR). Output length is ceil(len * dst / src) samples."""
    if src_rate == dst_rate:
        return data
    r = StreamResampler(src_rate, dst_rate)
    return r.process(data) + r.flush()


# --- conversion, framing, levels ----------------------------------------------------------


def _to_pcm16(data: bytes, encoding: str) -> bytes:
    if encoding == "mulaw":
        return mulaw_to_pcm16(data)
    if encoding == "alaw":
        return alaw_to_pcm16(data)
    return data


def _from_pcm16(data: bytes, encoding: str) -> bytes:
    if encoding == "mulaw":
        return pcm16_to_mulaw(data)
    if encoding == "alaw":
        return pcm16_to_alaw(data)
    return data


def convert(data: bytes, src: AudioFormat, dst: AudioFormat) -> bytes:
    """Convert a whole buffer between formats (encoding, channels by averaging/duplicating,
    sample rate). For a continuous stream use `StreamConverter` to avoid border clicks."""
    if src == dst:
        return data
    pcm = _to_pcm16(data, src.encoding)
    if src.channels != 1:
        frames = _samples(pcm)[: len(pcm) // 2 // src.channels * src.channels]
        pcm = _to_int16(frames.reshape(-1, src.channels).mean(axis=1))
    pcm = resample_pcm16(pcm, src.sample_rate, dst.sample_rate)
    if dst.channels != 1:
        pcm = np.repeat(_samples(pcm), dst.channels).tobytes()
    return _from_pcm16(pcm, dst.encoding)


class StreamConverter:
    """Stateful `convert` for a mono stream cut into chunks (resampler state kept)."""

    def __init__(self, src: AudioFormat, dst: AudioFormat):
        if src.channels != 1 or dst.channels != 1:
            raise ValueError("StreamConverter handles mono audio only")
        self.src, self.dst = src, dst
        self._resampler = StreamResampler(src.sample_rate, dst.sample_rate)

    def process(self, data: bytes) -> bytes:
        pcm = self._resampler.process(_to_pcm16(data, self.src.encoding))
        return _from_pcm16(pcm, self.dst.encoding)

    def flush(self) -> bytes:
        return _from_pcm16(self._resampler.flush(), self.dst.encoding)


def chunk(data: bytes, size: int, *, pad: bool = True) -> list[bytes]:
    """Cut `data` into pieces of `size` bytes. The last piece is zero-padded to `size` (so every
    telephony frame has the same length; zero is silence in PCM16) unless `pad=False`.
    Note: for mu-law/A-law silence is 0xFF/0xD5, so pad PCM16 before encoding."""
    if size <= 0:
        raise ValueError("chunk size must be positive")
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    if pad and pieces and len(pieces[-1]) < size:
        pieces[-1] = pieces[-1] + b"\x00" * (size - len(pieces[-1]))
    return pieces


SILENCE_DBFS = -100.0


def rms_dbfs(pcm16: bytes) -> float:
    """Level of PCM16 audio in dB relative to full scale; SILENCE_DBFS (-100) for digital silence."""
    x = _samples(pcm16).astype(np.float64)
    if not len(x):
        return SILENCE_DBFS
    rms = math.sqrt(float(np.mean(x * x)))
    return max(20 * math.log10(rms / 32768), SILENCE_DBFS) if rms > 0 else SILENCE_DBFS
