"""Bad frames on /ws/chat get a coded error, the socket stays open, other citizens are served."""

import asyncio
import json
import sqlite3

import pytest

from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e

BAD_FRAMES = [
    ("{这不是JSON", "invalid_json"),
    (json.dumps({"type": "video", "url": "x"}), "unknown_type"),
    (json.dumps({"text": "没有type"}), "invalid_frame"),
    (b"\x00\xffbinary", "binary_not_supported"),
    (json.dumps({"type": "text", "text": "长" * (1024 * 1024 // 3)}), "text_too_long"),
    (json.dumps({"type": "text", "text": "投诉" + "x" * 2000}), "text_too_long"),
    (json.dumps({"type": "text", "text": ""}), "empty_text"),
    (json.dumps({"type": "text", "text": "你好\x00\x1b[31m"}), "control_characters"),
    (json.dumps({"type": "text", "text": "查工单\u202e24000211162"}), "control_characters"),  # bidi override
    (json.dumps({"type": "button"}), "invalid_button"),
    (json.dumps({"type": "audio", "format": "wav", "data": "UklGRg=="}), "audio_unavailable"),
]


@pytest.mark.parametrize(("raw", "code"), BAD_FRAMES, ids=[c for _, c in BAD_FRAMES])
async def test_bad_frame_gets_error_and_socket_stays_open(stack, raw, code):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()  # status
    await chat.ws.send(raw)
    error = await chat.recv()
    assert error["type"] == "error" and error["code"] == code
    assert error["message"] and not error["message"].isascii(), "citizens get a Chinese message"
    assert error["detail"].isascii(), "logs and API clients get English"
    # Same socket, next message is answered normally.
    assert "12345" in texts(await chat.say("你好"))
    await chat.close()


async def test_refused_long_text_is_stored_not_lost(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    long_text = "我要投诉" + "噪音" * 1500
    await chat.ws.send(json.dumps({"type": "text", "text": long_text}, ensure_ascii=False))
    assert (await chat.recv())["code"] == "text_too_long"
    db = sqlite3.connect(stack.var_dir / "hotline.db")
    row = db.execute(
        "select text, original_length, error_code from message where conversation_id = ?", (chat.conversation_id,)
    ).fetchone()
    assert row == (long_text[:2000], len(long_text), "text_too_long"), "kept cut to the limit, with its length"
    await chat.close()


async def test_markup_is_passed_through_as_plain_text(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    frames = await chat.say("<script>alert(1)</script>你好")
    assert all(f["type"] != "error" for f in frames)
    await chat.close()


async def test_other_conversations_keep_being_served_during_abuse(stack):
    abuser = await ChatClient.connect(stack.ws)
    citizen = await ChatClient.connect(stack.ws)
    await abuser.recv()
    await citizen.recv()

    async def abuse() -> None:
        for _ in range(20):
            await abuser.ws.send(b"\x00" * 1000)
            await abuser.ws.send("{bad")
            await abuser.ws.send(json.dumps({"type": "text", "text": "x" * 500_000}))

    abusing = asyncio.create_task(abuse())
    reply = await citizen.say("你好")
    await abusing
    assert "12345" in texts(reply)
    errors = await abuser.recv_until(
        lambda f: len([x for x in abuser.frames if x["type"] == "error"]) >= 60, timeout=30
    )
    assert all(f["type"] == "error" for f in errors)
    await abuser.close()
    await citizen.close()


async def test_unknown_conversation_id_starts_a_new_session(stack):
    chat = await ChatClient.connect(stack.ws, conversation_id="web:00000000-0000-0000-0000-000000000000")
    assert chat.conversation_id != "web:00000000-0000-0000-0000-000000000000"
    assert (await chat.recv())["code"] == "conversation_not_found"
    await chat.close()
    bad = await ChatClient.connect(stack.ws, conversation_id="tg:../../etc")
    assert bad.conversation_id.startswith("web:")
    await bad.close()
