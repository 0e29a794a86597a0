"""Decoding of compressed audio with PyAV (FFmpeg's libraries, bundled in the wheel): voice
notes and uploads (webm/ogg Opus, wav, mp3, m4a ...) to mono PCM16, and a streaming MP3
decoder for edge-tts. All functions here block; from async code use `decode_audio_async`
or run them in a thread.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

from voice.audio import resample_pcm16

UPLOAD_FORMATS = ("webm", "ogg", "wav", "mp3", "m4a", "pcm16")


class AudioDecodeError(ValueError):
    """The data is not audio we can decode (English message, for logs and API clients)."""


def _av() -> Any:
    try:
        import av
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise AudioDecodeError("PyAV is not installed: pip install -r requirements/gateway.txt (av)") from exc
    return av


def _frames_to_pcm(frames: list[Any]) -> bytes:
    return b"".join(f.to_ndarray().astype("<i2", copy=False).tobytes() for f in frames)


def decode_audio(source: bytes | Path, *, sample_rate: int = 16000, max_seconds: float | None = 600.0) -> bytes:
    """Any audio file or container PyAV can read -> mono PCM16 at `sample_rate`.

    Raises AudioDecodeError for data that is not audio, has no audio stream, or is longer than
    `max_seconds` (a guard against decompression bombs)."""
    av = _av()
    limit = None if max_seconds is None else int(max_seconds * sample_rate) * 2
    out = bytearray()
    try:
        src = io.BytesIO(source) if isinstance(source, bytes | bytearray) else str(source)
        with av.open(src, mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("no audio stream in the data")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
            for frame in container.decode(stream):
                out += _frames_to_pcm(resampler.resample(frame))
                if limit is not None and len(out) > limit:
                    raise AudioDecodeError(f"audio is longer than {max_seconds:g} s")
            out += _frames_to_pcm(resampler.resample(None))
    except AudioDecodeError:
        raise
    except (av.FFmpegError, OSError, ValueError, EOFError) as exc:
        raise AudioDecodeError(f"cannot decode audio: {exc}") from exc
    if not out:
        raise AudioDecodeError("the audio stream holds no samples")
    return bytes(out)


def decode_upload(
    data: bytes, fmt: str, *, sample_rate: int = 16000, max_seconds: float = 120.0, pcm16_rate: int = 16000
) -> bytes:
    """A voice message as the web chat sends it (`format`: webm|ogg|wav|mp3|m4a|pcm16; pcm16 is
    raw little-endian mono at `pcm16_rate`) -> mono PCM16 at `sample_rate`."""
    if fmt not in UPLOAD_FORMATS:
        raise AudioDecodeError(f"unsupported audio format {fmt!r} (one of {', '.join(UPLOAD_FORMATS)})")
    if not data:
        raise AudioDecodeError("empty audio")
    if fmt == "pcm16":
        if len(data) % 2:
            raise AudioDecodeError("raw PCM16 must have an even number of bytes")
        if len(data) > max_seconds * pcm16_rate * 2:
            raise AudioDecodeError(f"audio is longer than {max_seconds:g} s")
        return resample_pcm16(data, pcm16_rate, sample_rate)
    return decode_audio(data, sample_rate=sample_rate, max_seconds=max_seconds)


async def decode_audio_async(source: bytes | Path, **kwargs: Any) -> bytes:
    return await asyncio.to_thread(decode_audio, source, **kwargs)


class Mp3StreamDecoder:
    """Feed MP3 bytes as they arrive (any cut), get mono PCM16 at `sample_rate` as soon as
    whole MP3 frames are in; `flush()` at the end."""

    def __init__(self, sample_rate: int = 16000):
        av = _av()
        self._av = av
        self._codec = av.CodecContext.create("mp3", "r")
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
        self._head = b""  # the first bytes, until we know whether an ID3v2 tag is there
        self._skip = 0
        self.bad_packets = 0
        self.decoded = 0

    def _decode(self, packets: list[Any]) -> bytes:
        frames = []
        for packet in packets:
            try:
                decoded = self._codec.decode(packet)
            except self._av.InvalidDataError:
                self.bad_packets += 1  # the decoder resynchronises on the next frame
                continue
            for frame in decoded:
                frames += self._resampler.resample(frame)
        self.decoded += len(frames)
        return _frames_to_pcm(frames)

    def _strip_id3(self, data: bytes) -> bytes:
        if self._head is not None:
            self._head += data
            if len(self._head) < 10:
                return b""
            data, self._head = self._head, None  # type: ignore[assignment]
            if data[:3] == b"ID3":
                size = data[6:10]
                self._skip = 10 + ((size[0] << 21) | (size[1] << 14) | (size[2] << 7) | size[3])
        if self._skip:
            cut = min(self._skip, len(data))
            self._skip -= cut
            data = data[cut:]
        return data

    def feed(self, data: bytes) -> bytes:
        data = self._strip_id3(data)
        return self._decode(self._codec.parse(data)) if data else b""

    def flush(self) -> bytes:
        """The rest of the audio; AudioDecodeError when the whole stream held no MP3 audio."""
        tail = self._head or b""
        self._head = None  # type: ignore[assignment]
        packets = (list(self._codec.parse(tail)) if tail else []) + list(self._codec.parse(None)) + [None]
        pcm = self._decode(packets) + _frames_to_pcm(self._resampler.resample(None))
        if not self.decoded:
            raise AudioDecodeError(f"no MP3 audio in the stream ({self.bad_packets} bad packets)")
        return pcm
