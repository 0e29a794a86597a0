"""The channel inside the real gateway app: off without a token (and /healthz says so), webhook
mode with its secret token, all over real HTTP (uvicorn, the real aiogram client, a local Bot API)."""

import asyncio
import json

import httpx
import pytest

from channels.telegram.handlers.voice import HEARD
from conversation.router import ENGINE_DOWN, REQUEST_HUMAN
from core.settings import Settings
from tests.helpers import free_port
from tests.telegram.conftest import TOKEN
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.gateway import serve_gateway

SECRET = "test-secret_0123456789"
CHAT = 8080


API_KEY = "k" * 20
KEYED = {"Authorization": f"Bearer {API_KEY}"}  # /healthz details need the key


def settings_for(tmp_path, **telegram) -> Settings:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: Rasa and the action server are down
    # kb_*: no semantic index for these tests (it takes minutes to embed on a busy machine)
    return Settings(
        var_dir=tmp_path,
        rasa_url=dead,
        action_server_url=dead,
        api_keys=API_KEY,
        engine_timeout_s=2,
        kb_dense=False,
        kb_watch=False,
        **telegram,
    )


@pytest.fixture()
async def fake():
    server = await FakeBotApi(TOKEN).start()
    yield server
    await server.stop()


def update(update_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1700000000,
            "text": text,
            "chat": {"id": CHAT, "type": "private"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "市民"},
        },
    }


async def test_without_a_token_the_channel_is_off_and_healthz_says_so(tmp_path):
    async with serve_gateway(settings_for(tmp_path)) as url, httpx.AsyncClient(base_url=url) as http:
        health = (await http.get("/healthz", headers=KEYED)).json()
        assert health["components"]["telegram"] == {"ok": True, "enabled": False, "reason": "no bot token"}
        assert (await http.post("/telegram/webhook", json=update(1, "你好"))).status_code == 404


async def test_webhook_mode_registers_the_webhook_and_answers_updates_with_the_secret(tmp_path, fake):
    settings = settings_for(
        tmp_path,
        telegram_token=TOKEN,
        telegram_mode="webhook",
        telegram_api_url=fake.url,
        telegram_webhook_url="https://hotline.example/telegram/webhook",
        telegram_webhook_secret=SECRET,
    )
    async with serve_gateway(settings) as url, httpx.AsyncClient(base_url=url, timeout=20) as http:
        [hook] = await fake.wait_for("setWebhook")
        assert hook.params["url"] == "https://hotline.example/telegram/webhook"
        assert hook.params["secret_token"] == SECRET
        assert {"message", "callback_query"} <= set(hook.params["allowed_updates"])
        async with asyncio.timeout(10):
            while (await http.get("/healthz", headers=KEYED)).json()["components"]["telegram"].get(
                "state"
            ) != "webhook":
                await asyncio.sleep(0.05)
        telegram = (await http.get("/healthz", headers=KEYED)).json()["components"]["telegram"]
        assert telegram == {
            "ok": True,
            "enabled": True,
            "mode": "webhook",
            "state": "webhook",
            "bot": "hotline12345_bot",
            "error": None,
        }

        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            resp = await http.post("/telegram/webhook", json=update(1, "不该收到"), headers=headers)
            assert resp.status_code == 401
        bad = await http.post(
            "/telegram/webhook", json={"hello": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert bad.status_code == 400

        resp = await http.post(
            "/telegram/webhook", json=update(2, "在吗"), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert resp.status_code == 200
        # Rasa is down: the citizen still gets the apology with the human button, over sendMessage.
        [sent] = await fake.wait_for("sendMessage")
        assert sent.params["text"] == ENGINE_DOWN and int(sent.params["chat_id"]) == CHAT
        assert sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == REQUEST_HUMAN
        assert not any(c.params.get("text") == "不该收到" for c in fake.of("sendMessage"))
    assert not fake.of("deleteWebhook"), "a restart keeps the webhook: Telegram holds updates meanwhile"


async def test_voice_notes_go_through_the_gateways_speech_recognizer(tmp_path, fake):
    """The app hands its one SpeechToText to the channel (scripted here: no Vosk Chinese model)."""
    voice_tests = pytest.importorskip("tests.telegram.test_voice_notes")
    transcripts = tmp_path / "transcripts.json"
    transcripts.write_text(json.dumps(["我要投诉楼下烧烤店太吵"], ensure_ascii=False))
    settings = settings_for(
        tmp_path,
        telegram_token=TOKEN,
        telegram_api_url=fake.url,
        speech_provider="scripted",
        scripted_transcripts=transcripts,
    )
    fake.files["voice/n1.oga"] = voice_tests.ogg_opus(voice_tests.tone_pcm16(), 16000)
    async with serve_gateway(settings):
        await fake.wait_for("getUpdates")
        voice = {"file_id": "n1", "file_unique_id": "n1", "duration": 2, "mime_type": "audio/ogg"}
        message = {
            "message_id": 1,
            "date": 1700000000,
            "chat": {"id": CHAT, "type": "private"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "市民"},
            "voice": voice,
        }
        await fake.push(message=message)
        sent = await fake.wait_for("sendMessage", 2, timeout=20)
        assert [s.params["text"] for s in sent] == [HEARD.format("我要投诉楼下烧烤店太吵"), ENGINE_DOWN]
