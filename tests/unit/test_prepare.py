"""The first start's preparation: the Rasa training (a real subprocess, here a stand-in script)
runs while the gateway caches are built; progress lines; a failure or Ctrl-C cancels the rest."""

import io
import re
import threading
import time

import pytest

import runtime.engine_env
from core.settings import Settings
from runtime import prepare, training
from runtime.progress import Progress

# A stand-in for `rasa train ... --out models --fixed-model-name NAME`: sleeps, then writes the model.
FAKE_RASA = """#!/bin/sh
echo "Epochs: 1/80"
sleep "${FAKE_TRAIN_S:-1}"
[ -n "$FAKE_TRAIN_FAILS" ] && { echo "broken domain" >&2; exit 3; }
while [ $# -gt 0 ]; do
  case "$1" in --fixed-model-name) name="$2"; shift;; esac
  shift
done
echo model > "models/$name.tar.gz"
"""


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A project root with the model inputs and an engine environment whose `rasa` is FAKE_RASA."""
    root = tmp_path / "project"
    (root / "bot" / "domain").mkdir(parents=True)
    (root / "bot" / "data").mkdir()
    (root / "nlu" / "data").mkdir(parents=True)
    (root / "requirements").mkdir()
    for rel in ("config.yml", "bot/domain/d.yml", "bot/data/r.yml", "nlu/data/n.yml", "requirements/engine.txt"):
        (root / rel).write_text(f"{rel}\n")
    venv = tmp_path / "venv-engine"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "rasa").write_text(FAKE_RASA)
    (venv / "bin" / "rasa").chmod(0o755)
    monkeypatch.setattr(runtime.engine_env, "ENGINE_VENV", venv)
    monkeypatch.setattr(prepare, "PROJECT_ROOT", root)
    return root


def lines(out: io.StringIO) -> list[str]:
    return [re.sub(r"^\[\s*\d+s\] ", "", line) for line in out.getvalue().splitlines()]


def test_progress_lines_carry_the_elapsed_seconds():
    now = [100.0]
    out = io.StringIO()
    progress = Progress(out, clock=lambda: now[0])
    with progress.stage("classifier", doing="training…"):
        now[0] += 91.4
    with pytest.raises(RuntimeError), progress.stage("kb vectors"):
        now[0] += 2
        raise RuntimeError("boom")
    assert out.getvalue().splitlines() == [
        "[  0s] classifier: training…",
        "[ 91s] classifier: ready (91 s)",
        "[ 91s] kb vectors: preparing…",
        "[ 93s] kb vectors: failed (2 s)",
    ]


def test_rasa_trains_while_the_caches_are_built(project, monkeypatch):
    monkeypatch.setenv("FAKE_TRAIN_S", "1.5")
    model_there: list[bool] = []

    def caches(settings: Settings, progress: Progress) -> None:
        model_there.append(training.model_path(project).exists())
        with progress.stage("classifier"):
            time.sleep(1.2)

    monkeypatch.setattr(prepare, "prepare_gateway_caches", caches)
    out = io.StringIO()
    started = time.monotonic()
    model = prepare.prepare_models(Settings(var_dir=project / "var"), Progress(out))
    took = time.monotonic() - started
    assert model == training.model_path(project) and model.exists()
    assert took < 1.5 + 1.2, took  # not one after the other
    assert model_there == [False]  # the caches were built while Rasa trained
    said = lines(out)
    training_line = f"rasa model: training… (log: {project / 'var' / 'log' / 'rasa-train.log'})"
    assert said[0] in (training_line, "classifier: preparing…")
    assert {training_line, "classifier: preparing…"} <= set(said)
    assert any(line.startswith("rasa model: ready (") for line in said)
    assert "Epochs" not in out.getvalue()  # rasa's own output went to its log
    assert "Epochs: 1/80" in (project / "var" / "log" / "rasa-train.log").read_text()

    out2 = io.StringIO()  # a second start: nothing to train
    assert prepare.prepare_models(Settings(var_dir=project / "var"), Progress(out2)) == model
    assert "rasa model: up to date" in lines(out2)


def test_a_failing_cache_cancels_the_training(project, monkeypatch):
    monkeypatch.setenv("FAKE_TRAIN_S", "60")

    def caches(settings: Settings, progress: Progress) -> None:
        time.sleep(0.5)
        raise ValueError("bad knowledge-base article")

    monkeypatch.setattr(prepare, "prepare_gateway_caches", caches)
    out = io.StringIO()
    started = time.monotonic()
    with pytest.raises(ValueError, match="bad knowledge-base article"):
        prepare.prepare_models(Settings(var_dir=project / "var"), Progress(out))
    assert time.monotonic() - started < 15  # the 60 s training was stopped
    assert not training.model_path(project).exists()
    assert any(line.startswith("rasa model: failed") for line in lines(out))


def test_a_second_caller_waits_for_the_running_training(project, monkeypatch):
    monkeypatch.setenv("FAKE_TRAIN_S", "1")
    statuses: list[str] = []
    first = threading.Thread(target=training.ensure_model, args=(project,))
    first.start()
    time.sleep(0.3)
    assert training.ensure_model(project, on_status=statuses.append) == training.model_path(project)
    first.join()
    assert statuses == ["waiting for another process's training…", "trained meanwhile by another process"]


def test_a_failed_training_names_its_log(project, monkeypatch):
    monkeypatch.setenv("FAKE_TRAIN_S", "0")
    monkeypatch.setenv("FAKE_TRAIN_FAILS", "1")
    monkeypatch.setattr(prepare, "prepare_gateway_caches", lambda settings, progress: None)
    log = project / "var" / "log" / "rasa-train.log"
    with pytest.raises(RuntimeError, match=f"exit code 3; see {log}"):
        prepare.prepare_models(Settings(var_dir=project / "var"), Progress(io.StringIO()))
    assert "broken domain" in log.read_text()


# --- The caches' second stream: a spawned process ----------------------------------------------------


def child_says(started: float, text: str) -> None:
    """Run in the spawned process: a progress line counted from the parent's start."""
    Progress(started=started).say("child", text)


def child_fails() -> None:
    raise ValueError("bad training example")


def child_sleeps() -> None:
    time.sleep(60)


def test_a_spawned_stage_counts_from_the_parents_start_and_reports_failure(capfd):
    started = time.monotonic() - 42  # the parent has been preparing for 42 s
    prepare.SpawnedStage("the child stage", child_says, started, "ready").wait()
    waited = time.monotonic() - started - 42  # the child's own start-up (seconds on a busy machine)
    line = re.fullmatch(r"\[ *(\d+)s\] child: ready\n", capfd.readouterr().out)
    assert line and 42 <= int(line.group(1)) <= 42 + waited + 1
    with pytest.raises(RuntimeError, match=r"the failing stage failed \(exit code 1"):
        prepare.SpawnedStage("the failing stage", child_fails).wait()
    assert "ValueError: bad training example" in capfd.readouterr().err


def test_a_failure_here_stops_the_spawned_stream(monkeypatch):
    stages: list[prepare.SpawnedStage] = []
    real = prepare.SpawnedStage

    def spawn(name, target, *args):
        stages.append(real(name, child_sleeps))
        return stages[-1]

    def vector_caches(settings, progress):
        raise ValueError("bad knowledge-base article")

    monkeypatch.setattr(prepare, "text_models_built", lambda dense: False)
    monkeypatch.setattr(prepare, "SpawnedStage", spawn)
    monkeypatch.setattr(prepare, "prepare_vector_caches", vector_caches)
    started = time.monotonic()
    with pytest.raises(ValueError, match="bad knowledge-base article"):
        prepare.prepare_gateway_caches(Settings(), Progress(io.StringIO()))
    assert time.monotonic() - started < 10
    assert not stages[0]._process.is_alive()


@pytest.mark.parametrize("built", [True, False])
def test_only_a_training_of_the_text_models_gets_a_process_of_its_own(monkeypatch, built):
    spawned: list[str] = []
    ran: list[str] = []

    class Stage:
        def __init__(self, name, target, *args):
            spawned.append(name)

        def wait(self):
            ran.append("text models (child)")

    monkeypatch.setattr(prepare, "text_models_built", lambda dense: built)
    monkeypatch.setattr(prepare, "SpawnedStage", Stage)
    monkeypatch.setattr(prepare, "prepare_text_models", lambda settings, progress: ran.append("text models"))
    monkeypatch.setattr(prepare, "prepare_vector_caches", lambda settings, progress: ran.append("vectors"))
    prepare.prepare_gateway_caches(Settings(), Progress(io.StringIO()))
    assert len(spawned) == (0 if built else 1)
    assert ran == (["text models", "vectors"] if built else ["vectors", "text models (child)"])


def test_text_models_built_reads_the_current_hashes(tmp_path):
    from tickets import classifier_cache as cache

    assert not cache.text_models_built(True, tmp_path)
    cache.model_file("classifier", cache.training_hash(True), tmp_path).write_bytes(b"")
    assert not cache.text_models_built(True, tmp_path)
    cache.model_file("request-type", cache.request_type_hash(), tmp_path).write_bytes(b"")
    assert cache.text_models_built(True, tmp_path) and not cache.text_models_built(False, tmp_path)
