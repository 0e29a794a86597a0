"""ConversationRouter with a scripted engine and a real SQLite store."""

import asyncio

import pytest

from conversation.engine import EngineUnavailable
from conversation.messages import InboundMessage, Mode, Reply
from conversation.router import ENGINE_DOWN, HANDING_OFF, ConversationRouter
from conversation.store import ConversationStore
from conversation.transcript import history_entries
from core.db import init_db, make_engine
from core.metrics import Metrics


class ScriptedEngine:
    """Answers from a script; records what reached it; checks the message was stored first."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store
        self.seen: list[str] = []
        self.script: dict[str, list[Reply] | Exception] = {}

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        stored = [m.text for m in self.store.history(msg.conversation_id) if m.direction == "in"]
        assert stored[-1] == msg.text, "the router must persist a message before the engine sees it"
        self.seen.append(msg.text)
        answer = self.script.get(msg.text, [Reply(f"收到：{msg.text}")])
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def health(self) -> dict:
        return {"ok": True}


@pytest.fixture()
def setup(tmp_path):
    db = make_engine(f"sqlite:///{tmp_path / 'router.db'}")
    init_db(db)
    store = ConversationStore(db)
    engine = ScriptedEngine(store)
    return ConversationRouter(store, engine, Metrics()), engine, store


def msg(text: str, cid: str = "web:1") -> InboundMessage:
    return InboundMessage(cid, "web", "u1", text)


async def test_bot_turn_is_persisted_both_ways(setup):
    router, engine, store = setup
    replies = await router.handle(msg("你好"))
    assert [r.text for r in replies] == ["收到：你好"]
    rows = store.history("web:1")
    assert [(r.direction, r.sender, r.text) for r in rows] == [("in", "citizen", "你好"), ("out", "bot", "收到：你好")]


async def test_engine_down_apologises_and_offers_a_human(setup):
    router, engine, store = setup
    engine.script["在吗"] = EngineUnavailable("connection refused")
    replies = await router.handle(msg("在吗"))
    assert replies[0].text == ENGINE_DOWN and replies[0].sender == "system"
    assert replies[0].buttons[0].payload == "/request_human"
    assert [r.text for r in store.history("web:1")] == ["在吗", ENGINE_DOWN]


async def test_empty_engine_answer_counts_as_failure(setup):
    router, engine, _ = setup
    engine.script["转人工"] = []
    assert (await router.handle(msg("转人工")))[0].text == ENGINE_DOWN


async def test_human_button_still_works_when_engine_is_down(setup):
    router, engine, store = setup
    engine.script["/request_human"] = EngineUnavailable("down")
    replies = await router.handle(msg("/request_human"))
    assert replies[0].text == HANDING_OFF and replies[0].data["mode"] == "queued"
    assert store.get("web:1").mode == Mode.QUEUED


async def test_handoff_payload_queues_the_conversation_and_nothing_more_reaches_the_bot(setup):
    router, engine, store = setup
    summary = {"reason": "emergency", "request_type": "seek_help", "last_turns": []}
    engine.script["着火了"] = [Reply("请立即拨打119"), Reply("", data={"handoff": summary})]
    replies = await router.handle(msg("着火了"))
    assert [r.text for r in replies] == ["请立即拨打119", HANDING_OFF]
    assert replies[1].data == {"mode": "queued", "handoff_reason": "emergency"}
    conv = store.get("web:1")
    assert conv.mode == "queued" and conv.handoff == summary

    queued = await router.handle(msg("还要等多久"))
    assert "等待人工客服" in queued[0].text
    assert engine.seen == ["着火了"]

    back = await router.handle(msg("/back_to_bot"))
    assert back[0].data == {"mode": "bot"}
    await router.handle(msg("你好"))
    assert engine.seen == ["着火了", "你好"]


async def test_agent_mode_never_reaches_the_bot(setup):
    router, engine, store = setup
    await router.open("web:1", "web", "u1")
    store.set_mode("web:1", Mode.AGENT)
    assert await router.handle(msg("人工客服你好")) == []
    assert engine.seen == []
    assert store.history("web:1")[-1].text == "人工客服你好"


async def test_turns_of_one_conversation_do_not_interleave(setup):
    router, engine, store = setup
    order = []

    async def slow(m: InboundMessage) -> list[Reply]:
        order.append(f"start {m.text}")
        await asyncio.sleep(0.05)
        order.append(f"end {m.text}")
        return [Reply("好")]

    engine.handle = slow
    await asyncio.gather(router.handle(msg("一")), router.handle(msg("二")))
    assert order in (["start 一", "end 一", "start 二", "end 二"], ["start 二", "end 二", "start 一", "end 一"])


async def test_history_shows_button_titles_and_skips_refused_messages(setup):
    router, engine, store = setup
    await router.handle(InboundMessage("web:1", "web", "u1", "/consult", {"kind": "button", "title": "咨询政策"}))
    await router.reject(msg("x" * 5000), "text_too_long")
    entries = history_entries(store.history("web:1"))
    assert [e["text"] for e in entries] == ["咨询政策", "收到：/consult"]
    assert entries[0]["sender"] == "citizen" and entries[0]["ts"].endswith("Z")
    assert store.history("web:1")[-1].error_code == "text_too_long"


async def test_anger_and_distress_hand_over_to_a_person(tmp_path):
    from conversation.distress import DistressDetector

    db = make_engine(f"sqlite:///{tmp_path / 'mood.db'}")
    init_db(db)
    store = ConversationStore(db)
    router = ConversationRouter(store, ScriptedEngine(store), Metrics(), mood=DistressDetector())

    calm = await router.handle(msg("楼下饭馆油烟太大", "web:calm"))
    assert [r.text for r in calm] == ["收到：楼下饭馆油烟太大"] and store.get("web:calm").mode == "bot"

    angry = await router.handle(msg("说了多少遍了 你们干什么吃的", "web:angry"))
    assert HANDING_OFF in [r.text for r in angry]
    conv = store.get("web:angry")
    assert conv.mode == "queued" and conv.handoff["reason"] == "angry"

    sad = await router.handle(msg("我真的活不下去了", "web:sad"))
    assert any("110" in r.text for r in sad) and HANDING_OFF in [r.text for r in sad]
    assert store.get("web:sad").handoff["reason"] == "distress"


async def test_history_keeps_reply_data_for_cards_and_sources(setup):
    router, engine, store = setup
    card = {"work_order": {"number": "26112100001", "status": "accepted"}}
    engine.script["好的"] = [Reply("已为您登记工单", data=card)]
    await router.handle(msg("好的"))
    entries = history_entries(store.history("web:1"))
    assert entries[-1]["data"] == card and entries[0]["data"] == {}
