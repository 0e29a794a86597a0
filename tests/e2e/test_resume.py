"""A conversation survives a page reload and a gateway crash: the supervisor restarts the
gateway and the citizen resumes by conversation_id with the full history."""

import os
import signal
import time

import httpx
import pytest

from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e


async def test_resume_after_page_reload(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    await chat.say("你好")
    await chat.close()

    again = await ChatClient.resume(stack.ws, chat)
    assert again.conversation_id == chat.conversation_id
    history = await again.recv()
    assert history["type"] == "history"
    assert [m["sender"] for m in history["messages"]] == ["citizen", "bot"]
    assert history["messages"][0]["text"] == "你好"
    assert history["messages"][1]["buttons"], "buttons come back with the history"
    await again.close()


async def test_resume_after_gateway_crash_and_restart(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    await chat.say("你好")
    await chat.say("我要投诉 小区门口的垃圾三天没人清了")
    old_pid = stack.pid("gateway")

    os.kill(old_pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline, "gateway was not restarted"
        try:
            if stack.pid("gateway") != old_pid and httpx.get(f"{stack.http}/healthz", timeout=2).status_code == 200:
                break
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.3)

    resumed = await ChatClient.resume(stack.ws, chat)
    assert resumed.conversation_id == chat.conversation_id
    history = await resumed.recv()
    said = [m["text"] for m in history["messages"] if m["sender"] == "citizen"]
    assert said == ["你好", "我要投诉 小区门口的垃圾三天没人清了"]
    assert len(history["messages"]) == 5  # greeting; acknowledgement and the first question
    assert (await resumed.recv()) == {"type": "status", "mode": "bot"}
    # The dialogue state lives on in Rasa's tracker store: the intake form goes on where it was.
    assert "什么时候" in texts(await resumed.say("在海淀区中关村大街"))
    await resumed.close()
