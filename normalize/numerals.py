"""Chinese digits and numerals: 幺/两/洞/拐 digit-by-digit readings, and small numbers (十一, 二十三)."""

import unicodedata

# Digit-by-digit readings as used on the phone: 幺=1, 两=2, 洞=0, 拐=7, 勾=9.
SPOKEN_DIGITS = {
    "零": "0", "〇": "0", "○": "0", "洞": "0", "O": "0",
    "一": "1", "幺": "1", "壹": "1",
    "二": "2", "两": "2", "贰": "2",
    "三": "3", "叁": "3", "四": "4", "肆": "4", "五": "5", "伍": "5",
    "六": "6", "陆": "6", "七": "7", "拐": "7", "柒": "7",
    "八": "8", "捌": "8", "九": "9", "勾": "9", "玖": "9",
}  # fmt: skip
_SMALL = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def to_halfwidth(text: str) -> str:
    """Full-width digits, letters and punctuation to their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def spoken_digits_to_ascii(text: str) -> str:
    """Replace every digit-reading character by its ASCII digit (only for digit strings!)."""
    return "".join(SPOKEN_DIGITS.get(c, c) for c in to_halfwidth(text))


def small_number(text: str) -> int | None:
    """'三'→3, '十'→10, '十二'→12, '二十'→20, '二十三'→23, '12'→12; None if not a number < 100."""
    text = to_halfwidth(text)
    if text.isdigit():
        return int(text)
    if not text or any(c not in _SMALL and c != "十" for c in text):
        return None
    if "十" not in text:
        return _SMALL[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_SMALL[tens] if tens else 1) * 10 + (_SMALL[ones] if ones else 0)
