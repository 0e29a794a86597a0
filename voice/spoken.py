"""Spoken Chinese on the phone, both ways: recogniser output made fit for NLU (word spacing and
filler words removed, stutters collapsed), reply text made fit for speech (numbers read digit by
digit with 幺, masked phone numbers as 尾号…, button hints, the survey's keys), and what the last reply expects
(district / yes-no / phone / work-order number) with the phrase list that biases recognition.

Digits and numerals themselves are normalize/'s business (normalize.numerals, normalize.phone);
the router's extractor reads 幺三八… from the cleaned text.
"""

import re
from collections.abc import Sequence

from conversation.messages import Reply
from conversation.router import BACK_TO_BOT, REQUEST_HUMAN
from normalize.numerals import SPOKEN_DIGITS
from places.gazetteer import Gazetteer

# Hesitation sounds that carry no meaning on their own (as whole words).
FILLER_TOKENS = frozenset(
    {"嗯", "呃", "额", "唔", "哦", "噢", "啊", "哎", "诶", "欸", "嗯嗯", "呃呃", "啊啊", "嗯哼", "emm", "em"}
)
# Discourse fillers dropped at the start of an utterance ("那个 我想问一下…").
LEADING_FILLERS = ("就是说", "那个", "就是", "然后", "这个")
_HESITATION_CHARS = re.compile(r"[嗯呃唔]+[，,。、]?")  # never part of a word
_LEADING_SOUNDS = re.compile(r"^(?:[啊哦噢哎诶欸]+[，,。、\s]*)+")
_REPEATED_FILLER = re.compile(r"(那个|就是|然后|这个)(?:[，,、\s]*\1)+")
_LEADING_FILLER = re.compile(r"^(?:就是说[，,、\s]*|(?:那个|就是|然后|这个)(?:[，,、\s]+|(?=[我你您他她咱俺])))")
_CJK = r"\u3400-\u9fff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}0-9])\s+(?=[{_CJK}0-9])")

SLOTS = ("district", "affirm_deny", "phone", "ticket_number")
AFFIRM_DENY_PHRASES = ("是的", "是", "对", "对的", "没错", "好的", "可以", "确认", "正确",
                       "不对", "不是", "不用", "不要", "错了", "不对不对")  # fmt: skip
DIGIT_WORDS = ("零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "幺", "两", "洞", "拐")
MAX_SPOKEN_CHARS = 180

_PHONE_DIGITS = "零幺二三四五六七八九"  # how digits are read out on a Chinese phone line
_MASKED_PHONE = re.compile(r"(?:\d{3})?\*{3,}-?(\d{4})")
_DIGIT_RUN = re.compile(r"\d{7,}")  # phone and work-order numbers; amounts and years stay numbers
_SPACED_DIGITS = re.compile(r"(?<!\d)\d+(?: \d+)+(?!\d)")  # "261121 00042": a number in groups
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-(\d{7,8})(?!\d)")
_URL = re.compile(r"https?://\S+|www\.\S+")
_SYMBOLS = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]")
# Full-width digits and letters to ASCII; Chinese punctuation stays (TTS pauses on it).
_HALFWIDTH = {
    c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(r[0], r[1] + 1)
}
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


def _is_digits(token: str) -> bool:
    return all(c.isdigit() or c in SPOKEN_DIGITS for c in token)


def clean_transcript(text: str) -> str:
    """'嗯 那个 我 我 想 投诉 一下' or '嗯那个我想投诉一下' -> '我想投诉一下' (what reaches NLU)."""
    kept: list[str] = []
    for token in text.translate(_HALFWIDTH).split():  # recognisers that keep word boundaries
        if token.lower() in FILLER_TOKENS:
            continue
        if kept and token == kept[-1] and not _is_digits(token):
            continue  # a stutter ("我 我 想"); repeated digits are real
        kept.append(token)
    while len(kept) > 1 and kept[0] in LEADING_FILLERS:
        kept.pop(0)
    joined = _SPACE_BETWEEN_CJK.sub("", " ".join(kept))
    joined = _HESITATION_CHARS.sub("", joined)
    joined = _REPEATED_FILLER.sub(r"\1", joined)
    joined = _LEADING_SOUNDS.sub("", joined)
    if len(stripped := _LEADING_FILLER.sub("", joined)) >= 2:
        joined = stripped
    return joined.strip(" ，,。")


def read_digits(digits: str) -> str:
    """'26112100042' -> '二六幺幺二幺零零零四二' (every digit, 1 as 幺, as phone lines read them)."""
    return "".join(_PHONE_DIGITS[int(d)] for d in digits)


def _read_groups(m: re.Match) -> str:
    groups = m.group(0).split()
    return "，".join(read_digits(g) for g in groups) if sum(map(len, groups)) >= 7 else m.group(0)


def speakable(text: str) -> str:
    """Reply text as it should be read out: numbers digit by digit, no links, no emoji."""
    text = text.translate(_HALFWIDTH)
    text = _URL.sub("", text)
    text = _SYMBOLS.sub("", text)
    text = _MASKED_PHONE.sub(lambda m: "尾号" + read_digits(m.group(1)), text)
    text = _LANDLINE.sub(lambda m: read_digits(m.group(1)) + "，" + read_digits(m.group(2)), text)
    text = _SPACED_DIGITS.sub(_read_groups, text)
    text = _DIGIT_RUN.sub(lambda m: read_digits(m.group(0)), text)
    text = re.sub(r"\s*\n+\s*[•·\-*]?\s*", "，", text).strip("， ")
    return _shorten(text)


def _shorten(text: str) -> str:
    if len(text) <= MAX_SPOKEN_CHARS:
        return text
    out = ""
    for sentence in _SENTENCE_END.split(text):
        if out and len(out) + len(sentence) > MAX_SPOKEN_CHARS:
            break
        out += sentence
    return out


def sentences(text: str) -> list[str]:
    """A reply cut into sentences, so the first one plays while the next is synthesised."""
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


def spoken_reply(reply: Reply) -> str:
    """What the caller hears for one reply: its text plus the keys and options it offers."""
    text = speakable(reply.text)
    if reply.data.get("survey") and reply.buttons:  # the survey 回访: keys answer it (VoicePipeline)
        keys = "，".join(f"{b.title}请按{i}" for i, b in enumerate(reply.buttons[:9], 1))
        return f"{text}{keys}。"
    payloads = {b.payload for b in reply.buttons}
    if REQUEST_HUMAN in payloads and "按0" not in text:
        text = f"{text}转人工请按0。" if text.endswith(("。", "！", "？")) else f"{text}。转人工请按0。"
    options = [b.title for b in reply.buttons if b.payload not in (REQUEST_HUMAN, BACK_TO_BOT)]
    if 0 < len(options) <= 3 and all(len(o) <= 8 for o in options):
        listed = options[0] if len(options) == 1 else "、".join(options[:-1]) + "或" + options[-1]
        text = f"{text}您可以说：{listed}。" if text else f"您可以说：{listed}。"
    return text


_HEURISTICS = (
    ("ticket_number", re.compile(r"工单(?:编号|号)")),
    ("phone", re.compile(r"(?:联系|手机|电话)(?:号码|电话)?.{0,6}[？?]|留.{0,4}电话")),
    ("district", re.compile(r"哪个区|哪个街道|在哪里|什么位置|具体地址")),
    ("affirm_deny", re.compile(r"(?:对吗|是吗|对不对|是不是|可以吗|确认吗|好吗)[？?]?$")),
)


def expected_slot(replies: Sequence[Reply]) -> str | None:
    """What the last reply asks for: its data["expect"], else a guess from its wording."""
    for reply in reversed(replies):
        expect = reply.data.get("expect")
        if expect in SLOTS:
            return expect
    if not replies:
        return None
    last = replies[-1].text.strip()
    for slot, pattern in _HEURISTICS:
        if pattern.search(last):
            return slot
    return None


class SlotPhrases:
    """Phrase lists that bias recognition towards the answer a question expects."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        names: set[str] = set()
        for district, info in gazetteer.districts.items():
            names.add(district)
            names.update(info.get("aliases", ()))
            for street, aliases in info["streets"].items():
                names.add(street)
                names.update(a for a in aliases if len(a) >= 2)
        names.update(gazetteer.landmark_names())
        self._places = tuple(sorted(names))

    def for_slot(self, slot: str | None) -> list[str] | None:
        if slot == "district":
            return list(self._places)
        if slot == "affirm_deny":
            return list(AFFIRM_DENY_PHRASES)
        if slot in ("phone", "ticket_number"):
            return [*DIGIT_WORDS, "匿名"] if slot == "phone" else list(DIGIT_WORDS)
        return None
