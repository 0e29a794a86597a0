"""Outbound call audio paced at real time: 20 ms frames sent on a monotonic deadline, so a PBX
without a jitter buffer (Asterisk AudioSocket) plays them smoothly; `clear` drops every frame
not yet sent (barge-in)."""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Playout:
    def __init__(self, send: Callable[[bytes], Awaitable[None]], frame_bytes: int, frame_ms: int = 20) -> None:
        self._send = send
        self.frame_bytes, self.frame_ms = frame_bytes, frame_ms
        self._frames: deque[bytes] = deque()
        self._partial = b""
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self.frames_sent = 0
        self.failed: BaseException | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="playout")

    async def stop(self) -> None:
        self.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def play(self, pcm: bytes) -> None:
        data = self._partial + pcm
        whole = len(data) - len(data) % self.frame_bytes
        self._frames.extend(data[i : i + self.frame_bytes] for i in range(0, whole, self.frame_bytes))
        self._partial = data[whole:]
        if self._frames:
            self._idle.clear()
            self._wake.set()

    def clear(self) -> int:
        """Drop everything not yet sent; returns how many frames were dropped."""
        dropped = len(self._frames)
        self._frames.clear()
        self._partial = b""
        self._idle.set()
        return dropped

    @property
    def queued_ms(self) -> int:
        return len(self._frames) * self.frame_ms

    async def drained(self) -> None:
        """Pad the last partial frame with silence and wait until every frame is sent."""
        if self._partial:
            self.play(b"\x00" * (self.frame_bytes - len(self._partial)))
        if self._task is None or self._task.done():
            self._frames.clear()
            return
        await self._idle.wait()

    async def _run(self) -> None:
        period = self.frame_ms / 1000
        deadline: float | None = None
        try:
            while True:
                if not self._frames:
                    self._idle.set()
                    deadline = None
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                now = time.monotonic()
                if deadline is None or deadline < now - period:
                    deadline = now  # (re)start the clock after a pause or a stall
                await self._send(self._frames.popleft())
                self.frames_sent += 1
                deadline += period
                await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001  (the peer went away: stop sending, let the call end)
            log.info("playout stopped: %s: %s", type(exc).__name__, exc)
            self.failed = exc
            self._frames.clear()
            self._idle.set()
