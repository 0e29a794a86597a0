"""A second look at a message the NLU took for a work order (complaint, report, help request,
suggestion), a remark (inform), a cancellation, small talk, something out of scope, a short turn
(goodbye, thanks, yes, no), a request for a person or a status query: when it is worded as a
question (for a suggestion: one that proposes nothing, "老人多大岁数坐公交免费"; for a short turn: a
longer one; for a request for a person or a status query: one without the words of those, 人工,
我的工单, 进度…), carries no grievance (a question about filing itself, "举报人的信息会保密吗", is
none), and the knowledge base answers it confidently (an article or the responsible unit, never a
choice), it is answered as the consultation it is ("网上买的衣服七天内能退吗", "家里没电了找哪个单位",
"你是机器人吗 社保怎么查", "先涨价再打折算不算价格欺诈" read as goodbye), with the offer to file it
anyway under the request type the NLU saw. Anything else goes on as the rules say
(`answered_from_kb` false: the acknowledgement and the intake form, or the usual reply)."""

import logging
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.consult import kb_reply
from bot.actions.gateway_client import GatewayClient
from bot.actions.intake import extracted

log = logging.getLogger(__name__)

# Words that make a clause a question (Mandarin marks questions with particles and question words;
# 几 only as "how many": not 好几 / 十几 / 几乎; A-not-A of a verb: 算不算, 有没有,
# 会不会, not of an adjective: 冷不冷 is small talk; an alternative after a verb, "打122还是12345",
# "先找新学校还是原学校", not 还是 as "still": 修了两次还是漏水, 水还是黄的, 还是不热).
QUESTION = re.compile(
    r"[吗么？?]|怎么|咋|如何|哪|(?<![好十])几(?!乎)|多少|多久|多长时间|多大|多远|([能是要有会算用行给让准收退交办够该需合违犯])[不没]\1|可不可以|啥|什么"
    r"|(?:是|打|找|先|去|用|选|办|交|买|坐|走|算|归|属于|要|报|问)[^了，,。\s]{0,12}还是(?![不没很挺老一那这样也])\w"
)
# Words of a grievance, a plea or distress: the citizen wants something done (or help now), not an answer.
GRIEVANCE = re.compile(
    r"投诉|举报|曝光|不管|没人|有人管|怎么还|还不|还没|咋不|怎么不|不通知|没通知|凭什么|为什么|为啥|受不了|管管|管一管"
    r"|帮|救命|求求|赶紧|马上|急|乱|跑路|骗|坑|太.{0,6}了|严重|天天|总是|老是|一直|好几"
    r"|厉害|晕|疼|发烧|流血|受伤|摔|派人|派个人|来人|来个人"
)
# A question about filing itself ("举报人的信息会保密吗", "这种事能投诉吗", "投诉后多久有回音"): these words
# of filing are no grievance (the answer still offers 登记工单).
ABOUT_FILING = re.compile(
    r"(?:投诉|举报)(?:人|的话|后|以后|之后|会不会|能不能)|(?:能|可以|怎么|如何|去哪|在哪|哪里)(?:投诉|举报)"
)
# Words that propose a change: a suggestion worded as a question ("末班车能不能晚点") stays a suggestion.
PROPOSAL = re.compile(r"能不能|可不可以|能否|可否|建议|希望|反映|增设|多设|加开|延长|挪|改成|改为|调整一下")
# Words that show the NLU read a request for a person or a status query right: such a message is
# never looked up ("有没有人工客服", "我前几天提的诉求有结果了吗"); nor is a status query naming an order
# by its number or the citizen's phone, as the gateway recognised them (a hotline's own number,
# "首都之窗上能提交12345诉求吗", is neither).
OWN_WORDS = {
    "request_human": re.compile(r"人工|客服|真人|活人|坐席|接线员|转接|找人"),
    "query_ticket": re.compile(
        r"我的|我.{0,4}(?:提|报|反映|登记|打|投诉)|(?:提|报|反映|登记|投诉)的|进度|到哪|哪一步|处理得|办得|结果|回音"
        r"|回复|答复|编号|单号|派到|转到|派给|转给"
    ),
}
# Small talk to the assistant itself ("你在哪儿上班啊", "你多大了") is no question to look up; one
# to the hotline ("你们几点下班") or a question after it ("你是机器人吗 社保怎么查") is.
TO_THE_ASSISTANT = re.compile(r"你(?!们)")
# Short turns: "再见", "谢谢", "对", "没有没有" are never questions to look up; a longer question is.
SHORT_TURNS = frozenset({"goodbye", "thank", "affirm", "deny"})
SHORT_TURN_MIN_CHARS = 8
_CLAUSES = re.compile(r"[\s，,。.!！；;]+")
# Request types a screened answer may file under when the citizen accepts the offer.
ORDER_TYPES = frozenset({"complain", "report", "seek_help", "suggest"})
MAX_CHARS = 60  # a longer message is a story to file, not a quick question


def worded_as_question(text: str) -> bool:
    """A short message that ends in a question and has no grievance, plea or distress words (those
    stay with the intake)."""
    text = text.strip()
    if not text or text.startswith("/") or len(text) > MAX_CHARS:
        return False
    last = last_clause(text)
    return bool(last) and bool(QUESTION.search(last)) and not GRIEVANCE.search(ABOUT_FILING.sub(" ", text))


def last_clause(text: str) -> str:
    clauses = [c for c in _CLAUSES.split(text.strip()) if c]
    return clauses[-1] if clauses else ""


def worth_asking(text: str, intent: str | None, names_an_order: bool = False) -> bool:
    """Worded as a question; for a suggestion one that proposes nothing, for a short turn a longer one,
    for a request for a person or a status query one without their own words (a status query naming
    an order, `names_an_order`, never)."""
    if not worded_as_question(text):
        return False
    if intent == "suggest":
        return not PROPOSAL.search(text)
    if intent in SHORT_TURNS:
        return len(text.strip()) >= SHORT_TURN_MIN_CHARS
    if intent == "chitchat":
        return not TO_THE_ASSISTANT.search(last_clause(text))
    if intent == "query_ticket" and names_an_order:
        return False
    own = OWN_WORDS.get(intent or "")
    return not (own and own.search(text))


class ActionScreenQuestion(Action):
    def __init__(self, gateway: GatewayClient | None = None) -> None:
        self.gateway = gateway or GatewayClient()

    def name(self) -> str:
        return "action_screen_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        found = extracted(tracker)
        names_an_order = bool(found.get("ticket_number") or found.get("contact_phone"))
        sure = worth_asking(text, intent, names_an_order) and await kb_reply(
            self.gateway, dispatcher, tracker, text, offer_order=True
        )
        if not sure:  # the rules go on: the acknowledgement and the intake form, or the usual reply
            return [SlotSet("answered_from_kb", False)]
        events, result = sure
        referral = dict(result.get("referral") or {})
        if intent in ORDER_TYPES:  # the order the citizen may still want keeps the type they meant
            referral["request_type"] = intent
        keep = {k: referral.get(k) for k in ("unit_name", "request_type", "category_code")}
        log.info("a question taken for %s answered from the knowledge base (%s)", intent, result.get("decision"))
        return [*events, SlotSet("kb_referral", keep), SlotSet("answered_from_kb", True)]
