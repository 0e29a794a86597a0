"""Text the Chinese dialogue model cannot read is recognised before it is asked."""

import pytest

from normalize.text import is_unreadable


@pytest.mark.parametrize("text", ["qwpz xkcv blorf", "asdfgh", "zzkq vvrm plox!!"])
def test_latin_gibberish_is_unreadable(text):
    assert is_unreadable(text)


@pytest.mark.parametrize(
    "text", ["OK", "ok 好的", "hello", "13812345678", "你好", "/affirm", "Help!", "楼下太吵 qwer", "。。。", ""]
)
def test_what_the_model_can_read_or_is_not_words(text):
    assert not is_unreadable(text)
