"""Normalisation, tokens and synonym expansion: the same form for articles and questions."""

import pytest

from knowledge_base.chinese import normalise, numerals_to_digits, to_simplified
from knowledge_base.tokens import SynonymTable, Tokenizer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("居住證怎麼申請", "居住证怎么申请"),  # traditional -> simplified
        ("甚麼時候供暖", "什么时候供暖"),  # variants the table leaves alone
        ("ＡＢＣ１２３４５热线", "abc12345热线"),  # full width -> half width, lower case
        ("请问，公积金怎么提取？！", "公积金怎么提取"),  # filler and punctuation
        ("嗯那个，我想问一下低保……", "低保"),
        ("您好 喂 暖气不热", "暖气不热"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("六十岁以上老人", "60岁以上老人"),
        ("交满十五年", "交满15年"),
        ("两个月内", "2个月内"),
        ("二十三号", "23号"),
        ("十五个工作日", "15个工作日"),
        ("一卡通一次性补贴", "一卡通一次性补贴"),  # words that merely start with a numeral stay
        ("一下子说不清", "一下子说不清"),  # no unit: untouched
        ("打一二三四五问问", "打12345问问"),  # digit by digit
        ("幺幺零还是一一九", "110还是119"),
    ],
)
def test_numerals_before_units_become_digits(raw, expected):
    assert numerals_to_digits(raw) == expected


def test_spoken_and_written_numbers_meet():
    assert normalise("满六十周岁") == normalise("满60周岁") == "满60周岁"


def test_simplified_text_is_left_alone():
    assert to_simplified("北京市居住证") == "北京市居住证"


def test_synonym_expansion_prefers_the_longest_word():
    table = SynonymTable.from_groups([["住房公积金", "公积金"], ["居住证", "暂住证"], ["社会保险", "社保"]])
    assert table.expand("住房公积金提取") == ["syn:住房公积金"]  # not also 公积金 inside it
    assert table.expand("公积金和社保") == ["syn:住房公积金", "syn:社会保险"]
    assert table.expand("暂住证") == table.expand("居住证") == ["syn:居住证"]
    assert table.expand("今天天气") == []


def test_synonym_words_are_normalised_and_conflicts_reported(caplog):
    table = SynonymTable.from_groups([["暫住證", "居住证"], ["居住证", "居住登记"], ["孤单"]])
    assert table.expand("暂住证") == ["syn:暂住证"]
    assert "is in groups" in caplog.text
    assert "fewer than two words" in caplog.text


def test_shipped_synonym_list_has_the_required_groups():
    table = SynonymTable.load()
    canon = table.canonical
    for a, b in [
        ("居住证", "暂住证"),
        ("公积金", "住房公积金"),
        ("社保", "社会保险"),
        ("医保", "医疗保险"),
        ("暖气", "供暖"),
        ("低保", "最低生活保障"),
        ("一卡通", "公交卡"),
    ]:
        assert canon[a] == canon[b], (a, b)
    assert len(table.groups) >= 40


def test_tokens_drop_stop_words_and_add_synonym_tokens():
    tok = Tokenizer(SynonymTable.from_groups([["居住证", "暂住证"]]))
    tokens = tok.tokens("请问暂住证怎么办理呢？")
    assert "syn:居住证" in tokens and "暂住证" in tokens
    assert not {"怎么", "呢", "请问"} & set(tokens)
    assert tok.tokens("居住證") == tok.tokens("居住证")
