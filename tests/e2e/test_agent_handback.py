"""Back with the bot after an agent: the bot's dialogue state (slots of a half-filled form) was
forgotten when the agent took the conversation (what it had collected lives on in the agent's
draft), so the citizen starts afresh."""

import subprocess
import sys

import httpx
import pytest

from tests.conftest import ROOT
from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e
PASSWORD = "handback-Passw0rd!"


async def test_released_conversation_starts_afresh_with_the_bot(stack):
    done = subprocess.run(
        [sys.executable, "-m", "cli", "agents", "add", "handback.agent", "--role", "agent"],
        cwd=ROOT,
        env=stack.env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    asked = await chat.say("我要投诉 楼下饭馆油烟太大")
    assert "哪个区" in texts(asked), texts(asked)  # the intake form is waiting for the address
    await chat.click("/request_human", "转人工")

    async with httpx.AsyncClient(base_url=stack.http, timeout=20) as http:
        login = await http.post("/api/agent/login", json={"username": "handback.agent", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        cid = chat.conversation_id
        assert (await http.post(f"/api/agent/conversations/{cid}/take", headers=headers)).status_code == 200
        assert (await http.post(f"/api/agent/conversations/{cid}/release", headers=headers)).status_code == 200
    await chat.recv_until(lambda f: f["type"] == "message" and "转回智能客服" in f.get("text", ""))
    async with httpx.AsyncClient(base_url=stack.rasa, timeout=20) as rasa:
        tracker = (await rasa.get(f"/conversations/{cid}/tracker", params={"token": stack.secret("rasa_token")})).json()
    assert tracker["slots"].get("description") is None and tracker["slots"].get("request_type") is None

    greeting = await chat.say("你好")
    assert "12345" in texts(greeting) and "哪个区" not in texts(greeting), texts(greeting)
    await chat.close()
