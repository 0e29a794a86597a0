"""The intake form's actions: custom slot extraction from the gateway's pre-recognised details,
value checks with polite re-asks, the read-back for confirmation, and work-order creation."""

import logging
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.consult import is_phone
from bot.actions.gateway_client import GatewayClient, GatewayUnavailable

log = logging.getLogger(__name__)

INTAKE_SLOTS = ("request_type", "description", "address", "district", "street", "occurred", "contact_phone",
                "contact_name", "anonymous", "intake_confirmed", "intake_failures", "address_problem")  # fmt: skip
TYPE_NAMES = {
    "complain": "投诉",
    "report": "举报",
    "seek_help": "求助",
    "suggest": "建议",
    "praise": "表扬",
    "consult": "咨询",
}
DEADLINE_WORDS = {"2h": "2小时内", "24h": "24小时内", "7d": "7天内", "15d": "15天内"}
_FILLER = re.compile(
    r"喂|你好|您好|那个|就是|嗯|啊|呃|我要|我想|想要|要|投诉|举报|反映|求助|建议|表扬|一下|个|问题|事儿|事情|的|了"
)
HUMAN_BUTTON = {"title": "转人工", "payload": "/request_human"}
MAX_FAILURES = 2
# An address that cannot be placed: what to say (typed on the web, spoken on the phone), one bubble a turn.
ADDRESS_PROBLEMS = {
    "outside": (
        "12345北京热线受理北京市范围内的诉求。请输入北京的具体地址，比如“朝阳区望京街道望京西园三区”。",
        "12345北京热线受理北京市范围内的诉求。请说一下北京的具体地址。",
    ),
    "ambiguous": (
        "这个地名好几个区都有，请补充是哪个区，比如“西城区和平里”。",
        "这个地名好几个区都有，请说一下是哪个区，比如“西城区和平里”。",
    ),
    "unknown": (
        "抱歉，没能识别这个地址。请输入所在的区和街道或小区，比如“朝阳区望京街道望京西园三区”。",
        "没听清具体位置。请说一下区和街道或小区，比如“朝阳区望京街道望京西园三区”。",
    ),
}
ADDRESS_WAY_OUT = "说不清具体地址也没关系，可以跳过，由工作人员回电核实；也可以转人工客服。"
ADDRESS_SKIPPED = "未提供具体地址（待回电核实）"
SKIP_ADDRESS_BUTTON = {"title": "跳过地址", "payload": '/inform{"address_skip": "yes"}'}
SIDE_SLOTS = ("district", "street", "contact_name", "anonymous")
# Intents that leave the form (rules handle them); anything else is taken as an answer and checked.
INTERRUPTIONS = frozenset({"cancel", "emergency", "request_human"})


def extracted(tracker: Tracker) -> dict[str, Any]:
    """What the gateway recognised in the latest message (place, time, phone, name)."""
    return (tracker.latest_message.get("metadata") or {}).get("extracted") or {}


def citizen_text(tracker: Tracker) -> str:
    """The citizen's own words of the latest message (the gateway sends an emergency its safety
    net recognised as the intent `/emergency`, with the words in the metadata)."""
    return (tracker.latest_message.get("metadata") or {}).get("text") or tracker.latest_message.get("text") or ""


def emergency_label(tracker: Tracker) -> str:
    """【紧急】 or, with the services the gateway's safety net named, 【紧急·119/120】."""
    safety = (tracker.latest_message.get("metadata") or {}).get("safety") or {}
    numbers = [str(n) for n in safety.get("numbers", ())]
    return f"【紧急·{'/'.join(numbers)}】" if numbers else "【紧急】"


def answering(tracker: Tracker, slot: str) -> bool:
    """The latest message answers the form's question for `slot` (rather than interrupting it:
    then nothing is filled, the form rejects, and the rules for cancel/emergency/… apply)."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return tracker.get_slot("requested_slot") == slot and intent not in INTERRUPTIONS


def skipping_address(tracker: Tracker) -> bool:
    return any(e.get("entity") == "address_skip" for e in tracker.latest_message.get("entities") or [])


def mask_phone(phone: str) -> str:
    digits = phone.replace("-", "")
    return f"{digits[:3]}****{digits[-4:]}"


def occurred_fields(value: str | None) -> dict[str, Any]:
    """The `occurred` slot — "<ISO time>", "ongoing", "ongoing:<ISO time it began>" or "unknown" —
    as the work order's occurred_at and ongoing."""
    value = value or ""
    at = value.removeprefix("ongoing:")
    return {"occurred_at": at if at[:1].isdigit() else None, "ongoing": value.startswith("ongoing")}


def occurred_words(value: str | None) -> str:
    fields = occurred_fields(value)
    if not fields["occurred_at"]:
        return "一直存在" if fields["ongoing"] else "未说明" if not value or value == "unknown" else value
    at = datetime.fromisoformat(fields["occurred_at"])
    if fields["ongoing"]:
        return f"约{at.month}月{at.day}日起，至今仍存在"
    return f"{at.month}月{at.day}日{at.hour}点" + (f"{at.minute}分" if at.minute else "")


class ValidateIntakeForm(FormValidationAction):
    def name(self) -> str:
        return "validate_intake_form"

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Also keep the side details extraction found (the SDK keeps only required slots), and the
        request type the citizen named ("我要举报" stays 举报 whatever the chat intent was)."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        decided = {e["name"] for e in events}
        side = tracker.slots_to_validate()
        events += [SlotSet(k, v) for k, v in side.items() if k in SIDE_SLOTS and k not in decided]
        named = extracted(tracker).get("request_type")
        if named and named != tracker.get_slot("request_type") and tracker.get_slot("request_type") != "consult":
            events.append(SlotSet("request_type", named))
        return events

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("request_type") == "consult":  # a question to answer: who to call back is enough
            domain_slots = [s for s in domain_slots if s not in ("address", "occurred")]
        if tracker.get_slot("anonymous"):
            return [s for s in domain_slots if s != "contact_phone"]
        return domain_slots

    # --- extraction: from the gateway's recognised details ---

    async def extract_address(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        found = extracted(tracker)
        if skipping_address(tracker) and answering(tracker, "address"):
            return {"address": ADDRESS_SKIPPED, "district": None, "street": None}
        if "address" in found:
            return {"address": found["address"], "district": found.get("district"), "street": found.get("street")}
        if answering(tracker, "address"):
            return {"address": tracker.latest_message.get("text", ""), "district": None, "street": None}
        return {}

    async def extract_occurred(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        found = extracted(tracker)
        if found.get("ongoing"):
            return {"occurred": f"ongoing:{found['occurred_at']}" if "occurred_at" in found else "ongoing"}
        if "occurred_at" in found:
            return {"occurred": found["occurred_at"]}
        if answering(tracker, "occurred"):
            return {"occurred": "unknown"}  # "记不清了": an answer, not an error
        return {}

    async def extract_contact_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        found = extracted(tracker)
        slots: dict[str, Any] = {}
        if "contact_name" in found:
            slots["contact_name"] = found["contact_name"]
        if found.get("anonymous"):
            slots["anonymous"] = True
        if "contact_phone" in found:
            slots["contact_phone"] = found["contact_phone"]
        elif answering(tracker, "contact_phone") and not found.get("anonymous"):
            slots["contact_phone"] = "invalid:" + found.get("phone_problem", "none_found")
        return slots

    # --- validation: values only ---

    def _refuse(self, slot: str, message: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict:
        failures = int(tracker.get_slot("intake_failures") or 0) + 1
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(text=message + " 如果不方便，我可以为您转人工客服。", buttons=[HUMAN_BUTTON])
        else:
            dispatcher.utter_message(text=message)
        return {slot: None, "intake_failures": float(failures)}

    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        text = str(value or "").strip()
        if not text.startswith("/") and len(_FILLER.sub("", re.sub(r"\s", "", text))) >= 4:  # "/complain": a button
            return {"description": text[:2000]}
        if answering(tracker, "description"):
            return self._refuse("description", "请再具体说说是什么问题，比如“楼下饭馆油烟太大”。", dispatcher, tracker)
        return {"description": None}  # "我要投诉" alone: ask for the content next

    def validate_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        """A placed address is kept; otherwise nothing is said here: action_ask_address re-asks once."""
        found = extracted(tracker)
        if value == ADDRESS_SKIPPED:
            return {"address": value, "address_problem": None}
        if found.get("outside_beijing"):
            problem = "outside"
        elif tracker.get_slot("district"):
            return {"address": value, "address_problem": None}
        else:
            problem = "ambiguous" if found.get("ambiguous_streets") else "unknown"
        failures = int(tracker.get_slot("intake_failures") or 0) + 1
        return {"address": None, "address_problem": problem, "intake_failures": float(failures)}

    def validate_occurred(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        return {"occurred": value}

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        if isinstance(value, str) and not value.startswith("invalid:"):
            return {"contact_phone": value}
        return self._refuse(
            "contact_phone",
            "这个号码好像不对。请说11位手机号，或者带区号的座机，比如13812345678。",
            dispatcher,
            tracker,
        )

    def validate_intake_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        if value is True:
            return {"intake_confirmed": True}
        if not extracted(tracker):
            dispatcher.utter_message(text="请问哪一项需要修改？您可以直接说正确的地址、时间或电话。")
        return {"intake_confirmed": None}


class ActionAskAddress(Action):
    """Asks for the place: the question, or after an address that could not be placed what was
    wrong, and from the second miss a way out (skip it, or a person) on the web."""

    def name(self) -> str:
        return "action_ask_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        problem = tracker.get_slot("address_problem")
        if problem not in ADDRESS_PROBLEMS:
            dispatcher.utter_message(response="utter_ask_address")
            return []
        typed, spoken = ADDRESS_PROBLEMS[problem]
        stuck = int(tracker.get_slot("intake_failures") or 0) >= MAX_FAILURES
        if is_phone(tracker):
            text, buttons = spoken + (" 如果不方便，我可以为您转人工客服。" if stuck else ""), []
        else:
            text, buttons = (
                (typed + "\n" + ADDRESS_WAY_OUT, [SKIP_ADDRESS_BUTTON, HUMAN_BUTTON]) if stuck else (typed, [])
            )
        dispatcher.utter_message(text=text, buttons=buttons, json_message={"expect": "district"})
        return []


class ActionAskIntakeConfirmed(Action):
    """Reads the collected details back before the work order is created."""

    def name(self) -> str:
        return "action_ask_intake_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = tracker.get_slot
        place = "".join(p for p in (s("district"), s("street")) if p)
        address = s("address") or ""
        where = address if place and address.startswith(place[:2]) else f"{place} {address}".strip()
        phone = s("contact_phone")
        contact = "匿名" if s("anonymous") or not phone else mask_phone(phone)
        description = (s("description") or "")[:60]
        parts = [f"我核对一下：{TYPE_NAMES.get(s('request_type') or 'complain', '投诉')}，{description}"]
        if s("request_type") != "consult":
            parts += [f"地点：{where}", f"时间：{occurred_words(s('occurred'))}"]
        parts.append(f"联系电话：{contact}")
        dispatcher.utter_message(
            text="；".join(parts) + "。对吗？",
            buttons=[{"title": "对", "payload": "/affirm"}, {"title": "不对", "payload": "/deny"}],
            json_message={"expect": "affirm_deny"},
        )
        return []


class ActionCreateWorkOrder(Action):
    """Creates the work order from the collected slots (an emergency one from what is known), and
    clears the intake slots in the same call (what action_reset_intake does: one action-server
    round trip and one prediction less per submitted form, issue 17)."""

    def __init__(self, gateway: GatewayClient | None = None) -> None:
        self.gateway = gateway or GatewayClient()

    def name(self) -> str:
        return "action_create_work_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = tracker.get_slot
        emergency = (tracker.latest_message.get("intent") or {}).get("name") == "emergency"
        occurred = s("occurred")
        phone = s("contact_phone")
        description = s("description") or ""
        if emergency:
            description = f"{emergency_label(tracker)}{citizen_text(tracker)} {description}".strip()
        payload = {
            "request_type": s("request_type") or ("seek_help" if emergency else "complain"),
            "description": description[:2000],
            "district": s("district"),
            "street": s("street"),
            "address": s("address"),
            **occurred_fields(occurred),
            "contact_name": s("contact_name"),
            "contact_phone": phone if phone and not phone.startswith("invalid:") else None,
            "emergency": emergency,
            "channel": tracker.sender_id.split(":", 1)[0] if ":" in tracker.sender_id else "web",
            "conversation_id": tracker.sender_id,
        }
        try:
            order = await self.gateway.create_work_order(payload)
        except GatewayUnavailable as exc:
            log.error("work order not created: %s", exc)  # no conversation id: it names a citizen
            dispatcher.utter_message(text="抱歉，工单系统暂时无法登记，我为您转人工客服记录。")
            dispatcher.utter_message(json_message={"handoff": {"reason": "ticket_system_down"}})
            return intake_reset()
        number = order["number"]
        # Read apart on the phone (date part, sequence); written as on the card everywhere else.
        spoken = f"{number[:6]} {number[6:]}" if is_phone(tracker) else number
        card = {"work_order": work_order_card(order)}
        if emergency:
            card["alert"] = {"reason": "emergency", "work_order": number}
            dispatcher.utter_message(text=f"已同步登记紧急工单，编号{spoken}。", json_message=card)
        else:
            deadline = DEADLINE_WORDS.get(order["urgency"], "规定时限内")
            dispatcher.utter_message(
                text=f"已为您登记工单，编号{spoken}。承办单位会在{deadline}处理并答复您。", json_message=card
            )
        return intake_reset()


def work_order_card(order: dict[str, Any]) -> dict[str, Any]:
    """What a channel shows of a new work order (no personal data)."""
    keys = ("number", "status", "deadline", "urgency", "request_type", "district", "street", "department")
    card = {k: order.get(k) for k in keys if order.get(k) is not None}
    if order.get("category_path"):
        card["category"] = "/".join(order["category_path"])
    return card


def intake_reset() -> list[EventType]:
    return [SlotSet(slot, None) for slot in INTAKE_SLOTS]


class ActionResetIntake(Action):
    """Clears the intake slots when the intake ends without a work order (cancelled)."""

    def name(self) -> str:
        return "action_reset_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return intake_reset()
