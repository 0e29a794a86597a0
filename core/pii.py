"""Masking of citizens' personal data wherever it leaves the internal roles (public APIs, logs).

`mask_pii` finds phone numbers (mobiles, landlines with area code), mainland ID numbers, bank
card numbers, licence plates and e-mail addresses in free text, written the ways citizens and speech recognition
write them: ASCII or full-width digits, Chinese digit readings (幺三九…, 两 = 2, 洞 = 0), groups
separated by spaces or dashes. Work-order numbers (YYMMDD + 5 digits), dates and timestamps stay.
"""

import logging
import re
from dataclasses import dataclass

from normalize.numerals import SPOKEN_DIGITS

# Digit characters and the ASCII digit each stands for. "O" is left out: it is a letter in ids.
_CHINESE_DIGITS = {c: d for c, d in SPOKEN_DIGITS.items() if not c.isascii()}
_DIGITS = {**{str(d): str(d) for d in range(10)}, **{chr(0xFF10 + d): str(d) for d in range(10)}, **_CHINESE_DIGITS}
_CHECK_X = "XxＸｘ"  # the last character of an ID number may be X
_DIGIT_CLASS = "0-9０-９" + "".join(_CHINESE_DIGITS)
# Between digit groups: up to three spaces, dashes, brackets or plus signs (+86, (010) …).
_SEPARATOR_CLASS = r" \t\u3000\-‐‑–—－_()（）+＋"
_SEGMENT = re.compile(
    rf"[{_DIGIT_CLASS}](?:[{_DIGIT_CLASS}{_CHECK_X}]|[{_SEPARATOR_CLASS}]{{1,3}}(?=[{_DIGIT_CLASS}]))*"
)
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_MIN_DIGITS, _MAX_DIGITS = 10, 19

_COUNTRY = r"(0086|86)?"
_MOBILE = re.compile(rf"{_COUNTRY}(1[3-9]\d)\d{{4}}(\d{{4}})")
_LANDLINE = re.compile(rf"{_COUNTRY}(0(?:10|2\d|[3-9]\d\d))[1-9]\d{{2,3}}(\d{{4}})")
_ID_NUMBER = re.compile(r"([1-8]\d{5})(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]")
_BANK_CARD = re.compile(r"[3-69]\d{15,18}")  # dates and timestamps start with 1 or 2

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "A-HJ-NP-Za-hj-np-z0-9Ａ-Ｚａ-ｚ０-９"
_PLATE = re.compile(
    rf"([{_PROVINCES}][\s·・•\-]?[A-Za-zＡ-Ｚａ-ｚ])[\s·・•\-]?([{_PLATE_CHAR}]{{4,5}})([{_PLATE_CHAR}])"
    rf"(?![A-Za-z0-9Ａ-Ｚａ-ｚ０-９])"
)
_EMAIL = re.compile(r"([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
_SECRET_PARAM = re.compile(r"\b((?:resume_)?token|api_key)=[^&\s\"']+")


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a phone number: 138****5678."""
    digits = phone.replace("-", "")
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "****"


def _masked_number(digits: str) -> str | None:
    """The masked form of a whole digit string that is personal data, else None."""
    if m := _ID_NUMBER.fullmatch(digits):
        return f"{m.group(1)}********{digits[-4:]}"
    if "X" in digits:
        return None
    if _BANK_CARD.fullmatch(digits):
        return f"{digits[:4]}{'*' * (len(digits) - 8)}{digits[-4:]}"
    if m := _MOBILE.fullmatch(digits):
        return f"{m.group(1) or ''}{m.group(2)}****{m.group(3)}"
    if m := _LANDLINE.fullmatch(digits):
        return f"{m.group(1) or ''}{m.group(2)}-****{m.group(3)}"
    return None


@dataclass
class _Unit:
    """A run of digit characters of one script (ASCII/full-width, or Chinese readings)."""

    start: int
    end: int
    digits: str
    glued: bool  # touches a letter: part of an identifier or a hash, never a number of its own


def _units(text: str, seg: re.Match) -> list[_Unit]:
    units: list[_Unit] = []
    i, end = seg.start(), seg.end()
    while i < end:
        if text[i] not in _DIGITS and text[i] not in _CHECK_X:
            i += 1
            continue
        chinese = text[i] in _CHINESE_DIGITS
        j = i
        while j < end and (text[j] in _CHINESE_DIGITS) == chinese and (text[j] in _DIGITS or text[j] in _CHECK_X):
            j += 1
        digits = "".join(_DIGITS.get(c, "X") for c in text[i:j])
        glued = not chinese and (
            bool(i and _ASCII_LETTER.match(text[i - 1])) or bool(j < len(text) and _ASCII_LETTER.match(text[j]))
        )
        units.append(_Unit(i, j, digits, glued))
        i = j
    return units


def _mask_segment(text: str, seg: re.Match, out: list[str], pos: int) -> int:
    """Append the text from pos to the segment's end to out, numbers masked; return the new pos."""
    units = _units(text, seg)
    i = 0
    while i < len(units):
        found = None
        if not units[i].glued:
            joined = ""
            for j in range(i, len(units)):
                joined += units[j].digits
                if len(joined) > _MAX_DIGITS + 4:
                    break
                if len(joined) >= _MIN_DIGITS and not units[j].glued and (masked := _masked_number(joined)):
                    found = (j, masked)  # keep the longest: 86 + mobile, grouped card numbers
        if found is None:
            i += 1
            continue
        j, masked = found
        out.append(text[pos : units[i].start])
        out.append(masked)
        pos = units[j].end
        i = j + 1
    return pos


def mask_pii(text: str) -> str:
    """'13812345678' -> '138****5678', '幺三八 一二三四 五六七八' -> '138****5678'; landlines
    '010-****5678', ID numbers '110105********1234', bank cards '6222***********0123', plates
    '京A****5', e-mail addresses 'w***@example.com'. Text without such data is returned unchanged."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = _PLATE.sub(lambda m: f"{m.group(1)}{'*' * len(m.group(2))}{m.group(3)}", text)
    out: list[str] = []
    pos = 0
    for seg in _SEGMENT.finditer(text):
        if sum(c in _DIGITS for c in seg.group(0)) >= _MIN_DIGITS:
            pos = _mask_segment(text, seg, out, pos)
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def redact_secrets(text: str) -> str:
    """Secrets carried in URLs (token=…, api_key=…) replaced by [redacted]."""
    return _SECRET_PARAM.sub(r"\1=[redacted]", text) if "=" in text else text


def mask_log_text(text: str) -> str:
    """What any log line goes through: personal data masked, secrets in URLs redacted."""
    return mask_pii(redact_secrets(text))


class PiiMaskingFilter(logging.Filter):
    """Rewrites every record's message with personal data masked (for handlers that format it
    themselves); the traceback is masked by MaskingFormatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_log_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record: message, exception traceback (exc_text) and stack."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_log_text(super().format(record))


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """One masking handler on the root logger. Every logger propagates to it: uvicorn's error
    and access loggers too (the gateway starts uvicorn with log_config=None, so uvicorn adds no
    handler of its own). Under `hotline up` the supervisor masks each process's output again
    (runtime/supervisor.py), which covers Rasa, the action server and anything printed."""
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter(LOG_FORMAT))
    handler.addFilter(PiiMaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic narrates every migration context at INFO; core.migrate logs the one line that matters.
    logging.getLogger("alembic").setLevel(logging.WARNING)
