"""A Telegram citizen reaches the trained Rasa model: a second gateway front (the real
ConversationRouter, Rasa engine client and Telegram channel, in-process) polls a local Bot API
server with the real aiogram client and shares the stack's database, Rasa and action server; the
complaint becomes a work order (created by the stack's actions) that /status then lists. The
channel's wiring into app.py is tested in tests/telegram/test_app.py."""

import asyncio
import contextlib
import re

import httpx
import pytest

from channels.telegram.handlers.messages import ASK_ADDRESS
from channels.telegram.wiring import build_dispatcher, create_channel
from conversation.engine import RasaEngine
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.clock import utcnow
from core.db import make_engine
from core.metrics import Metrics
from core.phone_proof import PhoneProof
from core.settings import Settings
from places.gazetteer import Gazetteer
from tests.telegram.fake_bot_api import FakeBotApi
from tickets.crud import WorkOrderRepository
from tickets.intake import IntakeExtractor

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the first stack start may train the model

TOKEN = "4242:e2e-token"
CHAT = 31337
USER = {"id": CHAT, "is_bot": False, "first_name": "市民"}


class TelegramCitizen:
    """Sends updates through the fake Bot API and collects what the bot sends back."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.seen = 0
        self.message_ids = iter(range(1, 10_000))

    def _message(self, **content) -> dict:
        return {
            "message_id": next(self.message_ids),
            "date": 1700000000,
            "chat": {"id": CHAT, "type": "private"},
            "from": USER,
            **content,
        }

    async def _turn(self, timeout: float = 30) -> list[dict]:
        await self.api.wait_for("sendMessage", self.seen + 1, timeout)
        while True:  # a turn may carry several messages: wait for a short quiet period
            count = len(self.api.of("sendMessage"))
            await asyncio.sleep(0.6)
            if len(self.api.of("sendMessage")) == count:
                break
        sent = self.api.of("sendMessage")[self.seen :]
        self.seen += len(sent)
        return [c.params for c in sent]

    async def say(self, text: str) -> list[dict]:
        content: dict = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        await self.api.push(message=self._message(**content))
        return await self._turn()

    async def press(self, replies: list[dict], title: str) -> list[dict]:
        for params in reversed(replies):
            for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == title:
                        message = self._message(text=params["text"], reply_markup=params["reply_markup"])
                        await self.api.push(
                            callback_query={
                                "id": f"cq{message['message_id']}",
                                "from": USER,
                                "chat_instance": "e2e",
                                "data": button["callback_data"],
                                "message": message,
                            }
                        )
                        return await self._turn()
        raise AssertionError(f"no button {title!r} in {replies}")

    async def share(self, **content) -> list[dict]:
        await self.api.push(message=self._message(**content))
        return await self._turn()


@contextlib.asynccontextmanager
async def telegram_front(stack, settings: Settings, safety=None):
    db = make_engine(settings.database)
    http = httpx.AsyncClient()
    extractor = IntakeExtractor(Gazetteer.builtin())
    # Signed with the stack gateway's key: that gateway checks the proof when the actions look up by phone.
    proofs = PhoneProof(Settings(var_dir=stack.var_dir).agent_token_key)
    router = ConversationRouter(
        ConversationStore(db),
        RasaEngine(stack.rasa, http, token=stack.secret("rasa_token")),
        Metrics(),
        enrich=lambda text: extractor.extract(text, utcnow()),
        phone_proof=proofs,
        safety=safety,
    )
    dp = build_dispatcher(conversations=router, work_orders=WorkOrderRepository(db))
    channel = create_channel(settings, dp)
    await channel.start()
    try:
        await channel.wait_connected()
        yield channel
    finally:
        await channel.stop()
        await http.aclose()
        db.dispose()


def text_of(replies: list[dict]) -> str:
    return "\n".join(p["text"] for p in replies)


async def test_a_complaint_over_telegram_reaches_rasa_and_becomes_a_listed_work_order(stack, tmp_path):
    api = await FakeBotApi(TOKEN).start()
    settings = Settings(
        var_dir=tmp_path,
        rasa_url=stack.rasa,
        action_server_url=stack.actions,
        database_url=f"sqlite:///{stack.var_dir / 'hotline.db'}",  # the stack's: work orders made by its actions
        telegram_token=TOKEN,
        telegram_api_url=api.url,
        api_keys="e2e-key-0123456789",
    )
    try:
        async with telegram_front(stack, settings):
            await api.wait_for("getUpdates")
            citizen = TelegramCitizen(api)

            greeting = await citizen.say("/start")
            assert "12345" in text_of(greeting)
            titles = [b["text"] for row in greeting[-1]["reply_markup"]["inline_keyboard"] for b in row]
            assert "反映问题" in titles and "转人工" in titles

            asked = await citizen.press(greeting, "反映问题")
            assert "具体说一下" in text_of(asked)
            assert api.of("answerCallbackQuery"), "the button press was answered"
            assert "哪个区" in text_of(await citizen.say("楼下新开的饭馆油烟太大 窗户都不敢开"))
            assert text_of(await citizen.share(location={"latitude": 39.98, "longitude": 116.31})) == ASK_ADDRESS
            assert "什么时候" in text_of(await citizen.say("海淀区中关村大街1号院"))
            assert "联系电话" in text_of(await citizen.say("昨天晚上十点"))

            contact = {"phone_number": "+86 139 0000 1111", "first_name": "市民", "user_id": CHAT}
            readback = await citizen.share(contact=contact)
            assert "核对" in text_of(readback) and "139****1111" in text_of(readback)
            assert "海淀区中关村大街1号院" in text_of(readback)

            done = text_of(await citizen.press(readback, "对"))
            assert "已为您登记工单" in done
            number = re.search(r"编号(\d{6}) ?(\d{5})", done)
            assert number, done

            status = text_of(await citizen.say("/status"))
            assert f"{number.group(1)} {number.group(2)}" in status and "海淀区" in status
            assert "13900001111" not in status

            # The contact was shared as the citizen's own: the dialogue may answer by that number.
            by_phone = text_of(await citizen.say("我的工单办得怎么样了"))
            assert "139****1111" in by_phone and f"{number.group(1)} {number.group(2)}" in by_phone, by_phone
            assert "13900001111" not in by_phone

            assert all("parse_mode" not in c.params for c in api.of("sendMessage"))
    finally:
        await api.stop()
