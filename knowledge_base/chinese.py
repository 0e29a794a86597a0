"""Normalisation of Chinese text for indexing and queries: full/half width, traditional to
simplified, numerals before units as digits, spoken fillers removed, punctuation to spaces.
The same function runs on articles and on questions, so both sides meet in one form."""

import re
import threading
import unicodedata

import opencc

from normalize.numerals import small_number, spoken_digits_to_ascii, to_halfwidth

# Longest first; removed anywhere in a question. Only phrases that never carry meaning in a policy
# question (so not 一下 alone, not 那 alone, not 额 which is part of 额度).
FILLERS = (
    "我想咨询一下", "我想问一下", "想咨询一下", "麻烦问一下", "我想了解一下", "我想问问", "请问一下", "我想咨询",
    "我想问", "想问一下", "问一下", "咨询一下", "打听一下", "请问", "麻烦问下", "您好", "你好", "那个那个",
    "这个这个", "就是说", "那个", "喂", "嗯", "呃", "唔",
)  # fmt: skip
_FILLER_RE = re.compile("|".join(sorted(map(re.escape, FILLERS), key=len, reverse=True)))
# Variant characters that the traditional-to-simplified table leaves alone.
_VARIANTS = str.maketrans({"甚": "什", "麽": "么", "祇": "只", "裏": "里"})
_NUMERAL = "零〇一二两三四五六七八九十"
_UNITS = ("个工作日", "个月", "周岁", "小时", "工作日", "平方米", "平米", "公里", "岁", "年", "月", "天", "日", "周",
          "元", "块", "号", "级", "次", "人", "万", "层", "套", "个")  # fmt: skip
_NUMBER_UNIT_RE = re.compile(f"([{_NUMERAL}]{{1,3}})(?={'|'.join(_UNITS)})")
# Words where a numeral before a unit-like character is part of the word, not a quantity.
_FIXED = ("一卡通", "一次性", "一级", "一人一档", "一年级", "二级", "一日游", "一网通办", "一件事", "一站式", "一刻钟",
          "一号线", "二号线", "十四五", "一老一小", "一天到晚")  # fmt: skip
_FIXED_RE = re.compile("|".join(map(re.escape, _FIXED)))
_SPACES_RE = re.compile(r"\s+")
# Three or more digit readings in a row are a number read digit by digit: 一二三四五 → 12345.
_DIGIT_RUN_RE = re.compile("[零〇一二三四五六七八九幺两洞]{3,}")

_converter: opencc.OpenCC | None = None
_converter_lock = threading.Lock()


def to_simplified(text: str) -> str:
    global _converter
    if _converter is None:
        with _converter_lock:
            _converter = _converter or opencc.OpenCC("t2s.json")
    return _converter.convert(text).translate(_VARIANTS)


def numerals_to_digits(text: str) -> str:
    """六十岁 → 60岁, 三个月 → 3个月, 两年 → 2年, 一二三四五 → 12345; fixed words (一卡通, 一次性) stay."""
    fixed: list[str] = []

    def hide(m: re.Match) -> str:
        fixed.append(m.group(0))
        return f"\x00{len(fixed) - 1}\x00"

    text = _FIXED_RE.sub(hide, text)
    text = _DIGIT_RUN_RE.sub(lambda m: spoken_digits_to_ascii(m.group(0)), text)

    def digits(m: re.Match) -> str:
        value = small_number(m.group(1))
        return str(value) if value is not None else m.group(1)

    text = _NUMBER_UNIT_RE.sub(digits, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: fixed[int(m.group(1))], text)


def strip_punctuation(text: str) -> str:
    """Every punctuation or symbol character becomes a space; runs of spaces collapse."""
    out = [" " if unicodedata.category(c)[0] in "PSZC" else c for c in text]
    return _SPACES_RE.sub(" ", "".join(out)).strip()


def normalise(text: str) -> str:
    """The one normal form for index and query text (lower-case Latin letters, ASCII digits)."""
    text = to_simplified(to_halfwidth(text)).lower()
    text = _FILLER_RE.sub(" ", text)
    return strip_punctuation(numerals_to_digits(text))
