"""Spoken Chinese on the phone: transcripts cleaned for NLU, replies made speakable, what a
reply expects and the phrase list for it."""

import pytest

from conversation.messages import Button, Reply
from conversation.router import BACK_BUTTON, ENGINE_DOWN, HUMAN_BUTTON
from places.gazetteer import Gazetteer
from tickets.intake import ticket_number
from voice.spoken import (
    DIGIT_WORDS,
    SlotPhrases,
    clean_transcript,
    expected_slot,
    read_digits,
    sentences,
    speakable,
    spoken_reply,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("嗯 那个 我 我 想 投诉 一下 楼下 烧烤 店", "我想投诉一下楼下烧烤店"),
        ("呃 呃 喂 你好", "喂你好"),
        ("我 的 电话 是 幺 三 八 一 一 二 二 三 三 四 四", "我的电话是幺三八一一二二三三四四"),
        ("嗯，那个，我想查一下工单", "我想查一下工单"),
        ("就是 就是 路灯 坏 了 啊", "路灯坏了"),
        ("那个", "那个"),
        ("嗯", ""),
        ("", ""),
        ("工单 号 是 二 六 一 一 二 一 零 零 零 四 二", "工单号是二六一一二一零零零四二"),
        # Recognisers that join Chinese words (the Vosk provider does)
        ("嗯那个我想投诉一下", "我想投诉一下"),
        ("呃呃我想查一下工单嗯", "我想查一下工单"),
        ("那个那个单子帮我查查", "那个单子帮我查查"),
        ("啊，喂，你好", "喂，你好"),
        ("就是说路灯坏了", "路灯坏了"),
        ("谢谢谢谢", "谢谢谢谢"),
    ],
)
def test_clean_transcript(raw, clean):
    assert clean_transcript(raw) == clean


def test_cleaned_spoken_digits_still_make_a_work_order_number():
    assert ticket_number(clean_transcript("工单 号 是 二 六 幺 幺 二 幺 洞 洞 洞 四 两")) == "26112100042"


def test_numbers_are_read_digit_by_digit_with_yao():
    assert read_digits("26112100042") == "二六幺幺二幺零零零四二"
    assert speakable("您的工单号是26112100042，请记好。") == "您的工单号是二六幺幺二幺零零零四二，请记好。"
    assert speakable("联系电话138****5678") == "联系电话尾号五六七八"
    assert speakable("燃气抢修电话010-65940469") == "燃气抢修电话零幺零，六五九四零四六九"
    assert speakable("工单261121 00042：已受理") == "工单二六幺幺二幺，零零零四二：已受理"
    assert speakable("第 3 4 条") == "第 3 4 条"
    assert speakable("补贴2000元，2024年起执行") == "补贴2000元，2024年起执行"  # amounts and years stay numbers


def test_speakable_drops_links_and_emoji_and_caps_length():
    assert speakable("详见 https://example.gov.cn/a?b=1 👍") == "详见"
    long = "这是一句比较长的政策说明。" * 30
    assert len(speakable(long)) <= 180 and speakable(long).endswith("。")


def test_sentences():
    assert sentences("您好。请问哪个区？好的！") == ["您好。", "请问哪个区？", "好的！"]
    assert sentences("没有标点") == ["没有标点"]


def test_spoken_reply_adds_the_keys_and_short_options():
    down = spoken_reply(Reply(ENGINE_DOWN, buttons=(HUMAN_BUTTON,), sender="system"))
    assert down.endswith("转人工请按0。")
    queued = spoken_reply(Reply("正在为您转接人工客服，请稍候…", buttons=(BACK_BUTTON,)))
    assert queued == "正在为您转接人工客服，请稍候…"  # no way to press 返回智能客服 on a phone
    confirm = Reply("信息是否正确？", buttons=(Button("正确", "/affirm"), Button("需要修改", "/deny")))
    assert spoken_reply(confirm) == "信息是否正确？您可以说：正确或需要修改。"
    many = Reply("请选择", buttons=tuple(Button(f"选项{i}", f"/x{i}") for i in range(5)))
    assert spoken_reply(many) == "请选择"


def test_expected_slot_prefers_data_expect_then_wording():
    assert expected_slot([Reply("好的。"), Reply("请问具体在哪里？", data={"expect": "district"})]) == "district"
    assert expected_slot([Reply("x", data={"expect": "nonsense"})]) is None
    assert expected_slot([Reply("请问是哪个区？")]) == "district"
    assert expected_slot([Reply("请留一个联系电话，方便回访。")]) == "phone"
    assert expected_slot([Reply("请告诉我工单编号。")]) == "ticket_number"
    assert expected_slot([Reply("地址是朝阳区望京街道，对吗？")]) == "affirm_deny"
    assert expected_slot([Reply("您好，请问有什么可以帮您？")]) is None
    assert expected_slot([]) is None


def test_slot_phrases():
    phrases = SlotPhrases(Gazetteer.builtin())
    districts = phrases.for_slot("district")
    assert {"朝阳区", "海淀区", "望京街道", "朝阳", "雍和宫"} <= set(districts)  # landmarks too
    assert {"是的", "不对"} <= set(phrases.for_slot("affirm_deny"))
    assert set(DIGIT_WORDS) <= set(phrases.for_slot("phone"))
    assert "匿名" in phrases.for_slot("phone") and "匿名" not in phrases.for_slot("ticket_number")
    assert phrases.for_slot(None) is None
