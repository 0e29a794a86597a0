"""Offline speech synthesis with Debian's espeak-ng (`cmn` Mandarin voice): robotic but always
there, so a call never goes silent when the online voice is unreachable.

espeak-ng writes a WAV stream to stdout as it synthesizes; the header is parsed and the PCM is
resampled to the declared format and yielded chunk by chunk. Closing the iterator early
(barge-in) kills the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import struct
from collections.abc import AsyncIterator

from voice.audio import AudioFormat, StreamResampler
from voice.tts.base import SynthesisError, TextToSpeech, rate_percent

log = logging.getLogger(__name__)

BASE_WPM = 175  # espeak-ng's default speed; rate "+0%" keeps it
_READ = 4096


class EspeakTextToSpeech(TextToSpeech):
    name = "espeak"

    def __init__(
        self, voice: str = "cmn", *, sample_rate: int = 16000, binary: str = "espeak-ng", timeout_s: float = 15.0
    ):
        self.voice = voice
        self.audio_format = AudioFormat(sample_rate, "pcm16")
        self.binary = binary
        self.timeout_s = timeout_s

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def speed_wpm(self, rate: str) -> int:
        return max(80, min(450, round(BASE_WPM * (1 + rate_percent(rate) / 100))))

    async def synthesize(self, text: str, *, rate: str = "+0%") -> AsyncIterator[bytes]:
        if not text.strip():
            return
        args = [self.binary, "-v", self.voice, "-s", str(self.speed_wpm(rate)), "--stdout", "--stdin"]
        try:
            proc = await asyncio.create_subprocess_exec(
                *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
        except OSError as exc:
            raise SynthesisError(f"espeak-ng cannot start ({exc}); install the Debian package espeak-ng") from exc
        try:
            assert proc.stdin and proc.stdout
            proc.stdin.write(text.encode("utf-8"))
            proc.stdin.close()
            src_rate, first = await asyncio.wait_for(_read_wav_header(proc.stdout), self.timeout_s)
            resampler = StreamResampler(src_rate, self.audio_format.sample_rate)
            carry = first
            while True:
                # a time limit per read, never across a yield (the consumer may pace playback)
                data = carry + await asyncio.wait_for(proc.stdout.read(_READ), self.timeout_s)
                if len(data) == len(carry):
                    break
                cut = len(data) - len(data) % 2
                carry = data[cut:]
                if pcm := resampler.process(data[:cut]):
                    yield pcm
            if tail := resampler.flush():
                yield tail
            code = await asyncio.wait_for(proc.wait(), self.timeout_s)
            if code != 0:
                err = (await proc.stderr.read()).decode(errors="replace").strip() if proc.stderr else ""
                raise SynthesisError(f"espeak-ng exited with {code}: {err[:200]}")
        except TimeoutError as exc:
            raise SynthesisError(f"espeak-ng gave no output for {self.timeout_s:g} s") from exc
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()


async def _read_wav_header(stream: asyncio.StreamReader) -> tuple[int, bytes]:
    """Parse a (streaming) RIFF/WAVE header; returns the sample rate and any PCM read past it."""
    buf = b""

    async def need(n: int) -> None:
        nonlocal buf
        while len(buf) < n:
            more = await stream.read(_READ)
            if not more:
                raise SynthesisError("espeak-ng produced no WAV audio")
            buf += more

    await need(12)
    if buf[:4] != b"RIFF" or buf[8:12] != b"WAVE":
        raise SynthesisError("espeak-ng output is not WAV")
    pos, rate = 12, 0
    while True:
        await need(pos + 8)
        chunk_id, size = buf[pos : pos + 4], struct.unpack("<I", buf[pos + 4 : pos + 8])[0]
        if chunk_id == b"data":
            if not rate:
                raise SynthesisError("WAV data before its format chunk")
            return rate, buf[pos + 8 :]
        await need(pos + 8 + size)
        if chunk_id == b"fmt ":
            fmt, channels, rate = struct.unpack("<HHI", buf[pos + 8 : pos + 16])
            bits = struct.unpack("<H", buf[pos + 22 : pos + 24])[0]
            if fmt != 1 or channels != 1 or bits != 16:
                raise SynthesisError(f"unexpected WAV format from espeak-ng ({fmt}, {channels} ch, {bits} bit)")
        pos += 8 + size + (size & 1)
