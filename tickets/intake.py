"""Work-order details recognised in one citizen utterance: place, time, phone, name, and the
request type when the citizen names it (举报 stays 举报 whatever the chat intent says). The router
attaches them to every message it passes to the dialogue engine (metadata "extracted"), so the
intake form can fill several fields from one breath without re-parsing anything."""

import re
from datetime import datetime

from normalize.numerals import spoken_digits_to_ascii
from normalize.phone import normalize_phone
from normalize.when import parse_when
from places.gazetteer import Gazetteer

_NAME = re.compile(r"(?:我|免贵)(?:姓|叫)([\u4e00-\u9fff]{1,3}?)(?:[，,。\s]|先生|女士|$|电话|手机|的|就|啊|吧)")
# The request type a citizen chooses by name: "我要举报", "匿名举报", "想投诉一下", "提个建议", "不是投诉是建议"
# (the last one named wins). 建议/表扬/求助 count only when chosen ("建议有关部门处理" inside a complaint is
# not a suggestion); 举报 almost always is a choice, except "举报过" and "举报电话".
_NAMED_TYPE = re.compile(
    r"(?<!不)(?<!不是)(?<!不算)(?:(举报)(?!过|电话|热线)"
    r"|(?:我要|我想|想要|想|要|是|来|提个|有个|提一个|提点)(投诉|求助|建议|表扬)"
    r"|(投诉|求助|表扬)一下)"
)
NAMED_TYPES = {"举报": "report", "投诉": "complain", "求助": "seek_help", "建议": "suggest", "表扬": "praise"}
_ANONYMOUS = re.compile(r"匿名|不留名|不想留名|不方便留|不用留名|保密")
_TICKET = re.compile(r"(?<!\d)2\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{5}(?!\d)")
_CLAUSE = re.compile(r"[，,。.！!？?；;\n]+")
_ADDRESS_END = re.compile(
    r"(?:有个|有人|有一|的那个|这个|那个|楼下的|天天|总是|一直|太|很|半夜|晚上|昨天|今天|前天|老是|电话|手机)"
)


def ticket_number(text: str) -> str | None:
    """A work-order number (YYMMDD + 5-digit sequence), typed or spoken digit by digit."""
    digits = re.sub(r"[\s\-]", "", spoken_digits_to_ascii(text))
    if m := _TICKET.search(digits):
        return m.group(0)
    return None


class IntakeExtractor:
    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    def extract(self, text: str, now: datetime) -> dict:
        found: dict = {}
        place = self.gazetteer.resolve(text)
        if place is not None:
            if place.outside_beijing:
                found["outside_beijing"] = True
            if place.district:
                found["district"] = place.district
            if place.street:
                found["street"] = place.street
            if place.ambiguous:
                found["ambiguous_streets"] = list(place.ambiguous)
            if place.district or place.street:
                found["address"] = self._address_span(text)
        when = parse_when(text, now)
        if when is not None:
            found["ongoing"] = when.ongoing
            if when.at is not None:
                found["occurred_at"] = when.at.isoformat()
        if ticket := ticket_number(text):
            found["ticket_number"] = ticket
            return found  # a work-order number is not also a phone number or a date
        phone = normalize_phone(text)
        if phone.number:
            found["contact_phone"] = phone.number
        elif phone.problem != "none_found":
            found["phone_problem"] = phone.problem
        if m := _NAME.search(text):
            found["contact_name"] = m.group(1)
        if _ANONYMOUS.search(text):
            found["anonymous"] = True
        if named := [next(filter(None, m.groups())) for m in _NAMED_TYPE.finditer(text)]:
            found["request_type"] = NAMED_TYPES[named[-1]]
        return found

    def _address_span(self, text: str) -> str:
        """From the first place name to where the clause stops describing the place."""
        for clause in _CLAUSE.split(text):
            start = self.gazetteer.first_name_at(clause)
            if start is not None:
                span = clause[start:]
                if m := _ADDRESS_END.search(span, 2):
                    span = span[: m.start()]
                return span.strip(" 的")[:300]
        return text.strip()[:300]
