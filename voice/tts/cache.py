"""Disk cache of synthesized prompts (var/tts-cache): the greeting, re-prompts and other fixed
sentences are synthesized once while the online voice is reachable and then served from disk,
also when it is not. Keyed by hash(provider, voice, rate, audio format, text); written
atomically (temporary file + rename) so a crash never leaves half a prompt."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from voice.audio import AudioFormat

log = logging.getLogger(__name__)


class TtsCache:
    def __init__(self, directory: Path, *, max_text_chars: int = 500):
        self.directory = Path(directory)
        self.max_text_chars = max_text_chars  # long free-form replies are not worth caching
        self.hits = self.misses = 0

    @staticmethod
    def key(provider: str, voice: str, rate: str, text: str, fmt: AudioFormat) -> str:
        material = "\x1f".join([provider, voice, rate, f"{fmt.encoding}/{fmt.sample_rate}/{fmt.channels}", text])
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pcm"

    def cacheable(self, text: str) -> bool:
        return 0 < len(text) <= self.max_text_chars

    def get(self, key: str) -> bytes | None:
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, key: str, audio: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pcm")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(audio)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:  # a full or read-only disk must not break a call
            log.warning("tts cache: cannot store %s: %s", path, exc)

    async def aget(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self.get, key)

    async def aput(self, key: str, audio: bytes) -> None:
        await asyncio.to_thread(self.put, key, audio)
