"""How real citizens put things, over /ws/chat with the real trained model: each kind of failure
measured on real hotline text has its case here (intake that keeps the citizen's request type and
words and understands vague times; spoken-style intents)."""

import httpx
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


@pytest.mark.parametrize(
    ("text", "request_type"),
    [
        (
            "市民来电反映：朝阳区某小区地下室被改成群租房，住了二十多人，还在里面做饭，存在消防隐患。诉求：请相关部门查处。",
            "report",
        ),
        ("市民来电咨询：孩子明年上小学，非京籍家庭需要准备哪些材料，在哪里审核？", "consult"),
        (
            "关于小区供暖不达标的问题。我家住在丰台区某小区，入冬以来室温一直只有十五六度，家里有老人孩子，"
            "多次给物业和热力公司打电话都说在处理，可到现在也没有改善。请问什么时候能解决？",
            "complain",
        ),
        ("市民来电建议：学校门口早晚高峰拥堵，希望在路口增设护学岗和临时停车区。", "suggest"),
    ],
)
def test_whole_written_orders_get_their_request_type(stack, text, request_type):
    """Long letters and operator-written orders: the request type of the whole message through the
    running gateway's /api/classify (a complaint that asks a question stays a complaint)."""
    got = httpx.post(f"{stack.http}/api/classify", json={"text": text}, timeout=30)
    assert got.status_code == 200 and got.json()["request_type"] == request_type, got.text
