"""End of turn from the partial transcript at a pause (voice/endpointing.py)."""

import pytest

from voice.endpointing import sounds_finished


@pytest.mark.parametrize(
    "partial",
    ["我想投诉楼下烧烤店太吵", "我 要 投诉 一下", "是的", "对", "朝阳区", "好的，谢谢。", "他不在家"],
)
def test_finished_sentences_end_the_turn(partial):
    assert sounds_finished(partial)


@pytest.mark.parametrize(
    "partial",
    [
        "",
        None,
        "   ",
        "我想问一下然后",
        "楼下那个",
        "因为",
        "我要",
        "就是 那个",
        "噪音很大 而且",
        "如果明天下雨的话",
        "嗯",
        "把车停在",
    ],
)
def test_unfinished_or_empty_partials_wait(partial):
    assert not sounds_finished(partial)


@pytest.mark.parametrize(
    ("partial", "finished"),
    [
        ("幺三八", False),
        ("一三八 一二三四", False),
        ("幺三八幺二三四五六七八", True),
        ("13812345678", True),
        ("六五一二 三四五六", True),
        ("我没有手机", True),
    ],
)
def test_a_phone_number_read_in_groups_is_awaited_whole(partial, finished):
    assert sounds_finished(partial, "phone") is finished
    assert sounds_finished("幺三八", None)  # without the expectation three digits are an answer


def test_work_order_numbers_need_all_eleven_digits():
    assert not sounds_finished("二六一一二一", "ticket_number")
    assert sounds_finished("二六一一二一 零零零四二", "ticket_number")
