"""The router's safety net: emergency advice first, in every mode, then the dialogue's emergency
path (work order, alert, handoff) — with a recording engine, a fake detector and a real store."""

import pytest

from conversation.engine import EngineUnavailable
from conversation.messages import InboundMessage, Mode, Reply
from conversation.router import EMERGENCY_INTENT, HANDING_OFF, ConversationRouter
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.metrics import Metrics
from safety.detector import EmergencyDecision

FIRE = EmergencyDecision(True, ("fire", "medical"), 0.91, "classifier+cue", ("着火",))


class FakeDetector:
    """Emergency for texts containing 火 (with FIRE's decision); everything else is calm."""

    def __call__(self, text: str) -> EmergencyDecision:
        return FIRE if "火" in text else EmergencyDecision(False, score=0.01)

    def services_for(self, text: str) -> tuple[str, ...]:
        return ("police",)


class RecordingEngine:
    def __init__(self, store: ConversationStore, log: list[str]) -> None:
        self.store, self.log = store, log
        self.seen: list[InboundMessage] = []
        self.answer: list[Reply] | Exception = []

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        stored = [m.text for m in self.store.history(msg.conversation_id) if m.direction == "in"]
        assert stored[-1] == msg.metadata.get("text", msg.text), "stored before the engine sees it"
        self.seen.append(msg)
        self.log.append("engine")
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    async def health(self) -> dict:
        return {"ok": True}


class RecordingDesk:
    """The parts of the AgentDesk the router calls, recording alerts and handoffs."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.alerts: list[dict] = []
        self.handoffs: list[dict] = []

    def accepting(self, reason):
        return True

    async def observe(self, conversation_id, entries):
        pass

    async def alert(self, conversation_id, alert):
        self.log.append("alert")
        self.alerts.append(alert)

    async def on_queued(self, conversation_id, summary):
        self.handoffs.append(summary)
        return []


@pytest.fixture()
def parts(tmp_path):
    db = make_engine(f"sqlite:///{tmp_path / 'router.db'}")
    init_db(db)
    store = ConversationStore(db)
    log: list[str] = []
    engine, desk = RecordingEngine(store, log), RecordingDesk(log)
    router = ConversationRouter(store, engine, Metrics(), desk=desk, safety=FakeDetector())
    return router, engine, desk, store, log


def msg(text: str, kind: str = "text") -> InboundMessage:
    return InboundMessage("web:1", "web", "u1", text, {"kind": kind})


def sink(log: list[str], got: list[Reply]):
    async def urgent(replies: list[Reply]) -> None:
        log.append("advice")
        got.extend(replies)

    return urgent


async def test_advice_goes_out_before_the_engine_and_the_engine_takes_the_emergency_path(parts):
    router, engine, desk, store, log = parts
    card = {"work_order": {"number": "26120500001"}, "alert": {"reason": "emergency", "work_order": "26120500001"}}
    engine.answer = [
        Reply("情况紧急！请立即拨打110…", data={"emergency": {"by": "dialogue"}}),
        Reply("已同步登记紧急工单，编号261205 00001。", data=card),
        Reply("", data={"handoff": {"reason": "emergency", "last_turns": []}}),
    ]
    first: list[Reply] = []
    replies = await router.handle(msg("楼下车棚着火了"), urgent=sink(log, first))

    assert log == ["advice", "engine", "alert"]
    assert [r.text for r in first] == [
        "情况紧急！请立即拨打119火警电话，尽快撤到安全的地方，不要乘电梯。也请拨打120急救电话。"
        "我们同时通知人工客服跟进。"
    ]
    assert first[0].sender == "system"
    assert first[0].data["emergency"]["numbers"][0] == {"service": "fire", "number": "119", "label": "火警 119"}
    sent = engine.seen[0]
    assert sent.text == EMERGENCY_INTENT and sent.metadata["text"] == "楼下车棚着火了"
    assert sent.metadata["safety"]["services"] == ["fire", "medical"]
    assert sent.metadata["safety"]["numbers"] == ["119", "120"]
    # The dialogue's own generic advice is dropped; the work order and the handoff follow.
    assert [r.text for r in replies] == ["已同步登记紧急工单，编号261205 00001。", HANDING_OFF]
    assert desk.alerts[0]["detection"]["by"] == "classifier+cue"
    assert desk.handoffs[0]["detection"]["services"] == ["fire", "medical"]
    stored = [(m.direction, m.text) for m in store.history("web:1")]
    assert stored[:2] == [("in", "楼下车棚着火了"), ("out", first[0].text)]
    assert store.get("web:1").mode == Mode.QUEUED


async def test_without_a_sink_the_advice_is_the_first_reply(parts):
    router, engine, _, _, _ = parts
    engine.answer = [Reply("好的")]
    replies = await router.handle(msg("厨房起火了"))
    assert "119" in replies[0].text and replies[0].data["emergency"]["services"] == ["fire", "medical"]
    assert replies[1].text == "好的"


async def test_calm_messages_and_buttons_are_not_screened(parts):
    router, engine, _, _, log = parts
    engine.answer = [Reply("您好")]
    assert [r.text for r in await router.handle(msg("你好"), urgent=sink(log, []))] == ["您好"]
    assert engine.seen[-1].text == "你好"
    await router.handle(msg("火警演练", kind="button"), urgent=sink(log, []))
    assert "advice" not in log and engine.seen[-1].text == "火警演练"


async def test_engine_down_still_queues_the_emergency_at_the_head(parts):
    router, engine, desk, store, log = parts
    engine.answer = EngineUnavailable("connection refused")
    first: list[Reply] = []
    replies = await router.handle(msg("着火了快来人"), urgent=sink(log, first))
    assert "119" in first[0].text
    assert replies[0].text == HANDING_OFF
    conv = store.get("web:1")
    assert conv.mode == Mode.QUEUED and conv.priority == 1 and conv.handoff["reason"] == "emergency"


async def test_queued_or_with_an_agent_the_advice_still_comes_and_agents_are_alerted(parts):
    router, engine, desk, store, log = parts
    await router.open("web:1", "web", "u1")
    store.set_mode("web:1", Mode.QUEUED)
    first: list[Reply] = []
    replies = await router.handle(msg("屋里冒烟着火了"), urgent=sink(log, first))
    assert "119" in first[0].text and replies == []
    assert engine.seen == [] and desk.alerts[-1]["detection"]["services"] == ["fire", "medical"]
    assert store.get("web:1").priority == 1

    store.set_mode("web:1", Mode.AGENT)
    replies = await router.handle(msg("火越来越大了"))
    assert "119" in replies[0].text and engine.seen == [] and len(desk.alerts) == 2


async def test_an_emergency_only_the_dialogue_recognised_gets_advice_with_numbers(parts):
    router, engine, desk, _, _ = parts
    alert = {"reason": "emergency", "work_order": "26120500002"}
    engine.answer = [
        Reply("情况紧急！请立即拨打110…", data={"emergency": {"by": "dialogue"}}),
        Reply("已同步登记紧急工单。", data={"alert": alert}),
    ]
    replies = await router.handle(msg("有人在我家门口撬锁"))
    assert engine.seen[0].text == "有人在我家门口撬锁"
    assert replies[0].text.startswith("情况紧急！请立即拨打110报警")
    assert replies[0].data["emergency"]["numbers"] == [{"service": "police", "number": "110", "label": "报警 110"}]
    assert desk.alerts[0]["detection"]["by"] == "dialogue"
