"""Telegram handlers through aiogram's dispatcher (feed_update) with a recording Bot API session."""

import json

from aiogram.exceptions import TelegramForbiddenError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendMessage

from channels.telegram.channel import TelegramChannel
from channels.telegram.handlers.commands import HELP
from channels.telegram.handlers.errors import APOLOGY
from channels.telegram.handlers.messages import ASK_ADDRESS, BAD_CONTACT
from channels.telegram.keyboards import HASH_PREFIX, PayloadMap
from channels.telegram.status import NONE_FOUND
from conversation.messages import Button, Mode, Reply
from conversation.router import BACK_TO_BOT, HANDING_OFF, REQUEST_HUMAN
from conversation.transcript import history_entries
from core.clock import utcnow
from places.gazetteer import Gazetteer
from tests.telegram.conftest import BUTTONS, CHAT
from tests.tickets.conftest import work_order_data
from tickets.intake import IntakeExtractor


def keyboard_of(call) -> list[list[tuple[str, str]]]:
    markup = call.reply_markup
    return [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] if markup else []


async def test_start_sends_the_greet_intent_and_the_bot_greeting_with_inline_buttons(tg):
    tg.engine.script["/greet"] = [
        Reply("您好，这里是12345。", buttons=(Button("反映问题", "/complain"), Button("转人工", REQUEST_HUMAN)))
    ]
    await tg.say("/start")
    seen = tg.engine.seen[-1]
    assert (seen.conversation_id, seen.channel, seen.text) == (f"tg:{CHAT}", "telegram", "/greet")
    assert seen.metadata["kind"] == "command"
    assert history_entries(tg.store.history(f"tg:{CHAT}"))[0]["text"] == "/start", (
        "histories show what the citizen typed"
    )
    [sent] = tg.session.sent()
    assert sent.chat_id == CHAT and sent.text == "您好，这里是12345。" and sent.parse_mode is None
    assert keyboard_of(sent) == [[("反映问题", "/complain"), ("转人工", REQUEST_HUMAN)]]
    assert tg.session.sent("sendChatAction"), "a typing indicator while the turn runs"
    assert tg.history() == [("in", "citizen", "/greet"), ("out", "bot", "您好，这里是12345。")]


async def test_text_reaches_the_router_and_the_reply_comes_back(tg):
    await tg.say("  楼下烧烤店太吵了  ")
    assert tg.engine.seen[-1].text == "楼下烧烤店太吵了"
    assert tg.session.texts() == ["收到：楼下烧烤店太吵了"]
    assert tg.history()[0] == ("in", "citizen", "楼下烧烤店太吵了")


async def test_two_chats_are_two_conversations(tg):
    await tg.say("一", chat=1)
    await tg.say("二", chat=2)
    assert [m.conversation_id for m in tg.engine.seen] == ["tg:1", "tg:2"]
    assert [c.chat_id for c in tg.session.sent()] == [1, 2]


async def test_button_press_sends_the_payload_with_its_title_and_answers_the_query(tg):
    tg.engine.script["帮我登记"] = [Reply("我核对一下，对吗？", buttons=BUTTONS)]
    await tg.say("帮我登记")
    markup = tg.session.sent()[-1].reply_markup
    await tg.press("/affirm", markup)
    seen = tg.engine.seen[-1]
    assert seen.text == "/affirm" and seen.metadata == {"kind": "button", "title": "对"}
    assert len(tg.session.sent("answerCallbackQuery")) == 1
    assert tg.session.texts()[-1] == "收到：/affirm"


async def test_long_payloads_travel_as_short_keys_and_resolve_even_after_a_restart(tg):
    long_payload = '/inform{"district": "朝阳区", "street": "望京街道", "address": "望京西园三区"}'
    assert len(long_payload.encode()) > 64
    tg.engine.script["地址"] = [Reply("是这里吗？", buttons=(Button("是", long_payload),))]
    await tg.say("地址")
    [[(title, data)]] = keyboard_of(tg.session.sent()[-1])
    assert data.startswith(HASH_PREFIX) and len(data.encode()) <= 64
    await tg.press(data)
    assert tg.engine.seen[-1].text == long_payload
    # A fresh process (empty memory map) finds the payload in the stored replies.
    tg.channel = TelegramChannel(tg.bot, tg.dp, payloads=PayloadMap())
    await tg.press(data)
    assert tg.engine.seen[-1].text == long_payload


async def test_an_unknown_button_key_is_answered_without_reaching_the_bot(tg):
    await tg.press(HASH_PREFIX + "0" * 24)
    assert tg.engine.seen == []
    [answer] = tg.session.sent("answerCallbackQuery")
    assert "失效" in answer.text


async def test_human_command_hands_over_and_the_back_button_returns(tg):
    tg.engine.script[REQUEST_HUMAN] = [Reply("", data={"handoff": {"reason": "requested"}})]
    await tg.say("/human")
    assert tg.engine.seen[-1].text == REQUEST_HUMAN
    sent = tg.session.sent()[-1]
    assert sent.text == HANDING_OFF and keyboard_of(sent) == [[("返回智能客服", BACK_TO_BOT)]]
    assert tg.store.get(f"tg:{CHAT}").mode == Mode.QUEUED
    await tg.say("还在吗")
    assert tg.engine.seen[-1].text == REQUEST_HUMAN, "queued: nothing more reaches the bot"
    await tg.press(BACK_TO_BOT, sent.reply_markup)
    assert tg.store.get(f"tg:{CHAT}").mode == Mode.BOT


async def test_status_lists_this_chats_work_orders_and_those_of_the_shared_phone_masked(tg):
    await tg.say("/status")
    assert tg.session.texts()[-1] == NONE_FOUND
    tg.work_orders.create(
        work_order_data(conversation_id=f"tg:{CHAT}", channel="tg", description="噪音扰民，电话13912345678"), "test"
    )
    tg.work_orders.create(
        work_order_data(conversation_id="web:x", contact_phone="13812345678", description="路灯不亮"), "test"
    )
    tg.work_orders.create(
        work_order_data(conversation_id="web:y", contact_phone="13700000000", description="别人的工单"), "test"
    )
    await tg.say("/status")
    text = tg.session.texts()[-1]
    assert "您共有1张工单" in text and "噪音扰民" in text and "139****5678" in text and "13912345678" not in text
    assert "路灯不亮" not in text and "朝阳区望京街道" in text and "办理时限" in text
    await tg.feed(
        message=tg.message(contact={"phone_number": "+86 138 1234 5678", "first_name": "市民", "user_id": CHAT})
    )
    await tg.say("/status")
    text = tg.session.texts()[-1]
    assert "您共有2张工单" in text and "路灯不亮" in text and "别人的工单" not in text
    assert "13812345678" not in text
    assert ("in", "citizen", "/status") in tg.history(), "the command is kept in the conversation history"


async def test_someone_elses_contact_fills_the_callback_phone_but_does_not_open_their_work_orders(tg):
    tg.work_orders.create(
        work_order_data(conversation_id="web:x", contact_phone="13812345678", description="路灯不亮"), "test"
    )
    await tg.feed(message=tg.message(contact={"phone_number": "13812345678", "first_name": "邻居", "user_id": 999}))
    assert tg.engine.seen[-1].text == "我的电话是13812345678"
    await tg.say("/status")
    assert tg.session.texts()[-1] == NONE_FOUND


async def test_contact_reaches_the_intake_as_an_extracted_phone(tg):
    extractor = IntakeExtractor(Gazetteer.builtin())
    tg.router.enrich = lambda text: extractor.extract(text, utcnow())
    await tg.feed(message=tg.message(contact={"phone_number": "+8613812345678", "first_name": "市民", "user_id": CHAT}))
    seen = tg.engine.seen[-1]
    assert seen.metadata["extracted"]["contact_phone"] == "13812345678"
    assert seen.metadata["kind"] == "contact" and seen.metadata["own"] is True


async def test_a_contact_without_a_usable_number_is_refused_politely(tg):
    await tg.feed(message=tg.message(contact={"phone_number": "+1 415 555", "first_name": "x", "user_id": CHAT}))
    assert tg.engine.seen == [] and tg.session.texts() == [BAD_CONTACT]
    assert tg.store.history(f"tg:{CHAT}")[0].error_code == "invalid_contact"


async def test_location_without_a_locator_is_kept_and_the_address_asked_for(tg):
    await tg.feed(message=tg.message(location={"latitude": 39.99, "longitude": 116.47}))
    assert tg.engine.seen == [] and tg.session.texts() == [ASK_ADDRESS]
    stored = tg.store.history(f"tg:{CHAT}")[0]
    assert stored.payload["kind"] == "location" and stored.payload["lat"] == 39.99


async def test_location_resolved_to_a_district_fills_it_through_the_extractor(tg):
    extractor = IntakeExtractor(Gazetteer.builtin())
    tg.router.enrich = lambda text: extractor.extract(text, utcnow())
    tg.build(locate=lambda lat, lon: "朝阳区" if lat > 39.9 else None)
    await tg.feed(message=tg.message(location={"latitude": 39.99, "longitude": 116.47}))
    seen = tg.engine.seen[-1]
    assert seen.text == "我在朝阳区" and seen.metadata["extracted"]["district"] == "朝阳区"
    assert seen.metadata["lon"] == 116.47


async def test_unknown_commands_get_help_and_other_content_a_polite_refusal(tg):
    await tg.say("/foo")
    await tg.feed(
        message=tg.message(
            sticker={
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        )
    )
    assert tg.engine.seen == []
    assert tg.session.texts()[0] == HELP and "文字" in tg.session.texts()[1]
    assert [r.error_code for r in tg.store.history(f"tg:{CHAT}") if r.direction == "in"] == [
        "unknown_command",
        "unsupported_content",
    ]


async def test_too_long_text_is_refused_and_kept(tg):
    tg.build(max_text_chars=10)
    await tg.say("很" * 11)
    assert tg.engine.seen == [] and "10字以内" in tg.session.texts()[-1]
    assert tg.store.history(f"tg:{CHAT}")[0].error_code == "text_too_long"


async def test_group_chats_are_not_answered(tg):
    update = tg.message(text="大家好")
    update["chat"] = {"id": -100, "type": "group", "title": "群"}
    await tg.feed(message=update)
    assert tg.engine.seen == [] and tg.session.sent() == []


async def test_a_failing_handler_ends_in_the_error_handler_with_an_apology(tg):
    tg.engine.script["崩"] = RuntimeError("engine exploded")
    await tg.say("崩")
    assert tg.session.texts() == [APOLOGY]
    assert tg.history()[0] == ("in", "citizen", "崩"), "the message was stored before the failure"


async def test_markup_is_sent_as_plain_text(tg):
    evil = '<b>粗体</b><script>alert("x")</script> &amp; *星号* [链接](http://x)'
    tg.engine.script["标记"] = [Reply(evil)]
    await tg.say("标记")
    [sent] = tg.session.sent()
    assert sent.text == evil and sent.parse_mode is None and sent.entities is None


async def test_long_replies_are_split_at_4096_with_the_keyboard_on_the_last_part(tg):
    long_text = ("这是一段很长的政策说明。" * 400)[:5000]
    tg.engine.script["长"] = [Reply(long_text, buttons=BUTTONS)]
    await tg.say("长")
    parts = tg.session.sent()
    assert len(parts) == 2 and "".join(p.text for p in parts) == long_text
    assert all(len(p.text) <= 4096 for p in parts) and parts[0].text.endswith("。")
    assert parts[0].reply_markup is None and keyboard_of(parts[1])


async def test_flood_control_and_server_errors_are_retried(tg):
    method = SendMessage(chat_id=CHAT, text="x")
    tg.session.fail["sendMessage"] = [
        TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=0),
        TelegramServerError(method=method, message="Bad Gateway"),
        TelegramNetworkError(method=method, message="connection reset"),
    ]
    await tg.say("你好")
    assert len(tg.session.sent()) == 4 and tg.session.texts()[-1] == "收到：你好"


async def test_a_blocked_bot_is_logged_not_retried(tg, caplog):
    tg.session.fail["sendMessage"] = [
        TelegramForbiddenError(method=SendMessage(chat_id=CHAT, text="x"), message="bot was blocked")
    ]
    await tg.say("你好")
    assert len(tg.session.sent()) == 1
    assert "refused" in caplog.text and tg.history()[-1][2] == "收到：你好", "the reply stays stored"


async def test_agent_replies_are_delivered_through_send_and_marked(tg):
    await tg.channel.send(f"tg:{CHAT}", [Reply("您好，我是人工客服小王。", sender="agent")])
    assert tg.session.texts() == ["人工客服：您好，我是人工客服小王。"]


def test_callback_data_of_short_payloads_is_the_payload():
    payloads = PayloadMap()
    assert payloads.callback_data("/affirm") == "/affirm"
    assert payloads.lookup("/affirm") == "/affirm"
    key = payloads.callback_data("/x" * 40)
    assert payloads.lookup(key) == "/x" * 40 and json.dumps(key)
