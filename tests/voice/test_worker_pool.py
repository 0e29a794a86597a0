"""Decoding threads with two priorities: a final step overtakes queued streaming steps."""

import asyncio
import threading

import pytest

from voice.asr.worker_pool import PriorityWorkers


async def test_urgent_calls_overtake_queued_normal_ones():
    pool = PriorityWorkers(1, name="test")
    gate = threading.Event()
    order: list[str] = []

    def job(name: str) -> str:
        if name == "blocker":
            gate.wait(5)
        order.append(name)
        return name

    blocker = asyncio.create_task(pool.run(job, "blocker"))
    await asyncio.sleep(0.05)  # the only thread is busy
    normal = [asyncio.create_task(pool.run(job, f"stream-{i}")) for i in range(3)]
    await asyncio.sleep(0.01)
    final = asyncio.create_task(pool.run(job, "final", urgent=True))
    await asyncio.sleep(0.01)
    gate.set()
    assert await final == "final"
    await asyncio.gather(blocker, *normal)
    assert order == ["blocker", "final", "stream-0", "stream-1", "stream-2"]
    pool.shutdown()


async def test_errors_reach_the_caller_and_shutdown_refuses_new_work():
    pool = PriorityWorkers(2)

    def boom() -> None:
        raise ValueError("bad audio")

    with pytest.raises(ValueError, match="bad audio"):
        await pool.run(boom)
    assert await pool.run(sum, [1, 2, 3]) == 6
    pool.shutdown()
    pool.shutdown()  # twice is harmless
    with pytest.raises(RuntimeError):
        await pool.run(sum, [1])
    await asyncio.sleep(0.05)
    assert not [t for t in threading.enumerate() if t.name.startswith("worker-")]
