"""Emergencies through the real stack (trained Rasa, action server, gateway with the safety net):
the advice with the right number is the first reply on the web chat, on Telegram (local Bot API
server, real aiogram client) and on a phone call (scripted recogniser, real dialogue) — also in
the middle of an intake form — and only then come the emergency work order and the handoff."""

import asyncio
import sqlite3

import httpx
import pytest

from conversation.engine import RasaEngine
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.db import make_engine
from core.metrics import Metrics
from core.settings import Settings
from places.gazetteer import Gazetteer
from safety.training import build_detector
from tests.e2e.test_telegram_e2e import TelegramCitizen, telegram_front, text_of
from tests.helpers import ChatClient, texts
from tests.telegram.fake_bot_api import FakeBotApi

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

# The five messages a user study found answered as ordinary requests, and the number each needs.
PANICKED = {
    "燃气管子让装修的给钻破了 嘶嘶地往外漏气": "96777",
    "哎呀 楼下车棚里那辆电动车着了 火苗子窜老高": "119",
    "隔壁屋里在吵架 听见女的喊救命 还有摔东西的声音": "110",
    "有人在取款机那儿抢了个老太太的包 往胡同里跑了": "110",
    "有个孩子骑车让大货车给刮倒了 腿压在车底下了": "120",
}
CHAT = 41414  # the Telegram chat of these tests
NOT_NOW = ["上个月我们楼着过火 楼道现在还是黑的 想问问谁管", "小区消防通道被堵了 好几辆车停在那", "燃气报警器在哪买"]


async def emergency_turn(chat: ChatClient, said: str) -> list[dict]:
    """The advice comes at once; the dialogue's work order and the handoff (status queued) follow."""
    return await chat.say_until(said, lambda f: f["type"] == "status")


def messages(frames: list[dict]) -> list[dict]:
    return [f for f in frames if f["type"] == "message"]


def numbers(frame: dict) -> list[str]:
    return [n["number"] for n in (frame.get("data") or {}).get("emergency", {}).get("numbers", [])]


def orders_of(stack, conversation_id: str) -> list[tuple]:
    with sqlite3.connect(stack.var_dir / "hotline.db") as db:
        return db.execute(
            "select description, emergency, urgency from work_order where conversation_id = ?", (conversation_id,)
        ).fetchall()


async def quiet(log, seconds: float = 1.5, timeout: float = 30) -> None:
    """Until no pipeline event came for `seconds`."""
    loop = asyncio.get_running_loop()
    deadline, seen, since = loop.time() + timeout, -1, loop.time()
    while loop.time() < deadline:
        if len(log.events) != seen:
            seen, since = len(log.events), loop.time()
        elif loop.time() - since >= seconds:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the call never went quiet")


@pytest.mark.parametrize("said", list(PANICKED))
async def test_panicked_phrasings_get_the_right_number_first(stack, said):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()  # status
    frames = await emergency_turn(chat, said)
    first = messages(frames)[0]
    assert first["sender"] == "system" and PANICKED[said] in numbers(first), first
    assert PANICKED[said] in first["text"]
    after = texts(frames[frames.index(first) + 1 :])
    assert "紧急工单" in after and "登记投诉" not in texts(frames)
    assert [f["mode"] for f in frames if f["type"] == "status"] == ["queued"]
    [(description, emergency, urgency)] = orders_of(stack, chat.conversation_id)
    assert emergency and urgency == "2h" and said.split()[0] in description and "【紧急·" in description
    await chat.close()


async def test_past_and_non_urgent_mentions_stay_ordinary(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    for said in NOT_NOW:
        frames = await chat.say(said)
        assert not any(numbers(f) for f in messages(frames)), (said, texts(frames))
        assert "queued" not in [f["mode"] for f in frames if f["type"] == "status"]
        if "登记" in texts(frames):
            await chat.say("算了 不办了")
    await chat.close()


async def test_an_emergency_in_the_middle_of_the_intake_form(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    assert "哪个区" in texts(await chat.say("我要投诉 我们小区物业乱收停车费"))
    assert "什么时候" in texts(await chat.say("朝阳区望京西园三区"))
    frames = await emergency_turn(chat, "先别登记了 我爸突然倒地上了 叫不醒")
    first = messages(frames)[0]
    assert "120" in numbers(first) and first["text"].startswith("情况紧急")
    assert "紧急工单" in texts(frames)
    [(description, emergency, _)] = orders_of(stack, chat.conversation_id)
    assert emergency and "叫不醒" in description and "【紧急·120" in description
    await chat.close()


class OtherTelegramCitizen(TelegramCitizen):
    """A chat of its own: the stack's database is shared with the other Telegram test."""

    def _message(self, **content) -> dict:
        message = super()._message(**content)
        message["chat"] = {**message["chat"], "id": CHAT}
        message["from"] = {**message["from"], "id": CHAT}
        return message


async def test_telegram_advice_first_with_tap_to_call_numbers_mid_form(stack, tmp_path):
    token = "4343:e2e-emergency"
    api = await FakeBotApi(token).start()
    settings = Settings(
        var_dir=tmp_path,
        rasa_url=stack.rasa,
        action_server_url=stack.actions,
        database_url=f"sqlite:///{stack.var_dir / 'hotline.db'}",
        telegram_token=token,
        telegram_api_url=api.url,
        api_keys="e2e-key-0123456789",
    )
    try:
        async with telegram_front(stack, settings, safety=build_detector(None)):
            await api.wait_for("getUpdates")
            citizen = OtherTelegramCitizen(api)
            assert "哪个区" in text_of(await citizen.say("我要投诉 楼下饭馆油烟太大"))
            sent = await citizen.say("地址等会再说 楼道里全是烟 好像哪家着火了")
            if "紧急工单" not in text_of(sent):  # the dialogue's part follows the advice
                sent += await citizen._turn()
            first = sent[0]
            assert "119" in first["text"]
            entities = [e for e in first.get("entities") or [] if e["type"] == "phone_number"]
            assert entities and first["text"][entities[0]["offset"] :][: entities[0]["length"]] == "119"
            assert "紧急工单" in text_of(sent[1:])
    finally:
        await api.stop()


async def test_phone_call_reads_the_advice_before_the_dialogue_answers(stack, tmp_path):
    from tests.phone.fakes import FakeTTS, RecordingTransport, silence, speech_8k, stream
    from voice.asr.scripted_provider import ScriptedSpeechToText
    from voice.call import CallInfo, PipelineConfig
    from voice.events import EventLog, PipelineEventType as E
    from voice.pipeline import VoicePipeline
    from voice.spoken import SlotPhrases

    db = make_engine(f"sqlite:///{stack.var_dir / 'hotline.db'}")
    http = httpx.AsyncClient()
    router = ConversationRouter(
        ConversationStore(db),
        RasaEngine(stack.rasa, http, token=stack.secret("rasa_token")),
        Metrics(),
        safety=build_detector(None),
    )
    stt = ScriptedSpeechToText(["我 要 投诉 楼上 装修 太 吵", "哎呀 厨房 着 火 了 火 好 大"])
    log, transport = EventLog(), RecordingTransport()
    pipeline = VoicePipeline(
        CallInfo("9f1c2a34-0000-4000-8000-0000000000e1", caller="13812345678"),
        transport,
        router,
        stt,
        FakeTTS(5),
        SlotPhrases(Gazetteer.builtin()),
        PipelineConfig(silence_timeout_s=30, max_ahead_ms=10**9),
        [log],
    )
    transport.playout.start()
    task = asyncio.create_task(pipeline.run())
    try:
        await log.wait_for(E.TTS_END)  # greeting
        await stream(pipeline, speech_8k() + silence(900), 8.0)
        await log.wait_for(E.INTENT_END, timeout=60)
        await quiet(log)  # the bot has finished speaking its replies
        mark = len(log.events)
        await stream(pipeline, speech_8k() + silence(900), 8.0)
        await log.wait_for(E.INTENT_END, after=mark, timeout=60)
        turn = [e for e in log.events[mark:] if e.type in (E.INTENT_START, E.TTS_START, E.INTENT_END)]
        assert [e.type for e in turn[:3]] == [E.INTENT_START, E.TTS_START, E.INTENT_END]
        assert turn[1].data["text"].startswith("情况紧急！请立即拨打119")
    finally:
        pipeline.caller_hangup()
        await asyncio.wait_for(task, 15)
        await transport.playout.stop()
        await http.aclose()
        db.dispose()
