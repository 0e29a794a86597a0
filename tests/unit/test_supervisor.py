"""The supervisor with real processes: health wait, restart after a crash, clean stop."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def wait_for(pred, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_restart_on_crash_and_no_orphans_on_sigterm(tmp_path):
    p1, p2 = free_port(), free_port()
    sup = subprocess.Popen(
        [sys.executable, "-m", "tests.unit.supervise_demo", str(p1), str(p2), str(tmp_path)], cwd=ROOT
    )
    try:
        wait_for(lambda: (tmp_path / "ready").exists())
        pid_file = tmp_path / "run" / "one.pid"
        first = int(pid_file.read_text())
        assert httpx.get(f"http://127.0.0.1:{p1}/").status_code == 200

        os.kill(first, signal.SIGKILL)
        wait_for(lambda: int(pid_file.read_text()) != first)
        wait_for(lambda: _serves(p1))
        second = int(pid_file.read_text())
        assert alive(second) and not alive(first)

        children = [
            second,
            int((tmp_path / "run" / "two.pid").read_text()),
            int((tmp_path / "grandchild.pid").read_text()),
        ]
        assert all(alive(pid) for pid in children)
        sup.send_signal(signal.SIGTERM)
        assert sup.wait(timeout=20) == 0
        wait_for(lambda: not any(alive(pid) for pid in children), timeout=5)
    finally:
        if sup.poll() is None:
            sup.kill()


def _serves(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def test_process_output_reaches_the_log_masked(tmp_path):
    """Rasa and the action server cannot import the masking: the supervisor masks their output,
    tracebacks included, on its way to var/log/<name>.log."""
    import asyncio

    from runtime.supervisor import copy_masked

    script = "print('sender said 我电话是13911112222', flush=True); raise ValueError('身份证110101199003071234')"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    await copy_masked(proc.stdout, tmp_path / "child.log")
    await proc.wait()
    log = (tmp_path / "child.log").read_text()
    assert "139****2222" in log and "Traceback" in log and "110101********1234" in log
    assert "13911112222" not in log and "110101199003071234" not in log
