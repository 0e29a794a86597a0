"""The agent desk with the real router and store (SQLite) and the in-process bus: handoff
summary, queue places, take/reply/release/close, the in-flight bot turn, alerts, races."""

import asyncio
from datetime import UTC, datetime

import pytest

from conversation.messages import Mode, Reply
from conversation.router import HANDING_OFF, OUT_OF_HOURS
from conversation.store import SUPERSEDED
from desk.agent_desk import RELEASED, TAKEN, Conflict, Forbidden, Invalid
from desk.orders import DraftPatch
from tests.agent.conftest import ALICE, BOB, SUE, make_setup
from tickets.crud import WorkOrderFilter

SUMMARY = {
    "reason": "requested",
    "request_type": "complain",
    "slots": {
        "description": "楼下烧烤店半夜太吵",
        "district": "朝阳区",
        "street": "望京街道",
        "address": "望京西园三区",
        "occurred": "ongoing",
        "contact_phone": "13812345678",
    },
    "last_turns": [{"sender": "citizen", "text": "我要投诉楼下烧烤店"}],
}


def handoff_reply(summary: dict) -> Reply:
    return Reply("", data={"handoff": summary})


async def queue_citizen(s, cid: str, summary: dict | None = None) -> list[Reply]:
    s.engine.script[f"转人工{cid}"] = [Reply("好的"), handoff_reply(summary or {**SUMMARY})]
    return await s.say(f"转人工{cid}", cid)


async def test_handoff_keeps_the_summary_tells_agents_and_the_citizen_their_place(desk_setup):
    s = desk_setup
    replies = await queue_citizen(s, "web:1")
    assert [r.text for r in replies[:2]] == ["好的", HANDING_OFF]
    assert replies[2].text.startswith("您是下一位，预计等待约") and replies[2].sender == "system"
    assert [b.payload for b in replies[2].buttons] == ["/callback", "/back_to_bot"]
    [event] = s.of_type("handoff")
    assert event["conversation_id"] == "web:1" and event["summary"] == SUMMARY
    assert s.store.get("web:1").handoff == SUMMARY

    await queue_citizen(s, "web:2")
    replies = await queue_citizen(s, "web:3")
    assert replies[2].text.startswith("您前面还有2位，预计等待约")
    still = await s.say("还要等多久", "web:3")
    assert "等待人工客服" in still[0].text and "您前面还有2位" in still[0].text

    queue = await s.desk.queue()
    assert [q["conversation_id"] for q in queue] == ["web:1", "web:2", "web:3"]
    assert queue[0]["request_type"] == "complain" and queue[2]["preview"] == "还要等多久"


async def test_emergencies_go_first_and_alert_the_agents(desk_setup):
    s = desk_setup
    await queue_citizen(s, "web:1")
    s.engine.script["着火了"] = [Reply("请立即拨打119"), handoff_reply({"reason": "emergency", "slots": {}})]
    replies = await s.say("着火了", "web:2")
    assert [r.text for r in replies[:2]] == ["请立即拨打119", HANDING_OFF]
    assert [q["conversation_id"] for q in await s.desk.queue()] == ["web:2", "web:1"]
    [alert] = s.of_type("alert")
    assert alert["conversation_id"] == "web:2" and alert["reason"] == "emergency"
    assert (await s.desk.detail("web:2", ALICE))["draft"]["emergency"] is True


async def test_alert_in_bot_data_reaches_agents_not_the_citizen_and_the_bot_goes_on(desk_setup):
    s = desk_setup
    card = {"number": "26112100001"}
    s.engine.script["煤气味好大"] = [
        Reply("请立即离开现场并拨打96777。"),
        Reply(
            "已同步登记紧急工单。",
            data={"work_order": card, "alert": {"reason": "emergency", "work_order": "26112100001"}},
        ),
        Reply("", data={"alert": {"reason": "emergency"}}),
    ]
    replies = await s.say("煤气味好大", "web:9")
    assert [r.text for r in replies] == ["请立即离开现场并拨打96777。", "已同步登记紧急工单。"]
    assert all("alert" not in r.data for r in replies) and replies[1].data == {"work_order": card}
    assert [a["detail"].get("work_order") for a in s.of_type("alert")] == ["26112100001", None]
    assert s.store.get("web:9").mode == Mode.BOT  # the bot continues
    assert "alert" not in str([m.payload for m in s.store.history("web:9")])
    # An alerted conversation can be taken by an agent although it was never queued.
    assert (await s.desk.take("web:9", ALICE))["mode"] == "agent"


async def test_take_stops_the_bot_and_marks_agent_messages(desk_setup):
    s = desk_setup
    await queue_citizen(s, "web:1")
    await s.desk.take("web:1", ALICE)
    await s.settle()
    assert [r.text for r in s.delivered["web:1"]] == [TAKEN]
    assert s.delivered["web:1"][0].data["mode"] == "agent"
    assert await s.say("我家楼下太吵了", "web:1") == []
    assert s.engine.seen == ["转人工web:1"]  # nothing more reached the bot
    [msg] = [e for e in s.of_type("message") if e["message"]["text"] == "我家楼下太吵了"]
    assert msg["message"]["sender"] == "citizen"

    await s.desk.send("web:1", ALICE, "您好，我是人工客服小王")
    assert s.delivered["web:1"][-1].sender == "agent"
    rows = s.store.history("web:1")
    assert (rows[-1].sender, rows[-1].text) == ("agent", "您好，我是人工客服小王")
    with pytest.raises(Invalid):
        await s.desk.send("web:1", ALICE, "   ")


async def test_a_bot_turn_in_flight_when_an_agent_takes_over_delivers_nothing(desk_setup):
    s = desk_setup
    gate, started = asyncio.Event(), asyncio.Event()

    async def slow_bot(msg):
        s.engine.seen.append(msg.text)
        started.set()
        await gate.wait()
        return [Reply("机器人迟到的回答"), Reply("", data={"handoff": {"reason": "requested"}})]

    await s.say("你好", "web:5")
    s.engine.handle = slow_bot
    # The bot is still thinking about this message when a supervisor takes the conversation.
    turn = asyncio.create_task(s.say("我要问个事", "web:5"))
    await started.wait()
    await s.desk.take("web:5", SUE)
    gate.set()
    assert await turn == []
    conv = s.store.get("web:5")
    assert conv.mode == Mode.AGENT and conv.agent == "sue"  # the late handoff did not re-queue it
    late = [m for m in s.store.history("web:5") if m.text == "机器人迟到的回答"]
    assert [m.error_code for m in late] == [SUPERSEDED]
    assert [r.text for r in s.delivered["web:5"]] == [TAKEN]
    detail = await s.desk.detail("web:5", SUE)
    assert [t["delivered"] for t in detail["transcript"] if t["text"] == "机器人迟到的回答"] == [False]


async def test_two_agents_taking_one_conversation_exactly_one_wins(desk_setup):
    s = desk_setup
    for i in range(8):
        await queue_citizen(s, f"web:r{i}")
    for i in range(8):
        results = await asyncio.gather(
            s.desk.take(f"web:r{i}", ALICE), s.desk.take(f"web:r{i}", BOB), return_exceptions=True
        )
        wins = [r for r in results if isinstance(r, dict)]
        losses = [r for r in results if isinstance(r, Conflict)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert losses[0].code == "taken_by_other" and losses[0].extra["agent"] == wins[0]["agent"]
        assert s.store.get(f"web:r{i}").agent == wins[0]["agent"]
    assert await s.desk.queue() == []


async def test_an_agent_cannot_act_on_a_conversation_held_by_another(desk_setup):
    s = desk_setup
    await queue_citizen(s, "web:1")
    await s.desk.take("web:1", ALICE)
    for call in (
        s.desk.take("web:1", BOB),
        s.desk.send("web:1", BOB, "我来"),
        s.desk.release("web:1", BOB),
        s.desk.close("web:1", BOB),
        s.desk.edit_draft("web:1", BOB, DraftPatch(district="海淀区")),
    ):
        with pytest.raises(Conflict) as err:
            await call
        assert err.value.code == "taken_by_other" and err.value.extra["agent"] == "alice"
    with pytest.raises(Forbidden):
        await s.desk.detail("web:1", BOB)
    assert (await s.desk.detail("web:1", SUE))["agent"] == "alice"  # supervisors see everything


async def test_release_hands_back_to_the_bot(desk_setup):
    s = desk_setup
    await queue_citizen(s, "web:1")
    await s.desk.take("web:1", ALICE)
    assert (await s.desk.release("web:1", ALICE))["mode"] == "bot"
    assert s.delivered["web:1"][-1].text == RELEASED and s.delivered["web:1"][-1].data == {"mode": "bot"}
    conv = s.store.get("web:1")
    assert conv.mode == Mode.BOT and conv.agent is None
    await s.say("你好", "web:1")
    assert s.engine.seen[-1] == "你好"
    with pytest.raises(Conflict) as err:
        await s.desk.release("web:1", ALICE)
    assert err.value.code == "not_held"


async def test_close_files_the_edited_draft_as_a_work_order(desk_setup):
    s = desk_setup
    await queue_citizen(s, "web:1")
    await s.desk.take("web:1", ALICE)
    draft = (await s.desk.detail("web:1", ALICE))["draft"]
    assert draft["description"] == "楼下烧烤店半夜太吵" and draft["contact_phone"] == "13812345678" and draft["ongoing"]
    await s.desk.edit_draft("web:1", ALICE, DraftPatch(address="望京西园三区12号楼"))
    await s.settle()
    [edit] = s.of_type("draft")
    assert edit["draft"]["address"] == "望京西园三区12号楼"
    result = await s.desk.close("web:1", ALICE, DraftPatch(contact_name="王先生"))
    assert result["work_order_action"] == "created"
    order = s.repo.get(result["work_order"])
    assert (order.request_type, order.district, order.address, order.contact_name, order.conversation_id) == (
        "complain",
        "朝阳区",
        "望京西园三区12号楼",
        "王先生",
        "web:1",
    )
    last = s.delivered["web:1"][-1]
    assert f"已为您登记工单，编号{order.number}" in last.text and last.data["mode"] == "bot"  # as on the card
    card = last.data["work_order"]  # the full card, as the bot sends it (no personal data)
    assert card["number"] == order.number and (card["request_type"], card["district"]) == ("complain", "朝阳区")
    assert card["deadline"].endswith("Z") and card["category"] and "contact_phone" not in card
    assert s.store.get("web:1").work_order == order.number
    assert [e.actor for e in s.repo.events(order.number)] == ["agent:alice"]


async def test_close_updates_the_work_order_the_bot_already_created(desk_setup):
    s = desk_setup
    await queue_citizen(s, "web:1")
    first = s.desk.orders.create(
        {"request_type": "complain", "description": "楼下烧烤店半夜太吵", "district": "朝阳区"},
        "web",
        "web:1",
        "api:web",
    )
    await s.desk.take("web:1", ALICE)
    result = await s.desk.close("web:1", ALICE, DraftPatch(district="海淀区", street=None))
    assert result == {**result, "work_order": first.number, "work_order_action": "updated"}
    assert s.repo.get(first.number).district == "海淀区"
    assert [e.kind for e in s.repo.events(first.number)] == ["created", "note"]
    assert "工单" in s.delivered["web:1"][-1].text


async def test_close_with_an_incomplete_draft_is_refused_and_keeps_the_conversation(desk_setup):
    s = desk_setup
    await queue_citizen(s, "web:1", {"reason": "requested"})
    await s.desk.take("web:1", ALICE)
    with pytest.raises(Invalid) as err:
        await s.desk.close("web:1", ALICE)
    assert {e["field"] for e in err.value.extra["errors"]} >= {"request_type", "description"}
    assert s.store.get("web:1").mode == Mode.AGENT
    result = await s.desk.close("web:1", ALICE, work_order=False)
    assert result["work_order"] is None and s.store.get("web:1").mode == Mode.BOT


async def test_queue_moves_and_the_citizens_behind_are_told(desk_setup):
    s = desk_setup
    for cid in ("web:1", "web:2", "web:3"):
        await queue_citizen(s, cid)
    assert s.store.queue_ids() == [c.id for c in s.store.queued()] == ["web:1", "web:2", "web:3"]
    await s.desk.take("web:1", ALICE)
    assert s.delivered["web:2"][-1].text.startswith("您是下一位")
    assert s.delivered["web:3"][-1].text.startswith("您前面还有1位")
    back = await s.say("/back_to_bot", "web:2")
    assert back[0].data == {"mode": "bot"}
    assert s.delivered["web:3"][-1].text.startswith("您是下一位")
    await s.settle()
    assert [e["type"] for e in s.events if e["type"] in ("taken", "left")] == ["taken", "left"]


async def test_outside_working_hours_the_citizen_is_offered_a_callback(tmp_path):
    night = datetime(2026, 11, 21, 14, 30, tzinfo=UTC)  # 22:30 in Beijing
    s = make_setup(tmp_path, hours="08:00-20:00", now=night)
    await s.bus.start()
    try:
        s.engine.script["转人工"] = [handoff_reply({**SUMMARY})]
        [reply] = await s.say("转人工", "web:1")
        assert reply.text == OUT_OF_HOURS.format(hours="08:00至20:00")
        assert [b.payload for b in reply.buttons] == ["/callback"]
        assert s.store.get("web:1").mode == Mode.BOT and await s.desk.queue() == []
        done = await s.say("/callback", "web:1")  # the collected phone is used
        assert "已为您登记回电请求" in done[0].text
        _, [order] = s.repo.search(WorkOrderFilter(conversation_id="web:1"))
        assert order.contact_phone == "13812345678" and order.description.startswith("来电请求回电")
        # Emergencies are queued at any hour.
        s.engine.script["着火了"] = [handoff_reply({"reason": "emergency"})]
        assert HANDING_OFF in [r.text for r in await s.say("着火了", "web:2")]
    finally:
        await s.bus.stop()


async def test_callback_asks_for_a_phone_when_none_was_collected(desk_setup):
    s = desk_setup
    await queue_citizen(s, "web:1")
    await queue_citizen(
        s, "web:2", {"reason": "requested", "request_type": "consult", "slots": {"description": "想问问居住证怎么办"}}
    )
    asked = await s.say("/callback", "web:2")
    assert "请留下您的联系电话" in asked[0].text
    bad = await s.say("电话是12345", "web:2")
    assert "没有识别到有效的电话号码" in bad[0].text
    done = await s.say("幺三九 一二三四 五六七八", "web:2")
    assert "已为您登记回电请求" in done[0].text and done[0].data["mode"] == "bot"
    _, [order] = s.repo.search(WorkOrderFilter(conversation_id="web:2"))
    assert (order.request_type, order.contact_phone) == ("consult", "13912345678")
    assert "来电请求回电" in order.description and "居住证" in order.description
    assert s.store.get("web:2").mode == Mode.BOT
    assert [q["conversation_id"] for q in await s.desk.queue()] == ["web:1"]
    assert s.engine.seen == ["转人工web:1", "转人工web:2"]  # the phone number never reached the bot


async def test_supervisor_overview_lists_agents_and_what_they_hold(desk_setup):
    s = desk_setup
    await queue_citizen(s, "web:1")
    await queue_citizen(s, "web:2")
    await s.desk.take("web:1", ALICE)
    await s.bus.mark("agents", "alice/1", 30)
    view = await s.desk.overview([ALICE, BOB, SUE])
    by_name = {a["username"]: a for a in view["agents"]}
    assert by_name["alice"]["online"] and by_name["alice"]["conversations"] == ["web:1"]
    assert not by_name["bob"]["online"] and by_name["bob"]["conversations"] == []
    assert view["queue_length"] == 1 and view["active"] == 1 and view["takes_last_hour"] == 1


async def test_a_supervisor_can_release_a_conversation_an_absent_agent_holds(desk_setup):
    s = desk_setup
    await queue_citizen(s, "web:1")
    await s.desk.take("web:1", ALICE)
    assert (await s.desk.release("web:1", SUE))["mode"] == "bot"
    assert s.delivered["web:1"][-1].text == RELEASED
    await s.settle()
    assert s.of_type("released")[-1]["agent"] == "sue"


async def test_agents_take_only_queued_or_alerted_conversations(desk_setup):
    s = desk_setup
    await s.say("你好", "web:7")
    with pytest.raises(Conflict) as err:
        await s.desk.take("web:7", ALICE)
    assert err.value.code == "not_queued"
    assert (await s.desk.take("web:7", SUE))["agent"] == "sue"  # a supervisor may step in anywhere
