"""Consultations: answered from the gateway's knowledge-base search, with the source (a close
runner-up offered beside); a choice between close articles as buttons; a who-handles question
answered with the responsible unit and how to reach it, with an offer to file a work order (filed
only if the citizen accepts); an honest fallback that offers a person or a 咨询 work order."""

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.gateway_client import GatewayClient, GatewayUnavailable

log = logging.getLogger(__name__)

HUMAN_BUTTON = {"title": "转人工", "payload": "/request_human"}
RECORD_BUTTON = {"title": "登记咨询工单", "payload": '/consult{"kb_record": "yes"}'}
ORDER_BUTTON = {"title": "登记工单", "payload": '/consult{"kb_order": "yes"}'}
REFERRAL_SOURCE = "《北京市接诉即办工作条例》，12345按属地和职责派单"
ANSWER_ORDER_OFFER = "如果您要反映具体问题，可以点“登记工单”。"
ORDER_OFFER = "需要的话，我可以帮您登记工单，由12345派给承办单位办理。"
NOT_FOUND = "抱歉，这个问题我暂时没有找到准确的政策答复。可以为您转人工客服，或者登记咨询工单，由相关部门答复您。"
KB_DOWN = "抱歉，政策查询暂时不可用。可以为您转人工客服，或者稍后再问。"
CHOOSE = "您想了解的是哪一项？"
NONE_OF_THESE = "none"  # the "都不是" button: none of the offered articles fits
ASK_TOPIC_SPOKEN = "请问您想咨询哪方面的政策？请直接说出您的问题。"
ASK_TOPIC = "请问您想咨询哪方面的政策？可以直接输入您的问题，例如“退休手续怎么办”，也可以选择常见问题："
# Common questions offered when the citizen chose 咨询政策 without a question yet (article ids).
COMMON_TOPICS = (
    ("社保缴费查询", "social-insurance-query"),
    ("租房提取公积金", "provident-fund-withdraw-rent"),
    ("医保报销", "medical-insurance-reimburse"),
    ("办理居住证", "residence-permit-apply"),
    ("供暖时间", "heating-season-dates"),
    ("小学入学", "school-primary-enrollment"),
)


def is_phone(tracker: Tracker) -> bool:
    return tracker.sender_id.startswith("phone:")


def chosen_article(tracker: Tracker) -> str | None:
    """The article id a choice button carried (`/consult{"kb_article": "..."}`)."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "kb_article" and entity.get("value"):
            return str(entity["value"])
    return None


def without_question(tracker: Tracker) -> bool:
    """The citizen chose 咨询政策 (a bare `/consult` button) but asked nothing yet."""
    text = (tracker.latest_message.get("text") or "").strip()
    return not text or (text.startswith("/") and "{" not in text)


def topic_buttons() -> list[dict[str, str]]:
    buttons = [
        {"title": title, "payload": "/consult" + json.dumps({"kb_article": article})}
        for title, article in COMMON_TOPICS
    ]
    return buttons + [HUMAN_BUTTON]


def answer_text(article: dict[str, Any], facet: str | None, spoken: bool) -> str:
    """The reply for one article: the facet asked about, or the answer; short on the phone; with its source."""
    details = article.get("details") or {}
    if facet and details.get(facet):
        body = details[facet]
    else:
        body = article.get("answer_short") if spoken else (article.get("answer") or article.get("answer_short"))
    source = article.get("source") or {}
    if spoken:
        return f"{str(body).strip()} 以上依据{source.get('name', '相关政策')}。"
    where = source.get("confirm") or "可拨打12345确认。"
    return f"{str(body).strip()}\n（依据：{source.get('name', '相关政策')}。{where}）"


def article_buttons(articles: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"title": a["title"], "payload": "/consult" + json.dumps({"kb_article": a["id"]}, ensure_ascii=False)}
        for a in articles
    ]


def referral_text(referral: dict[str, Any], spoken: bool) -> str:
    """Who handles it and how to reach them, the offer to file, and the basis of the answer."""
    matter = referral["category"][-1] if referral.get("category") else ""
    who = f"这类问题{f'（{matter}）' if matter and not spoken else ''}由{referral['unit_name']}负责"
    contact = str(referral.get("contact") or "").rstrip("。")
    head = f"{who}，{contact}。" if contact else f"{who}。"
    if spoken:
        return f"{head}需要的话，我可以帮您登记工单。"
    return f"{head}\n{ORDER_OFFER}\n（依据：{REFERRAL_SOURCE}。可拨打12345确认。）"


def kb_data(article: dict[str, Any], facet: str | None) -> dict[str, Any]:
    keys = ("title", "source", "effective_from", "effective_until", "last_reviewed", "topic")
    return {"kb": {"article_id": article["id"], "facet": facet, **{k: article.get(k) for k in keys}}}


def reply_from_kb(
    dispatcher: CollectingDispatcher,
    result: dict[str, Any],
    question: str,
    spoken: bool,
    confident_only: bool = False,
    offer_order: bool = False,
) -> list[EventType] | None:
    """The reply to a search result: the answer (a close runner-up beside; with `offer_order` also
    the 登记工单 button), the responsible unit with the 登记工单 offer, or a choice (not when
    `confident_only`); None when it has nothing."""
    decision, results = result.get("decision"), result.get("results") or []
    related = [] if spoken else article_buttons(result.get("related") or [])
    if decision == "answer" and results:
        article = results[0]
        offer = offer_order and not spoken
        dispatcher.utter_message(
            text=answer_text(article, result.get("facet"), spoken) + (f"\n{ANSWER_ORDER_OFFER}" if offer else ""),
            buttons=[ORDER_BUTTON, *related] if offer else related,
            json_message=kb_data(article, result.get("facet")),
        )
        return [SlotSet("kb_article", article["id"]), SlotSet("kb_question", question)]
    if decision == "refer" and result.get("referral"):
        referral = result["referral"]
        dispatcher.utter_message(
            text=referral_text(referral, spoken), buttons=[ORDER_BUTTON, *related], json_message={"referral": referral}
        )
        return [
            SlotSet("kb_article", None),
            SlotSet("kb_question", question),
            SlotSet("kb_referral", {k: referral.get(k) for k in ("unit_name", "request_type", "category_code")}),
        ]
    if decision == "choose" and len(results) > 1 and not confident_only:
        buttons = article_buttons(results[:3])
        buttons.append({"title": "都不是", "payload": "/consult" + json.dumps({"kb_article": NONE_OF_THESE})})
        dispatcher.utter_message(text=CHOOSE, buttons=buttons)
        return [SlotSet("kb_question", question)]
    return None


async def kb_reply(
    gateway: GatewayClient,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    text: str,
    confident_only: bool = True,
    offer_order: bool = False,
) -> tuple[list[EventType], dict[str, Any]] | None:
    """For a message the NLU did not take for a consultation: the knowledge base's reply (when
    `confident_only`, only an article or the responsible unit, never a choice), with the search
    result; None when it has nothing to say or cannot be asked (logged)."""
    try:
        result = await gateway.kb_search(text, tracker.get_slot("kb_article"))
    except GatewayUnavailable as exc:
        log.warning("knowledge base not asked: %s", exc)  # no conversation id: it names a citizen
        return None
    events = reply_from_kb(
        dispatcher, result, text, is_phone(tracker), confident_only=confident_only, offer_order=offer_order
    )
    return None if events is None else (events, result)


class ActionAnswerConsult(Action):
    def __init__(self, gateway: GatewayClient | None = None) -> None:
        self.gateway = gateway or GatewayClient()

    def name(self) -> str:
        return "action_answer_consult"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        spoken = is_phone(tracker)
        chosen = chosen_article(tracker)
        question = tracker.latest_message.get("text") or ""
        if not chosen and without_question(tracker):
            if spoken:
                dispatcher.utter_message(text=ASK_TOPIC_SPOKEN)
            else:
                dispatcher.utter_message(text=ASK_TOPIC, buttons=topic_buttons())
            return [SlotSet("kb_article", None)]
        try:
            if chosen:  # a choice button; "都不是" (none of these) or a retired article: the fallback
                article = await self.gateway.kb_article(chosen) if chosen != NONE_OF_THESE else None
                article = article if article and article.get("served", True) else None
                result = {
                    "decision": "answer" if article else "none",
                    "facet": None,
                    "results": [article] if article else [],
                }
                question = tracker.get_slot("kb_question") or question
            else:
                result = await self.gateway.kb_search(question, tracker.get_slot("kb_article"))
        except GatewayUnavailable as exc:
            log.error("knowledge base search failed: %s", exc)
            dispatcher.utter_message(text=KB_DOWN, buttons=[HUMAN_BUTTON])
            return []
        events = reply_from_kb(dispatcher, result, question, spoken)
        if events is not None:
            return events
        dispatcher.utter_message(text=NOT_FOUND, buttons=[HUMAN_BUTTON, RECORD_BUTTON])
        return [SlotSet("kb_article", None), SlotSet("kb_question", question)]


class ActionStartConsultRecord(Action):
    """The citizen wants an unanswered question recorded: the intake form then asks for a callback phone."""

    def name(self) -> str:
        return "action_start_consult_record"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        question = tracker.get_slot("kb_question")
        dispatcher.utter_message(text="好的，我为您登记咨询工单，相关部门会回电答复。")
        return [SlotSet("request_type", "consult"), SlotSet("description", question), SlotSet("kb_article", None)]


class ActionStartReferralOrder(Action):
    """The citizen accepted the offer after a who-handles answer: their question becomes the
    description of a work order (a complaint, or a help request for urgent matters), and the intake
    form asks for the place, the time and a phone number, then reads it all back to confirm."""

    def name(self) -> str:
        return "action_start_referral_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        referral = tracker.get_slot("kb_referral") or {}
        unit = referral.get("unit_name")
        dispatcher.utter_message(
            text=f"好的，我来帮您登记工单，会派给{unit}办理。" if unit else "好的，我来帮您登记工单。"
        )
        return [
            SlotSet("request_type", referral.get("request_type") or "complain"),
            SlotSet("description", tracker.get_slot("kb_question")),
            SlotSet("kb_article", None),
            SlotSet("kb_referral", None),
        ]
