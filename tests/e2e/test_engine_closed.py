"""Rasa and the action server are closed to everyone but the gateway and Rasa: both listen on
127.0.0.1 only, Rasa's HTTP API needs the token the gateway holds, the action server's webhook
needs the token Rasa sends. The gateway still works through them."""

import os
from pathlib import Path

import httpx
import pytest

from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e
LISTEN = "0A"


def listening_sockets(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every listening TCP socket the process holds (IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN and inode in inodes:
                address, port = local.split(":")
                found.append((decode_address(address, width), int(port, 16)))
    return found


def decode_address(hex_address: str, width: int) -> str:
    if width == 8:  # little-endian IPv4
        return ".".join(str(int(hex_address[i : i + 2], 16)) for i in (6, 4, 2, 0))
    return hex_address  # IPv6: any listener there is a finding, whatever its address


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("name", ["rasa", "actions"])
def test_engine_processes_listen_on_loopback_only(stack, name):
    url = stack.rasa if name == "rasa" else stack.actions
    sockets = listening_sockets(stack.pid(name))
    assert ("127.0.0.1", port_of(url)) in sockets, sockets
    assert {address for address, _ in sockets} == {"127.0.0.1"}, sockets


def test_rasa_api_needs_the_token(stack):
    path = f"{stack.rasa}/conversations/web:someone/tracker"
    assert httpx.get(path).status_code == 401
    assert httpx.get(path, params={"token": "x" * 32}).status_code == 401
    assert httpx.post(f"{stack.rasa}/model/parse", json={"text": "你好"}).status_code == 401
    assert httpx.get(path, params={"token": stack.secret("rasa_token")}).status_code == 200


def test_action_server_answers_only_rasa(stack):
    call = {
        "next_action": "action_query_ticket",
        "sender_id": "web:probe",
        "version": "3.6.21",
        "tracker": {"sender_id": "web:probe", "slots": {}, "latest_message": {}, "events": []},
        "domain": {},
    }
    refused = httpx.post(f"{stack.actions}/webhook", json=call)
    assert refused.status_code == 401 and "work_order" not in refused.text
    forged = httpx.post(f"{stack.actions}/webhook", json=call, headers={"X-Hotline-Action-Token": "x" * 32})
    assert forged.status_code == 401
    assert httpx.get(f"{stack.actions}/actions").status_code == 401
    assert httpx.get(f"{stack.actions}/health").status_code == 200  # for health checks


async def test_the_gateway_still_talks_to_both(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    assert "12345" in texts(await chat.say("你好"))
    # the intake form's validation runs in the action server
    assert "哪个区" in texts(await chat.say("我要投诉 楼下饭馆油烟太大 窗户都不敢开"))
    await chat.say("算了 不办了")
    await chat.close()
    health = httpx.get(f"{stack.http}/healthz").json()  # Rasa's /status, asked with the token
    assert health["status"] == "ok" and health["components"]["rasa"]["ok"], health
