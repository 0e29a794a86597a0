"""How real citizens put things, over /ws/chat with the real trained model: each kind of failure
measured on real hotline text has its case here (intake that keeps the citizen's request type and
words and understands vague times; spoken-style intents)."""

import pytest

from tests.e2e.loop_helpers import tickets_of
from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e


async def citizen(stack) -> ChatClient:
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()  # status
    return chat


async def test_a_report_stays_a_report_with_its_words_and_a_vague_time(stack):
    chat = await citizen(stack)
    assert "哪个区" in texts(await chat.say("我要举报有人在小区里开黑诊所给人输液"))
    # An answer that sounds like a complaint neither turns the 举报 into a 投诉 nor replaces the description.
    asked = texts(await chat.say("朝阳区望京西园三区 好多人排队去打针 太吓人了"))
    assert "什么时候" in asked, asked
    assert "联系电话" in texts(await chat.say("最近一个月"))
    readback = texts(await chat.say("13900002222"))
    assert "举报" in readback and "投诉" not in readback, readback
    assert "黑诊所" in readback and "至今仍存在" in readback and "未说明" not in readback, readback
    assert "已为您登记工单" in texts(await chat.say("对"))
    [order] = tickets_of(stack, chat.conversation_id)
    assert order["request_type"] == "report" and "黑诊所" in order["description"]
    assert order["ongoing"] is True and order["occurred_at"] is not None
    assert order["district"] == "朝阳区"
    await chat.close()


async def test_the_citizen_can_correct_the_request_type_at_the_read_back(stack):
    chat = await citizen(stack)
    await chat.say("我要投诉 丰台区方庄芳城园一区门口的人行道全是共享单车 一直都这样")
    readback = texts(await chat.say("13900003333"))
    assert "投诉" in readback, readback
    corrected = texts(await chat.say("不对 不是投诉 是建议"))
    assert "建议" in corrected and "核对" in corrected, corrected
    assert "已为您登记工单" in texts(await chat.say("对"))
    [order] = tickets_of(stack, chat.conversation_id)
    assert order["request_type"] == "suggest" and "共享单车" in order["description"]
    await chat.close()


async def test_a_landmark_places_the_order_in_its_district(stack):
    chat = await citizen(stack)
    frames = await chat.say("我要投诉 五道口地铁站旁边的共享单车堆成山了 人都过不去 一直都这样 电话13900004444")
    readback = texts(frames)
    assert "核对" in readback and "海淀区" in readback, readback
    assert "已为您登记工单" in texts(await chat.say("对"))
    [order] = tickets_of(stack, chat.conversation_id)
    assert order["district"] == "海淀区" and "共享单车" in order["description"]
    await chat.close()
