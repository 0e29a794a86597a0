"""Two Rasa replicas configured with endpoints.scale-out.yml share one conversation: the tracker
store in the real PostgreSQL, the lock store in the real Redis. Turns of one conversation go to
alternate replicas and the intake form goes on where the other replica left it."""

import subprocess
import uuid

import httpx
import pytest

from core.settings import Settings
from runtime.stack import rasa_command, rasa_env
from runtime.training import model_path
from tests.conftest import ROOT
from tests.helpers import free_port, wait_http

pytestmark = pytest.mark.e2e
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/5"


@pytest.fixture(scope="module")
def replicas(stack, tmp_path_factory):
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("replicas"),
        action_server_url=stack.actions,
        action_token=stack.secret("action_token"),  # the stack's action server
        rasa_endpoints=ROOT / "endpoints.scale-out.yml",
        rasa_tracker_url=POSTGRES,
        redis_url=REDIS,
    )
    env, ports, procs = rasa_env(settings), [free_port(), free_port()], []
    logs = [open(settings.var_dir / f"rasa-{p}.log", "wb") for p in ports]  # noqa: SIM115
    for port, log in zip(ports, logs, strict=True):
        procs.append(
            subprocess.Popen(
                rasa_command(settings, model_path(ROOT), port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_http(f"http://127.0.0.1:{port}/status?token={settings.rasa_auth_token}", 240, proc=proc)
        yield [(f"http://127.0.0.1:{p}", settings.rasa_auth_token) for p in ports]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        for log in logs:
            log.close()


def turn(base: str, sender: str, text: str, extracted: dict | None = None) -> str:
    body = {"sender": sender, "message": text, "metadata": {"channel": "web", "extracted": extracted or {}}}
    resp = httpx.post(f"{base}/webhooks/rest/webhook", json=body, timeout=60)
    resp.raise_for_status()
    return "\n".join(m.get("text") or "" for m in resp.json())


def test_a_conversation_moves_between_replicas(replicas):
    (a, _), (b, token) = replicas
    sender = f"web:{uuid.uuid4()}"
    assert "哪个区" in turn(a, sender, "我要投诉 楼下饭馆油烟太大")
    place = {"address": "朝阳区望京西园三区", "district": "朝阳区", "street": "望京街道"}
    assert "什么时候" in turn(b, sender, "朝阳区望京西园三区", place)  # B knows the form A started
    assert "电话" in turn(a, sender, "一直都这样", {"ongoing": True})
    tracker = httpx.get(f"{b}/conversations/{sender}/tracker", params={"token": token}, timeout=30).json()
    assert tracker["slots"]["district"] == "朝阳区" and tracker["slots"]["occurred"] == "ongoing"
