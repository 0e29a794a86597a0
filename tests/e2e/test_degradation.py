"""A gateway whose Rasa and action server are unreachable: the citizen gets an apology and the
offer of a human, nothing is lost, /healthz shows the failure."""

import os
import signal
import sqlite3
import subprocess
import sys

import httpx
import pytest

from tests.conftest import ROOT, stack_env
from tests.helpers import ChatClient, free_port, texts, wait_http

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lonely_gateway(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("lonely")
    port = free_port()
    env = stack_env(var_dir, gateway=port, rasa=free_port(), actions=free_port())  # nothing listens there
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_http(f"http://127.0.0.1:{port}/healthz", 30, proc=proc)
    yield port, var_dir
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)


def test_healthz_reports_the_failed_components(lonely_gateway):
    port, _ = lonely_gateway
    health = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
    assert health["status"] == "degraded"
    assert health["components"]["rasa"]["ok"] is False
    assert health["components"]["action_server"]["ok"] is False
    assert health["components"]["database"]["ok"] is True


async def test_citizen_gets_apology_and_human_offer_and_nothing_is_lost(lonely_gateway):
    port, var_dir = lonely_gateway
    chat = await ChatClient.connect(f"ws://127.0.0.1:{port}")
    await chat.recv()
    frames = await chat.say("我要投诉 楼上天天装修太吵了")
    assert "抱歉" in texts(frames)
    assert [b["payload"] for f in frames if f["type"] == "message" for b in f["buttons"]] == ["/request_human"]

    handoff = await chat.click("/request_human", "转人工")
    assert "转接人工客服" in texts(handoff)
    assert [f["mode"] for f in handoff if f["type"] == "status"] == ["queued"]

    db = sqlite3.connect(var_dir / "hotline.db")
    said = [
        r[0]
        for r in db.execute(
            "select text from message where conversation_id = ? and direction = 'in' order by id",
            (chat.conversation_id,),
        )
    ]
    assert said == ["我要投诉 楼上天天装修太吵了", "/request_human"]
    await chat.close()


async def test_hung_action_server_gets_an_apology_and_the_human_button(stack):
    """The real action server stops answering (SIGSTOP): the citizen is not left waiting for
    ever, /healthz names the action server, and the conversation works again afterwards."""
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    actions = stack.pid("actions")
    os.kill(actions, signal.SIGSTOP)
    try:
        health = httpx.get(f"{stack.http}/healthz", timeout=10).json()
        assert health["components"]["action_server"]["ok"] is False and health["status"] == "degraded"
        frames = await chat.say("我要找人工客服", timeout=40)  # needs action_handoff on the action server
        assert "抱歉" in texts(frames)
        assert [b["payload"] for f in frames if f["type"] == "message" for b in f["buttons"]] == ["/request_human"]
    finally:
        os.kill(actions, signal.SIGCONT)
    handoff = await chat.click("/request_human", "转人工", timeout=40)
    assert "转接人工客服" in texts(handoff)
    await chat.close()
