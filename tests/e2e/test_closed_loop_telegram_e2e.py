"""The closed loop over Telegram: a complaint filed with the trained Rasa model through a local Bot
API server (the real aiogram client polling it) is dispatched to its unit; the unit resolves; the
citizen gets the result pushed with inline buttons 已解决/未解决; 未解决 reopens; after a second
result 已解决 + 满意 close it as `visited`.

Like tests/e2e/test_telegram_e2e.py, the Telegram front runs in-process (router, channel, the
closed loop's follow-up) on the stack's database, Rasa and action server; the unit acts through
the same WorkOrderHandling the gateway's HTTP routes use."""

import re

import httpx
import pytest

from channels.registry import ChannelRegistry
from channels.telegram.wiring import build_dispatcher, create_channel
from conversation.bus import MemoryBus
from conversation.engine import RasaEngine
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.clock import utcnow
from core.db import make_engine
from core.metrics import Metrics
from core.settings import Settings
from followup.wiring import ClosedLoopWiring, UnitDirectory, work_orders_with_units
from places.gazetteer import Gazetteer
from tests.e2e.test_telegram_e2e import TelegramCitizen, text_of
from tests.telegram.fake_bot_api import FakeBotApi
from tickets.category_catalog import CategoryCatalog
from tickets.handling import Actor
from tickets.intake import IntakeExtractor
from tickets.units import UnitRegistry

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
TOKEN = "4343:loop-token"


def buttons(replies: list[dict]) -> list[str]:
    return [b["text"] for p in replies for row in (p.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def test_the_whole_loop_over_telegram(stack, tmp_path):
    api = await FakeBotApi(TOKEN).start()
    settings = Settings(
        var_dir=tmp_path,
        rasa_url=stack.rasa,
        action_server_url=stack.actions,
        database_url=f"sqlite:///{stack.var_dir / 'hotline.db'}",
        telegram_token=TOKEN,
        telegram_api_url=api.url,
        api_keys="e2e-key-0123456789",
    )
    db = make_engine(settings.database)
    http = httpx.AsyncClient()
    bus = MemoryBus()
    registry = ChannelRegistry(bus)
    store = ConversationStore(db)
    units = UnitDirectory(UnitRegistry(db), CategoryCatalog.load())
    orders = work_orders_with_units(db, units)
    loop = ClosedLoopWiring(settings, db, http, bus, store, registry.deliver, units, orders)
    extractor = IntakeExtractor(Gazetteer.builtin())
    router = ConversationRouter(
        store,
        RasaEngine(stack.rasa, http, token=stack.secret("rasa_token")),
        Metrics(),
        enrich=lambda text: extractor.extract(text, utcnow()),
        followup=loop.followup,
    )
    channel = create_channel(settings, build_dispatcher(conversations=router, work_orders=orders))
    registry.register(channel, prefix="tg")
    await bus.start()
    await channel.start()
    try:
        await channel.wait_connected()
        citizen = TelegramCitizen(api)
        await citizen.say("/start")
        frames = await citizen.say("我要投诉 朝阳区望京街道阜通东大街有个工地每天半夜两点还在打桩 吵得睡不着")
        if "什么时候" in text_of(frames):
            frames = await citizen.say("每天半夜两点")
        if "联系电话" in text_of(frames):
            frames = await citizen.say("13911112222")
        assert "核对" in text_of(frames), text_of(frames)
        done = text_of(await citizen.press(frames, "对"))
        found = re.search(r"编号(\d{6}) ?(\d{5})", done)
        assert found, done
        number = found.group(1) + found.group(2)
        order = orders.get(number)
        assert order.status == "dispatched" and order.unit_code and order.conversation_id.startswith("tg:")
        unit = Actor("unit", "wangjing_tg", order.unit_code)

        for action, body in (("accept", {}), ("resolve", {"text": "已责令施工单位停止夜间施工"})):
            await loop.changed(loop.handling.perform(number, action, body, unit))
        pushed = await citizen._turn()
        assert "停止夜间施工" in text_of(pushed) and "问题解决了吗" in text_of(pushed)
        assert buttons(pushed) == ["已解决", "未解决"]
        assert "重新交承办单位" in text_of(await citizen.press(pushed, "未解决"))
        assert orders.get(number).status == "dispatched" and orders.get(number).reopen_count == 1

        for action, body in (("accept", {}), ("resolve", {"text": "施工单位已调整作业时间，夜间不再施工"})):
            await loop.changed(loop.handling.perform(number, action, body, unit))
        pushed = await citizen._turn()
        assert "夜间不再施工" in text_of(pushed)
        asked = await citizen.press(pushed, "已解决")
        assert "满意吗" in text_of(asked) and buttons(asked) == ["满意", "基本满意", "不满意"]
        assert "感谢" in text_of(await citizen.press(asked, "满意"))

        final = orders.get(number)
        assert (final.status, final.survey_resolved, final.survey_satisfaction) == ("visited", True, "满意")
        kinds = [e.kind for e in orders.events(number)]
        assert kinds.count("notified") == 2 and kinds[-1] == "visited"
    finally:
        await channel.stop()
        await bus.stop()
        await http.aclose()
        db.dispose()
        await api.stop()
