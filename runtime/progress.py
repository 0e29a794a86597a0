"""Progress of `hotline up` / `hotline train` on the terminal: one line per stage start and end,
with the seconds since the command started, e.g. `[ 12s] rasa model: training…`. Stages run in
parallel threads (and a child process, which counts from the same start), so each line is written
whole, in one write. No personal data ever goes here."""

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    def __init__(
        self, out: TextIO | None = None, clock: Callable[[], float] = time.monotonic, started: float | None = None
    ) -> None:
        """`started`: the clock reading to count from (a child process passes its parent's)."""
        self._out = out
        self._clock = clock
        self.started = clock() if started is None else started
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        return self._clock() - self.started

    def say(self, stage: str, status: str) -> None:
        line = f"[{self.elapsed():3.0f}s] {stage}: {status}"
        out = self._out or sys.stdout
        with self._lock:
            out.write(line + "\n")
            out.flush()

    @contextmanager
    def stage(self, name: str, doing: str | None = "preparing…", done: str = "ready") -> Iterator[None]:
        """`name: doing` now (unless None), then `name: done (N s)` or `name: failed (N s)`."""
        if doing is not None:
            self.say(name, doing)
        started = self._clock()
        try:
            yield
        except BaseException:
            self.say(name, f"failed ({self._clock() - started:.0f} s)")
            raise
        self.say(name, f"{done} ({self._clock() - started:.0f} s)")
