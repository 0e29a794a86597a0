"""A small process supervisor: starts processes, waits until each is healthy, restarts one that
dies, and stops them all (whole process groups) on SIGINT/SIGTERM. Each process's output goes to
var/log/<name>.log line by line with personal data masked (Rasa and the action server log
citizens' texts too, and they cannot import the gateway's masking)."""

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from core.pii import mask_log_text

log = logging.getLogger(__name__)


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    health_url: str
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    start_timeout_s: float = 180.0


@dataclass
class _Running:
    spec: ProcessSpec
    proc: asyncio.subprocess.Process
    started_at: float
    restarts: int = 0
    output: asyncio.Task | None = None


class Supervisor:
    STOP_GRACE_S = 10.0
    MAX_BACKOFF_S = 30.0

    def __init__(
        self, specs: list[ProcessSpec], log_dir: Path, run_dir: Path, on_event: Callable[[str, str], None] | None = None
    ) -> None:
        """`on_event(name, what)` hears each start, restart and readiness (the terminal's progress)."""
        self.specs = specs
        self.log_dir, self.run_dir = log_dir, run_dir
        self._on_event = on_event or (lambda _name, _what: None)
        self.running: dict[str, _Running] = {}
        self._stopping = asyncio.Event()

    async def run(self, on_ready: Callable[[], Awaitable[None]] | None = None) -> None:
        """Start everything, call on_ready once all are healthy, supervise until asked to stop."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stopping.set)
        try:
            for spec in self.specs:
                await self._spawn(spec)
            await asyncio.gather(*(self._wait_healthy(r.spec) for r in self.running.values()))
            if on_ready is not None:
                await on_ready()
            watchers = [asyncio.create_task(self._watch(name)) for name in self.running]
            await self._stopping.wait()
            for w in watchers:
                w.cancel()
        finally:
            await self.stop_all()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def stop(self) -> None:
        self._stopping.set()

    async def _spawn(self, spec: ProcessSpec, restarts: int = 0) -> None:
        proc = await asyncio.create_subprocess_exec(
            *spec.argv,
            cwd=spec.cwd,
            env={**os.environ, **spec.env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # own process group: stopping it stops its children too
        )
        (self.run_dir / f"{spec.name}.pid").write_text(str(proc.pid))
        assert proc.stdout is not None
        output = asyncio.create_task(copy_masked(proc.stdout, self.log_dir / f"{spec.name}.log"))
        self.running[spec.name] = _Running(spec, proc, time.monotonic(), restarts, output)
        log.info("started %s (pid %d), log: %s", spec.name, proc.pid, self.log_dir / f"{spec.name}.log")
        self._on_event(spec.name, f"starting… (pid {proc.pid})")

    async def _wait_healthy(self, spec: ProcessSpec) -> None:
        deadline = time.monotonic() + spec.start_timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline and not self._stopping.is_set():
                proc = self.running[spec.name].proc
                if proc.returncode is not None:
                    raise RuntimeError(
                        f"{spec.name} exited with code {proc.returncode}; see {self.log_dir / spec.name}.log"
                    )
                try:
                    if (await client.get(spec.health_url)).status_code < 500:
                        log.info("%s is healthy (%s)", spec.name, spec.health_url)
                        self._on_event(
                            spec.name, f"ready ({time.monotonic() - self.running[spec.name].started_at:.0f} s)"
                        )
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
        if not self._stopping.is_set():
            raise TimeoutError(f"{spec.name} not healthy after {spec.start_timeout_s:.0f} s")

    async def _watch(self, name: str) -> None:
        """Restart the process whenever it exits, with exponential backoff for crash loops."""
        while not self._stopping.is_set():
            running = self.running[name]
            code = await running.proc.wait()
            if self._stopping.is_set():
                return
            uptime = time.monotonic() - running.started_at
            restarts = 0 if uptime > 60 else running.restarts + 1
            delay = min(self.MAX_BACKOFF_S, 0.5 * 2**restarts) if restarts else 0.5
            log.error("%s exited with code %s after %.0f s; restarting in %.1f s", name, code, uptime, delay)
            await asyncio.sleep(delay)
            if self._stopping.is_set():
                return
            await self._spawn(running.spec, restarts)
            try:
                await self._wait_healthy(running.spec)
            except (RuntimeError, TimeoutError) as exc:
                log.error("%s did not come back: %s", name, exc)

    async def stop_all(self) -> None:
        """SIGTERM every process group, then SIGKILL what is left after the grace period."""
        live = [r for r in self.running.values() if r.proc.returncode is None]
        for r in live:
            _signal_group(r.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.STOP_GRACE_S
        for r in live:
            try:
                await asyncio.wait_for(r.proc.wait(), max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                log.warning("%s did not stop in %.0f s; killing it", r.spec.name, self.STOP_GRACE_S)
                _signal_group(r.proc.pid, signal.SIGKILL)
                await r.proc.wait()
        for r in self.running.values():
            _signal_group(r.proc.pid, signal.SIGKILL)  # leftovers in a group whose leader is gone
            (self.run_dir / f"{r.spec.name}.pid").unlink(missing_ok=True)
        outputs = [r.output for r in self.running.values() if r.output is not None]
        if outputs:  # the last lines each process wrote
            await asyncio.wait(outputs, timeout=5)
        if live:
            log.info("stopped %s", ", ".join(r.spec.name for r in live))


async def copy_masked(stream: asyncio.StreamReader, path: Path, max_line: int = 1 << 20) -> None:
    """Append what a process writes to the log file, line by line through mask_log_text, until
    the process (and every child holding its output) has closed it."""
    pending = b""
    with open(path, "ab") as logfile:
        while chunk := await stream.read(1 << 16):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if len(pending) > max_line:  # a runaway line without newline: masked in pieces
                lines.append(pending)
                pending = b""
            if lines:
                text = "\n".join(mask_log_text(line.decode("utf-8", "replace")) for line in lines) + "\n"
                logfile.write(text.encode())
                logfile.flush()
        if pending:
            logfile.write(mask_log_text(pending.decode("utf-8", "replace")).encode())


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
