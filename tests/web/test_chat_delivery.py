"""The /ws/chat delivery rules through the real web chat router and a real SQLite store, with a
scripted dialogue engine: resume tokens, acknowledgements, resent ids, messages left unanswered
(a stopped gateway, the engine down), rate and size limits. The same rules against the real stack
(Rasa, kill -9, a real WebSocket client) are in tests/e2e/test_chat_delivery.py."""

import json
import sqlite3

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.web import chat_socket
from channels.web.chat_socket import WebChat, WebChatChannel
from channels.web.session import ChatLimits
from conversation.engine import EngineUnavailable
from conversation.messages import InboundMessage, Reply
from conversation.router import ENGINE_DOWN, ConversationRouter
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.metrics import Metrics


class Engine:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.up = True

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        if not self.up:
            raise EngineUnavailable("down")
        self.seen.append(msg.text)
        return [Reply(f"收到：{msg.text}")]

    async def health(self) -> dict:
        return {"ok": self.up}


@pytest.fixture()
def env(tmp_path):
    path = tmp_path / "web.db"
    db = make_engine(f"sqlite:///{path}")
    init_db(db)
    store = ConversationStore(db)
    engine = Engine()
    conversations = ConversationRouter(store, engine, Metrics())

    def client(**limits) -> TestClient:
        app = FastAPI()
        app.state.web_chat = WebChat(conversations, WebChatChannel(), 50, None, ChatLimits(**limits))
        app.include_router(chat_socket.router)
        return TestClient(app)

    return client, store, engine, path


def connect(client: TestClient, conv_id: str | None = None, token: str | None = None):
    url = "/ws/chat" if conv_id is None else f"/ws/chat?conversation_id={conv_id}&resume_token={token or ''}"
    ws = client.websocket_connect(url).__enter__()
    session = ws.receive_json()
    assert session["type"] == "session" and len(session["resume_token"]) >= 32
    return ws, session


def frames_until(ws, kind: str) -> list[dict]:
    got = []
    while True:
        got.append(ws.receive_json())
        if got[-1]["type"] == kind:
            return got


def rows(path, conv_id: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "select direction, text, client_id, pending from message where conversation_id = ? order by id", (conv_id,)
        ).fetchall()


def test_connecting_stores_nothing_until_the_first_message(env):
    client, store, _engine, _path = env
    ws, session = connect(client())
    assert ws.receive_json()["type"] == "status"
    assert store.get(session["conversation_id"]) is None
    ws.send_json({"type": "text", "text": "你好", "id": "m-1"})
    assert ws.receive_json() == {"type": "ack", "id": "m-1"}
    assert store.get(session["conversation_id"]).resume_hash not in (None, session["resume_token"])


def test_ack_comes_before_the_answer_and_a_resent_id_is_stored_and_answered_once(env):
    client, _store, engine, path = env
    ws, session = connect(client())
    ws.receive_json()  # status
    ws.send_json({"type": "text", "text": "你好", "id": "m-1"})
    assert [f["type"] for f in frames_until(ws, "message")] == ["ack", "message"]
    ws.send_json({"type": "text", "text": "你好", "id": "m-1"})  # resent (the ack was lost)
    assert ws.receive_json() == {"type": "ack", "id": "m-1"}
    ws.send_json({"type": "text", "text": "第二句", "id": 2})
    assert [f.get("text") for f in frames_until(ws, "message")] == [None, "收到：第二句"]
    assert engine.seen == ["你好", "第二句"]
    assert [r[:3] for r in rows(path, session["conversation_id"])] == [
        ("in", "你好", "m-1"),
        ("out", "收到：你好", None),
        ("in", "第二句", "2"),
        ("out", "收到：第二句", None),
    ]


def test_an_id_without_its_token_starts_a_new_conversation_that_cannot_touch_the_first(env):
    client, _store, engine, path = env
    c = client()
    owner, session = connect(c)
    owner.receive_json()
    owner.send_json({"type": "text", "text": "我的电话13911112222", "id": "a"})
    frames_until(owner, "message")
    cid = session["conversation_id"]
    for token in (None, "guessed-" + "x" * 30):
        other, theirs = connect(c, cid, token)
        assert theirs["conversation_id"] != cid
        assert [f["type"] for f in frames_until(other, "status")] == ["error", "status"]  # no history
        other.send_json({"type": "text", "text": "算了不办了", "id": "a"})
        frames_until(other, "message")
    assert [r[1] for r in rows(path, cid)] == ["我的电话13911112222", "收到：我的电话13911112222"]
    again, resumed = connect(c, cid, session["resume_token"])
    assert resumed == session
    history = again.receive_json()
    assert history["type"] == "history" and history["messages"][0]["text"] == "我的电话13911112222"


def test_a_message_stored_but_never_answered_is_answered_on_resume(env):
    client, store, engine, _path = env
    c = client()
    ws, session = connect(c)
    ws.receive_json()
    ws.send_json({"type": "text", "text": "你好", "id": "m-1"})
    frames_until(ws, "message")
    cid = session["conversation_id"]
    # The gateway stopped after storing this one (and acknowledging it), before the bot answered.
    store.receive(InboundMessage(cid, "web", cid[4:], "楼下太吵了", {"kind": "text", "client_id": "m-2"}), hold=True)
    again, _ = connect(c, cid, session["resume_token"])
    assert [f["type"] for f in frames_until(again, "message")] == ["history", "status", "message"]
    assert engine.seen == ["你好", "楼下太吵了"]
    again.send_json({"type": "text", "text": "楼下太吵了", "id": "m-2"})  # the page resends it too
    assert again.receive_json() == {"type": "ack", "id": "m-2"}
    again.send_json({"type": "text", "text": "好的", "id": "m-3"})
    assert [f.get("text") for f in frames_until(again, "message")] == [None, "收到：好的"]
    assert engine.seen == ["你好", "楼下太吵了", "好的"]


def test_a_message_sent_while_the_engine_was_down_is_passed_on_when_it_is_back(env):
    client, _store, engine, _path = env
    ws, _session = connect(client())
    ws.receive_json()
    engine.up = False
    ws.send_json({"type": "text", "text": "在海淀区中关村大街", "id": "m-1"})
    assert frames_until(ws, "message")[-1]["text"] == ENGINE_DOWN
    engine.up = True
    ws.send_json({"type": "text", "text": "昨天晚上", "id": "m-2"})
    assert ws.receive_json() == {"type": "ack", "id": "m-2"}
    assert [ws.receive_json()["text"] for _ in range(2)] == ["收到：在海淀区中关村大街", "收到：昨天晚上"]
    assert engine.seen == ["在海淀区中关村大街", "昨天晚上"]


def test_over_long_text_is_stored_cut_with_its_length(env):
    client, _store, _engine, path = env
    ws, session = connect(client())
    ws.receive_json()
    ws.send_json({"type": "text", "text": "吵" * 100_000, "id": "m-1"})
    err = ws.receive_json()
    assert (err["type"], err["code"], err["id"]) == ("error", "text_too_long", "m-1")
    with sqlite3.connect(path) as db:
        text, length, code = db.execute("select text, original_length, error_code from message").fetchone()
    assert (len(text), length, code) == (50, 100_000, "text_too_long")


def test_frames_over_the_limit_get_an_error_frame_and_the_socket_stays(env):
    client, _store, _engine, _path = env
    ws, _session = connect(client(frame_bytes=10_000))
    ws.receive_json()
    ws.send_text(json.dumps({"type": "text", "text": "x" * 20_000}))
    assert ws.receive_json()["code"] == "frame_too_large"
    ws.send_json({"type": "text", "text": "你好"})
    assert ws.receive_json()["text"] == "收到：你好"


def test_rate_limited_frames_are_refused_with_their_id_and_never_reach_the_engine(env):
    client, _store, engine, path = env
    ws, session = connect(client(burst=3, per_s=0.001))
    ws.receive_json()
    for i in range(6):
        ws.send_json({"type": "text", "text": f"第{i}条", "id": i})
    got = [ws.receive_json() for _ in range(3 * 2 + 3)]
    refused = [f for f in got if f["type"] == "error"]
    assert [(f["code"], f["id"]) for f in refused] == [("rate_limited", 3), ("rate_limited", 4), ("rate_limited", 5)]
    assert "频繁" in refused[0]["message"]
    assert engine.seen == ["第0条", "第1条", "第2条"]
    assert len(rows(path, session["conversation_id"])) == 6  # three in, three out


def test_the_address_bucket_is_shared_by_connections(env):
    client, _store, engine, _path = env
    c = client(address_burst=2, address_per_s=0.001)
    first, _ = connect(c)
    first.receive_json()
    first.send_json({"type": "text", "text": "一"})
    first.receive_json()
    second, _ = connect(c)
    second.receive_json()
    second.send_json({"type": "text", "text": "二"})
    second.receive_json()
    second.send_json({"type": "text", "text": "三"})
    assert second.receive_json()["code"] == "rate_limited"
    assert engine.seen == ["一", "二"]
