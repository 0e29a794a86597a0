"""Decoding threads shared by all calls, with two priorities.

A caller whose turn just ended waits for the last decoding step (the final transcript); callers
still speaking do not wait for anything: their partial results may lag a little. So final steps
jump the queue ahead of streaming ones. With a plain FIFO pool, at 10 simultaneous calls on 2
cores a final step sometimes queued behind a dozen streaming steps of other calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any

URGENT, NORMAL, STOP = 0, 1, 2


class PriorityWorkers:
    def __init__(self, workers: int, name: str = "worker") -> None:
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._seq = itertools.count()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()
        self._closed = False

    async def run(self, fn: Callable[..., Any], *args: Any, urgent: bool = False) -> Any:
        """Run fn(*args) in a worker thread; urgent calls go before every queued normal one."""
        if self._closed:
            raise RuntimeError("worker pool is shut down")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((URGENT if urgent else NORMAL, next(self._seq), fn, args, loop, future))
        return await future

    def shutdown(self) -> None:
        """Stop the threads once the queued calls are done (does not wait for them)."""
        if not self._closed:
            self._closed = True
            for _ in self._threads:
                self._queue.put((STOP, next(self._seq), None, (), None, None))

    def _work(self) -> None:
        while True:
            _, _, fn, args, loop, future = self._queue.get()
            if fn is None:
                return
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # noqa: BLE001  (handed to the awaiting coroutine)
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # the event loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, future, result, error)


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
