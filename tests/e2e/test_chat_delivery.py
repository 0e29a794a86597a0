"""Web chat delivery and abuse limits against the real stack (Rasa, SQLite, a real WebSocket
client): a second client with only the conversation id, a kill -9 under load counting acknowledged
messages, a 400-message flood, a 5 MB frame, no conversation row per connect."""

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import time

import httpx
import pytest
import websockets

from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e


def db_rows(stack, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(stack.var_dir / "hotline.db") as db:
        return db.execute(sql, args).fetchall()


async def test_a_second_client_with_only_the_id_gets_a_new_conversation(stack):
    owner = await ChatClient.connect(stack.ws)
    await owner.recv()
    await owner.say("我要投诉 小区门口的垃圾三天没人清了")
    cid = owner.conversation_id
    intruder = await ChatClient.connect(stack.ws, cid)  # the id alone, e.g. from a log or a URL
    assert intruder.conversation_id != cid and intruder.resume_token != owner.resume_token
    assert [f["type"] for f in [await intruder.recv(), await intruder.recv()]] == ["error", "status"]
    await intruder.say("算了不办了")  # would cancel the owner's form if it reached it
    await intruder.close()
    said = [
        t for (t,) in db_rows(stack, "select text from message where conversation_id = ? and direction = 'in'", cid)
    ]
    assert said == ["我要投诉 小区门口的垃圾三天没人清了"]
    assert "什么时候" in texts(await owner.say("在海淀区中关村大街"))  # the form goes on where it was
    await owner.close()


async def test_connecting_creates_no_conversation_row(stack):
    before = db_rows(stack, "select count(*) from conversation")[0][0]
    for _ in range(5):
        chat = await ChatClient.connect(stack.ws)
        await chat.recv()
        await chat.close()
    assert db_rows(stack, "select count(*) from conversation")[0][0] == before


async def test_a_5_mb_frame_gets_an_error_frame_and_the_socket_stays_open(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    await chat.ws.send(json.dumps({"type": "audio", "format": "wav", "data": "A" * (5 * 1024 * 1024)}))
    error = await chat.recv()
    assert (error["type"], error["code"]) == ("error", "frame_too_large")
    assert "12345" in texts(await chat.say("你好"))
    await chat.close()


async def test_a_flood_is_refused_without_reaching_rasa_and_the_socket_stays_healthy(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    frames: list[dict] = []

    async def read() -> None:
        while True:
            frames.append(json.loads(await chat.ws.recv()))

    reading = asyncio.create_task(read())
    for i in range(400):
        await chat.ws.send(json.dumps({"type": "text", "text": f"第{i}条 你好", "id": i}, ensure_ascii=False))
    deadline = time.monotonic() + 60
    while len([f for f in frames if f["type"] in ("ack", "error")]) < 400:
        assert time.monotonic() < deadline, f"only {len(frames)} frames"
        await asyncio.sleep(0.1)
    acked = {f["id"] for f in frames if f["type"] == "ack"}
    limited = {f["id"] for f in frames if f["type"] == "error" and f["code"] == "rate_limited"}
    assert acked | limited == set(range(400)) and not acked & limited
    assert 20 <= len(acked) <= 40, len(acked)  # the burst (20) and 2 per second while it lasted
    stored = db_rows(
        stack, "select count(*) from message where conversation_id = ? and direction = 'in'", chat.conversation_id
    )[0][0]
    assert stored == len(acked), "refused messages are neither stored nor sent to Rasa"
    while len([f for f in frames if f["type"] == "message"]) < len(acked):
        assert time.monotonic() < deadline, "every accepted message is answered"
        await asyncio.sleep(0.1)
    reading.cancel()
    await asyncio.wait_for(await chat.ws.ping(), 5)  # keepalive works
    await asyncio.sleep(1.0)  # the bucket refills
    assert "12345" in texts(await chat.say("你好"))
    await chat.close()


class Citizen:
    """Sends numbered messages with ids, keeps the unacknowledged ones, resends them on resume."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.chat: ChatClient | None = None
        self.unacked: dict[str, str] = {}
        self.acked: set[str] = set()
        self.replies = 0
        self.reader: asyncio.Task | None = None

    async def open(self, stack, resume: bool = False) -> None:
        self.chat = await (ChatClient.resume(stack.ws, self.chat) if resume else ChatClient.connect(stack.ws))
        self.reader = asyncio.create_task(self._read())
        for cid, text in list(self.unacked.items()):
            await self._send(cid, text)

    async def _read(self) -> None:
        try:
            async for raw in self.chat.ws:
                frame = json.loads(raw)
                if frame["type"] == "ack":
                    self.unacked.pop(frame["id"], None)
                    self.acked.add(frame["id"])
                elif frame["type"] == "message":
                    self.replies += 1
        except websockets.ConnectionClosed:
            pass

    async def _send(self, cid: str, text: str) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.chat.ws.send(json.dumps({"type": "text", "text": text, "id": cid}, ensure_ascii=False))

    async def say(self, i: int) -> None:
        cid, text = f"{self.name}-{i}", f"你好 第{i}次"
        self.unacked[cid] = text
        await self._send(cid, text)


async def test_kill_9_under_load_loses_no_acknowledged_message_and_leaves_none_unanswered(stack):
    citizens = [Citizen(f"c{n}") for n in range(4)]
    for c in citizens:
        await c.open(stack)
    old_pid = stack.pid("gateway")

    async def talk(c: Citizen, first: int, last: int) -> None:
        for i in range(first, last):
            await c.say(i)
            await asyncio.sleep(0.15)

    load = [asyncio.create_task(talk(c, 0, 8)) for c in citizens]
    await asyncio.sleep(0.6)
    os.kill(old_pid, signal.SIGKILL)  # mid-turn for some, between store and ack for others
    await asyncio.gather(*load)
    deadline = time.monotonic() + 90
    while True:
        assert time.monotonic() < deadline, "gateway was not restarted"
        try:
            if stack.pid("gateway") != old_pid and httpx.get(f"{stack.http}/healthz", timeout=2).status_code == 200:
                break
        except (httpx.HTTPError, ValueError):
            pass
        await asyncio.sleep(0.3)
    for c in citizens:
        await c.open(stack, resume=True)  # the page resumes and resends what was not acknowledged
        await talk(c, 8, 10)
    while any(c.unacked for c in citizens):
        assert time.monotonic() < deadline, {c.name: list(c.unacked) for c in citizens}
        await asyncio.sleep(0.2)
    await asyncio.sleep(3)  # let the last turns finish
    for c in citizens:
        assert c.acked == {f"{c.name}-{i}" for i in range(10)}, "every message ends acknowledged"
        rows = db_rows(
            stack,
            "select client_id, pending from message where conversation_id = ? and direction = 'in'",
            c.chat.conversation_id,
        )
        assert sorted(r[0] for r in rows) == sorted(c.acked), "each stored exactly once"
        assert [r for r in rows if r[1]] == [], "none left unanswered"
        answers = db_rows(
            stack,
            "select count(*) from message where conversation_id = ? and direction = 'out'",
            c.chat.conversation_id,
        )[0][0]
        assert answers >= 10
        await c.chat.close()
