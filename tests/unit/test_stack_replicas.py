"""`hotline up` with N Rasa replicas: how many by default, their ports, names, health URLs, one
tracker store; and the Rasa URLs the gateway is given (HOTLINE_RASA_URL may list several)."""

import pytest
from pydantic import ValidationError

import runtime.engine_env
from core.settings import GIB, Settings, default_rasa_replicas
from runtime.stack import rasa_replica_name, stack_specs


@pytest.fixture()
def engine_venv(tmp_path, monkeypatch):
    """An engine environment whose commands exist (the specs only need their paths)."""
    venv = tmp_path / "venv-engine"
    (venv / "bin").mkdir(parents=True)
    for tool in ("rasa", "python"):
        (venv / "bin" / tool).write_text("#!/bin/sh\n")
    monkeypatch.setattr(runtime.engine_env, "ENGINE_VENV", venv)
    return venv


def test_default_replicas_follow_cores_and_memory():
    assert default_rasa_replicas(cores=1, memory_bytes=64 * GIB) == 1  # never none
    assert default_rasa_replicas(cores=2, memory_bytes=8 * GIB) == 1  # this machine: half the cores
    assert default_rasa_replicas(cores=8, memory_bytes=64 * GIB) == 4
    assert default_rasa_replicas(cores=8, memory_bytes=5 * GIB) == 2  # ~1 GB each, room for the rest
    assert default_rasa_replicas(cores=64, memory_bytes=512 * GIB) == 8  # capped
    assert default_rasa_replicas() >= 1  # this machine's own figures


def test_replicas_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_RASA_REPLICAS", "3")
    monkeypatch.setenv("HOTLINE_RASA_PORT", "6100")
    settings = Settings(var_dir=tmp_path)
    assert settings.rasa_replicas == 3
    assert (
        settings.local_rasa_urls
        == settings.rasa_base_urls
        == ("http://127.0.0.1:6100", "http://127.0.0.1:6101", "http://127.0.0.1:6102")
    )
    assert settings.rasa_base_url == "http://127.0.0.1:6100"
    monkeypatch.setenv("HOTLINE_RASA_REPLICAS", "0")
    with pytest.raises(ValidationError):
        Settings(var_dir=tmp_path)


def test_rasa_url_keeps_one_url_and_takes_a_list(tmp_path):
    one = Settings(var_dir=tmp_path, rasa_url="http://lb:5005/", rasa_replicas=2)
    assert one.rasa_base_urls == ("http://lb:5005",) and one.rasa_base_url == "http://lb:5005"
    several = Settings(var_dir=tmp_path, rasa_url=" http://10.0.0.5:5005, http://10.0.0.6:5005/ ,")
    assert several.rasa_base_urls == ("http://10.0.0.5:5005", "http://10.0.0.6:5005")


def test_stack_specs_start_every_replica_on_its_own_port(tmp_path, engine_venv):
    settings = Settings(var_dir=tmp_path, rasa_port=6200, rasa_replicas=3, rasa_token="t" * 20, action_token="a" * 20)
    specs = stack_specs(settings, tmp_path / "model.tar.gz")
    assert [s.name for s in specs] == ["rasa", "rasa-1", "rasa-2", "actions", "gateway"]
    for i, spec in enumerate(specs[:3]):
        assert spec.name == rasa_replica_name(i)
        assert spec.argv[spec.argv.index("--port") + 1] == str(6200 + i)
        assert spec.health_url == f"http://127.0.0.1:{6200 + i}/status?token={'t' * 20}"
        # one tracker store for all (a conversation whose replica is down goes on elsewhere), no lock store
        assert spec.env["RASA_TRACKER_DB"] == str(tmp_path / "rasa" / "tracker.db")
        assert not any(k.startswith("RASA_LOCK_") for k in spec.env)
    assert (tmp_path / "rasa" / "tracker.db").exists()


def test_one_replica_is_the_stack_of_before(tmp_path, engine_venv):
    settings = Settings(var_dir=tmp_path, rasa_port=6300, rasa_replicas=1)
    rasa, actions, gateway = stack_specs(settings, tmp_path / "model.tar.gz")
    assert (rasa.name, actions.name, gateway.name) == ("rasa", "actions", "gateway")
    assert rasa.health_url.startswith("http://127.0.0.1:6300/status?token=")
