"""The channel's real HTTP traffic: the real aiogram Bot client against a local server that speaks
the Bot API (long polling with offsets, sendMessage, callback answers, files, flood control)."""

import asyncio
import json

import pytest
from aiogram import Bot

from channels.telegram.handlers.voice import NOT_RECEIVED
from channels.telegram.wiring import make_bot
from conversation.messages import Reply
from tests.telegram.conftest import BUTTONS, TOKEN, Harness
from tests.telegram.fake_bot_api import FakeBotApi

CHAT = 5150
USER = {"id": CHAT, "is_bot": False, "first_name": "市民"}


def text_update(text: str, message_id: int = 1) -> dict:
    message = {
        "message_id": message_id,
        "date": 1700000000,
        "chat": {"id": CHAT, "type": "private"},
        "from": USER,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return message


@pytest.fixture()
async def fake():
    server = await FakeBotApi(TOKEN).start()
    yield server
    await server.stop()


@pytest.fixture()
async def live(tmp_path, fake):
    h = Harness(tmp_path, bot=make_bot(TOKEN, fake.url), polling_timeout=2)
    await h.channel.start()
    await h.channel.wait_connected()
    yield h
    await h.channel.stop()
    h.db.dispose()


async def test_a_conversation_over_long_polling_with_inline_buttons(live, fake):
    assert [c.method for c in fake.calls[:2]] == ["getMe", "deleteWebhook"]
    assert fake.of("deleteWebhook")[0].params.get("drop_pending_updates") in ("false", "False", None)
    live.engine.script["/greet"] = [Reply("您好，请问有什么可以帮您？", buttons=BUTTONS)]
    await fake.push(message=text_update("/start"))
    [sent] = await fake.wait_for("sendMessage")
    assert sent.params["text"] == "您好，请问有什么可以帮您？" and int(sent.params["chat_id"]) == CHAT
    assert "parse_mode" not in sent.params
    keyboard = sent.params["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [["/affirm", "/deny"]]
    await fake.wait_for("sendChatAction")

    message = {
        "message_id": 501,
        "date": 1700000000,
        "chat": {"id": CHAT, "type": "private"},
        "from": {"id": 777, "is_bot": True, "first_name": "12345热线"},
        "text": sent.params["text"],
        "reply_markup": sent.params["reply_markup"],
    }
    await fake.push(
        callback_query={"id": "cq1", "from": USER, "chat_instance": "x", "data": "/deny", "message": message}
    )
    [answer] = await fake.wait_for("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "cq1"
    sent = await fake.wait_for("sendMessage", 2)
    assert sent[1].params["text"] == "收到：/deny"
    assert live.engine.seen[-1].metadata == {"kind": "button", "title": "不对"}
    assert [r[2] for r in live.history(CHAT)] == ["/greet", "您好，请问有什么可以帮您？", "/deny", "收到：/deny"]


async def test_an_update_is_confirmed_only_after_it_was_stored_and_answered(live, fake):
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_handle(msg):
        entered.set()
        await release.wait()
        return [Reply("好的")]

    live.engine.handle = slow_handle
    update_id = await fake.push(message=text_update("慢一点"))
    await asyncio.wait_for(entered.wait(), 10)
    await asyncio.sleep(0.3)
    offsets = [int(c.params.get("offset") or 0) for c in fake.of("getUpdates")]
    assert max(offsets) <= update_id, "the update must not be confirmed while it is being handled"
    assert live.history(CHAT)[0][2] == "慢一点", "stored before the engine answers"
    release.set()
    await fake.wait_for("sendMessage")
    async with asyncio.timeout(10):
        while not any(int(c.params.get("offset") or 0) == update_id + 1 for c in fake.of("getUpdates")):
            await asyncio.sleep(0.05)
    assert fake.pending == [] or fake.pending[0]["update_id"] > update_id


async def test_chats_are_handled_concurrently_and_each_chat_in_order(live, fake):
    order: list[str] = []
    gate = asyncio.Event()

    async def handle(msg):
        if msg.text == "甲1":
            await gate.wait()  # chat A's first turn is slow
        order.append(msg.text)
        if msg.text == "乙1":
            gate.set()
        return [Reply("好")]

    live.engine.handle = handle
    for chat, text in ((1, "甲1"), (1, "甲2"), (2, "乙1")):
        update = text_update(text)
        update["chat"] = {"id": chat, "type": "private"}
        await fake.push(message=update)
    await fake.wait_for("sendMessage", 3)
    assert order == ["乙1", "甲1", "甲2"]


async def test_voice_note_is_downloaded_recognised_and_answered(live, fake):
    class Recognizer:
        def available(self) -> bool:
            return True

        async def transcribe(self, pcm16: bytes) -> str:
            assert pcm16 == b"PCM:" + b"OggS-fake-opus"
            return "我要投诉楼下烧烤店太吵"

    live.channel.use_voice(Recognizer(), lambda data, fmt, sample_rate: b"PCM:" + data)
    fake.files["voice/v1.oga"] = b"OggS-fake-opus"
    voice = {"file_id": "v1", "file_unique_id": "v1", "duration": 3, "mime_type": "audio/ogg"}
    message = {
        "message_id": 9,
        "date": 1700000000,
        "chat": {"id": CHAT, "type": "private"},
        "from": USER,
        "voice": voice,
    }
    await fake.push(message=message)
    sent = await fake.wait_for("sendMessage", 2)
    assert [s.params["text"] for s in sent] == ["（语音识别：我要投诉楼下烧烤店太吵）", "收到：我要投诉楼下烧烤店太吵"]
    assert fake.of("getFile")[0].params["file_id"] == "v1"
    assert live.engine.seen[-1].metadata["kind"] == "voice"


async def test_a_voice_note_that_cannot_be_downloaded_is_answered_and_kept(live, fake, caplog):
    class Recognizer:
        def available(self) -> bool:
            return True

        async def transcribe(self, pcm16: bytes) -> str:
            raise AssertionError("nothing to recognise")

    live.channel.use_voice(Recognizer(), lambda data, fmt, sample_rate: data)
    voice = {"file_id": "gone", "file_unique_id": "gone", "duration": 3, "mime_type": "audio/ogg"}
    await fake.push(
        message={
            "message_id": 9,
            "date": 1700000000,
            "chat": {"id": CHAT, "type": "private"},
            "from": USER,
            "voice": voice,
        }
    )
    [sent] = await fake.wait_for("sendMessage")
    assert sent.params["text"] == NOT_RECEIVED
    assert live.store.history(f"tg:{CHAT}")[0].error_code == "audio_download_failed"
    assert TOKEN not in caplog.text, "the bot token never reaches the log"


async def test_flood_control_is_waited_out_and_the_reply_still_arrives(live, fake):
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    fake.fail("sendMessage", 502, "Bad Gateway")
    await fake.push(message=text_update("你好"))
    sent = await fake.wait_for("sendMessage", 3, timeout=15)
    assert sent[2].params["text"] == "收到：你好"
    assert sent[1].at - sent[0].at >= 0.95, "retry_after was respected"


async def test_polling_survives_api_errors(live, fake):
    fake.fail("getUpdates", 502, "Bad Gateway")
    fake.fail("getUpdates", 500, "Internal Server Error")
    await fake.push(message=text_update("在吗"))
    sent = await fake.wait_for("sendMessage", 1, timeout=15)
    assert sent[0].params["text"] == "收到：在吗"
    assert live.channel.health()["ok"] is True


async def test_a_rejected_token_leaves_the_channel_off_and_says_why(tmp_path, fake):
    h = Harness(tmp_path, bot=Bot(token="999:wrong", session=make_bot(TOKEN, fake.url).session))
    await h.channel.start()
    with pytest.raises(RuntimeError, match="unauthorized"):
        await h.channel.wait_connected()
    assert h.channel.health() == {
        "ok": False,
        "enabled": True,
        "mode": "polling",
        "state": "failed",
        "error": "unauthorized",
    }
    await h.channel.stop()


async def test_stop_ends_a_long_poll_promptly(tmp_path, fake):
    h = Harness(tmp_path, bot=make_bot(TOKEN, fake.url), polling_timeout=25)
    await h.channel.start()
    await h.channel.wait_connected()
    await fake.wait_for("getUpdates")
    async with asyncio.timeout(3):
        await h.channel.stop()
    assert h.channel.health()["state"] == "stopped"
    assert json.dumps(h.channel.health())
