"""Complaints become work orders: the intake form over /ws/chat with the real Rasa model, the
action server and the gateway; the results checked through the ticket APIs."""

import re

import httpx
import pytest

from tests.e2e.loop_helpers import tickets_of
from tests.helpers import ChatClient, texts
from tickets.models import STATUS_LABELS, Status

pytestmark = pytest.mark.e2e


async def citizen(stack) -> ChatClient:
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()  # status
    return chat


async def test_one_breath_complaint_creates_a_complete_work_order(stack):
    chat = await citizen(stack)
    frames = await chat.say(
        "喂我要投诉 朝阳区望京西园三区楼下烧烤店天天半夜吵得睡不着 我姓王 电话幺三八一二三四五六七八"
    )
    reply = texts(frames)
    assert "核对" in reply and "138****5678" in reply, "nothing asked twice: straight to the read-back"
    done = texts(await chat.say("对"))
    assert "已为您登记工单" in done
    [order] = tickets_of(stack, chat.conversation_id)
    assert order["number"] in done.replace(" ", "")
    assert (order["district"], order["street"]) == ("朝阳区", "望京街道")
    assert order["contact_phone"] == "13812345678" and order["contact_name"] == "王"
    assert order["ongoing"] is True and order["request_type"] == "complain"
    assert order["category_path"] and order["department"] and order["deadline"].endswith("Z")

    [public] = httpx.get(f"{stack.http}/open311/v2/requests/{order['number']}.json").json()
    assert public["status"] == "open" and public["extended_attributes"]["district"] == "朝阳区"
    assert public["extended_attributes"]["contact_phone"] == "138****5678"
    await chat.close()


async def test_step_by_step_complaint_with_a_correction(stack):
    chat = await citizen(stack)
    assert "具体说一下" in texts(await chat.say("我要投诉"))
    assert "哪个区" in texts(await chat.say("楼下新开的饭馆油烟太大 窗户都不敢开"))
    assert "什么时候" in texts(await chat.say("海淀区中关村大街1号院"))
    assert "联系电话" in texts(await chat.say("昨天晚上十点"))
    readback = texts(await chat.say("13900001111"))
    assert "海淀区中关村大街1号院" in readback and "139****1111" in readback
    corrected = texts(await chat.say("地址不对 是丰台区卢沟桥街道晓月苑小区"))
    assert "丰台区卢沟桥街道晓月苑小区" in corrected and "核对" in corrected
    assert "已为您登记工单" in texts(await chat.say("对的"))
    [order] = tickets_of(stack, chat.conversation_id)
    assert order["district"] == "丰台区" and order["address"].startswith("丰台区卢沟桥")
    assert order["occurred_at"] is not None and "油烟" in order["description"]
    await chat.close()


async def test_cancelled_intake_creates_nothing(stack):
    chat = await citizen(stack)
    await chat.say("我要反映个问题 小区里的路灯坏了好几个礼拜了")
    assert "取消" in texts(await chat.say("算了 不办了"))
    assert tickets_of(stack, chat.conversation_id) == []
    assert "12345" in texts(await chat.say("你好")), "the bot is back to normal"
    await chat.close()


async def test_anonymous_report(stack):
    chat = await citizen(stack)
    await chat.say("我要举报 大兴区亦庄那边有个无证的黑诊所 一直在给人打针 我想匿名")
    readback = texts(chat.frames)
    assert "联系电话" not in readback.split("核对")[0][-40:], "no phone is demanded for an anonymous report"
    assert "匿名" in readback
    assert "已为您登记工单" in texts(await chat.say("对"))
    [order] = tickets_of(stack, chat.conversation_id)
    assert order["request_type"] == "report" and order["contact_phone"] is None and order["district"] == "大兴区"
    await chat.close()


async def test_emergency_interrupts_the_form(stack):
    chat = await citizen(stack)
    await chat.say("我要投诉 我们楼里电线老化好久了")
    frames = await chat.say_until("哎呀着火了 楼道里全是烟", lambda f: f["type"] == "status")
    reply = texts(frames)
    assert "119" in reply and "紧急工单" in reply
    assert [f["mode"] for f in frames if f["type"] == "status"] == ["queued"]
    [order] = tickets_of(stack, chat.conversation_id)
    assert order["emergency"] is True and order["urgency"] == "2h"
    await chat.close()


async def test_invalid_phone_is_re_asked_then_a_human_is_offered(stack):
    chat = await citizen(stack)
    await chat.say("我要投诉 西城区金融街那边工地晚上十二点还在施工")
    await chat.say("就是最近这一个礼拜天天这样")
    first = await chat.say("电话是12345")
    assert "号码好像不对" in texts(first)
    second = await chat.say("就是幺二三")
    assert "转人工" in texts(second)
    assert any(b["payload"] == "/request_human" for f in second if f["type"] == "message" for b in f["buttons"])
    assert tickets_of(stack, chat.conversation_id) == []
    await chat.close()


async def test_status_query_by_number_not_by_a_typed_phone(stack):
    author = await citizen(stack)
    await author.say("我要投诉 石景山区鲁谷那边的菜市场缺斤短两 上礼拜三的事 我电话一五八零零零零一二三四")
    done = texts(await author.say("对"))
    [order] = tickets_of(stack, author.conversation_id)
    assert order["number"] in done.replace(" ", "")
    await author.close()

    chat = await citizen(stack)
    asked = texts(await chat.say("我想查一下我的工单办到哪一步了"))
    assert "工单编号" in asked and "电话" not in asked
    # A typed phone number proves nothing: no orders are listed, the work-order number is asked for.
    by_phone = texts(await chat.say("我反映的问题现在怎么样了 我电话是15800001234"))
    assert "不能凭" in by_phone and "工单编号" in by_phone
    label = STATUS_LABELS[Status(order["status"])]  # 已派单 once the rules found its unit, else 已受理
    assert label not in by_phone and order["number"][:6] not in by_phone and "15800001234" not in by_phone
    spoken_number = " ".join((order["number"][:6], order["number"][6:]))
    answer = texts(await chat.say(f"编号是{spoken_number}"))
    assert label in answer and order["number"][:6] in answer and "15800001234" not in answer
    assert "没有查到" in texts(await chat.say("查一下工单26010100099"))
    await chat.close()


async def test_changing_the_request_type_mid_form(stack):
    chat = await citizen(stack)
    await chat.say("我要投诉 通州区梨园地铁站旁边天天有人占道摆摊")
    await chat.say("其实我是想举报他们 无证经营好几个月了")
    readback = texts(await chat.say("电话是13700001234"))
    assert "举报" in readback.split("核对")[-1]
    assert "已为您登记工单" in texts(await chat.say("对"))
    [order] = tickets_of(stack, chat.conversation_id)
    assert order["request_type"] == "report" and order["district"] == "通州区"
    await chat.close()


def test_no_unmasked_phone_numbers_in_any_log(stack):
    """Runs after the conversations above, which all gave phone numbers."""
    mobile = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
    logs = sorted((stack.var_dir / "log").glob("*.log")) + [stack.var_dir / "hotline-up.log"]
    leaks = {p.name: mobile.findall(p.read_text(errors="replace")) for p in logs}
    assert {name: found for name, found in leaks.items() if found} == {}
