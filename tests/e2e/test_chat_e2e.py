"""Multi-turn Chinese conversations over /ws/chat against the real stack (trained Rasa model,
action server, gateway)."""

import sqlite3

import httpx
import pytest

from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e


def statuses(frames: list[dict]) -> list[str]:
    return [f["mode"] for f in frames if f["type"] == "status"]


async def test_complaint_conversation(stack):
    chat = await ChatClient.connect(stack.ws)
    assert (await chat.recv())["type"] == "status"

    greeting = await chat.say("喂 你好")
    assert "12345" in texts(greeting)
    buttons = [b["payload"] for f in greeting if f["type"] == "message" for b in f["buttons"]]
    assert {"/consult", "/complain", "/request_human"} <= set(buttons)

    ack = await chat.say("我要投诉 我们楼下那个烧烤店天天半夜吵得睡不着觉")
    assert "登记投诉" in texts(ack) and "哪个区" in texts(ack)

    detail = await chat.say("在朝阳区望京西园三区")
    assert "联系电话" in texts(detail), "the time was already said (天天): next comes the phone"

    assert "取消" in texts(await chat.say("算了 不办了"))
    bye = await chat.say("好的谢谢你啊")
    assert "不客气" in texts(bye)
    await chat.close()


async def test_request_types_are_recognised(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    cases = {
        "那个我想问一下居住证怎么办理啊": "居住证",  # answered from the knowledge base
        "我要举报 小区里有人私搭乱建盖了个二层小楼": "举报",
        "我们家停水两天了 你们能不能帮帮忙": "别着急",
        "我建议咱这附近多开几趟公交车": "建议",
        "我想表扬一下我们社区的王大姐 特别热心": "表扬",
    }
    for said, expected in cases.items():
        frames = await chat.say(said)
        shown = texts(frames) + "".join(b["title"] for f in frames for b in f.get("buttons", []))
        assert expected in shown, said  # a consultation may be answered or offer a choice of articles
        if expected != "居住证":
            await chat.say("算了 不办了")  # leave the intake form this request type opened
    assert "工单编号" in texts(await chat.say("我上周反映的那个问题 现在处理得怎么样了"))
    await chat.close()


async def test_button_click_and_human_handoff(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    await chat.say("你好")
    frames = await chat.click("/request_human", "转人工")
    assert "转接人工客服" in texts(frames)
    assert statuses(frames) == ["queued"]
    waiting = await chat.say("还要等多久啊")
    assert "等待人工客服" in texts(waiting)
    back = await chat.click("/back_to_bot", "返回智能客服")
    assert statuses(back) == ["bot"]
    assert "12345" in texts(await chat.say("你好"))
    await chat.close()


async def test_emergency_is_answered_at_once_and_handed_over(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    frames = await chat.say_until("快来人啊 我们楼里着火了 好大的烟", lambda f: f["type"] == "status")
    first = next(f for f in frames if f["type"] == "message")
    assert "119" in first["text"] and first["data"]["emergency"]["numbers"][0]["number"] == "119"
    assert "紧急工单" in texts(frames)
    assert statuses(frames) == ["queued"]

    db = sqlite3.connect(stack.var_dir / "hotline.db")
    (mode, handoff) = db.execute(
        "select mode, handoff from conversation where id = ?", (chat.conversation_id,)
    ).fetchone()
    assert mode == "queued" and '"reason": "emergency"' in handoff
    await chat.close()


async def test_every_message_is_persisted(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    await chat.say("你好")
    await chat.say("我要投诉物业乱收费")
    db = sqlite3.connect(stack.var_dir / "hotline.db")
    rows = db.execute(
        "select direction, sender, text from message where conversation_id = ? order by id", (chat.conversation_id,)
    ).fetchall()
    # the complaint is acknowledged and the intake form asks its first question: two replies
    assert [r[:2] for r in rows] == [
        ("in", "citizen"),
        ("out", "bot"),
        ("in", "citizen"),
        ("out", "bot"),
        ("out", "bot"),
    ]
    assert rows[2][2] == "我要投诉物业乱收费"
    await chat.close()


async def test_healthz_and_metrics(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    await chat.say("你好")
    await chat.close()
    health = httpx.get(f"{stack.http}/healthz").json()
    assert health["status"] == "ok"
    assert {"rasa", "action_server", "database", "agent_desk"} <= set(health["components"])  # and all ok (status)
    metrics = httpx.get(f"{stack.http}/metrics").text
    assert 'hotline_messages_total{channel="web",direction="in"}' in metrics
    assert 'hotline_turn_seconds_bucket{channel="web",le="0.5"}' in metrics


async def test_two_misunderstandings_in_a_row_hand_over_to_a_person(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    first = await chat.say("qwpz xkcv blorf")
    assert "没有听明白" in texts(first) and statuses(first) == []
    second = await chat.say("zzkq vvrm plox")
    assert "转接人工客服" in texts(second) and statuses(second) == ["queued"]
    db = sqlite3.connect(stack.var_dir / "hotline.db")
    (handoff,) = db.execute("select handoff from conversation where id = ?", (chat.conversation_id,)).fetchone()
    assert '"reason": "not_understood"' in handoff
    await chat.close()
