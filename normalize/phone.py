"""Phone numbers as citizens say or type them: 11-digit mobiles and landlines with area code,
in ASCII, full-width or spoken digits (幺三八…), with spaces, dashes, +86, brackets."""

import re
from dataclasses import dataclass

from normalize.numerals import SPOKEN_DIGITS, spoken_digits_to_ascii, to_halfwidth

BEIJING_AREA_CODE = "010"
_DIGIT_CHARS = "0-9" + "".join(SPOKEN_DIGITS)
# A run of digit characters, allowing separators people put between groups.
_RUN = re.compile(rf"[+＋]?[{_DIGIT_CHARS}(（][{_DIGIT_CHARS}\s\-—_－()（）.]*[{_DIGIT_CHARS}]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# Area codes: 010, 02x, or 0 + 3 digits (not 01x except 010).
_LANDLINE = re.compile(r"(010|02\d|0[3-9]\d{2})([2-9]\d{6,7})")


@dataclass(frozen=True)
class PhoneResult:
    number: str | None  # normalised: 13812345678 or 010-62345678
    problem: str | None = None  # why not, in English, for logs: too_short, too_long, not_a_phone, none_found


def normalize_phone(text: str) -> PhoneResult:
    """Find the phone number in an utterance and normalise it."""
    runs = [m.group(0) for m in _RUN.finditer(to_halfwidth(text))]
    candidates = [re.sub(r"\D", "", spoken_digits_to_ascii(r)) for r in runs]
    candidates = [c for c in candidates if len(c) >= 5]
    if not candidates:
        return PhoneResult(None, "none_found")
    digits = max(candidates, key=len)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.fullmatch(digits):
        return PhoneResult(digits)
    if m := _LANDLINE.fullmatch(digits):
        return PhoneResult(f"{m.group(1)}-{m.group(2)}")
    if len(digits) == 8 and digits[0] in "23456789":  # a Beijing number said without its area code
        return PhoneResult(f"{BEIJING_AREA_CODE}-{digits}")
    if len(digits) < 11:
        return PhoneResult(None, "too_short")
    if len(digits) > 12:
        return PhoneResult(None, "too_long")
    return PhoneResult(None, "not_a_phone")
