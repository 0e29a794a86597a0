"""Work-order status by number, or by the citizen's own phone where the channel proved it (a call's
caller ID, a Telegram contact shared as their own: `verified_phone` in the message metadata, signed
by the gateway). A typed phone number is never looked up. Only masked personal data is read out."""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.gateway_client import Forbidden, GatewayClient, GatewayUnavailable
from bot.actions.intake import INTERRUPTIONS, extracted

STATUS_WORDS = {"accepted": "已受理", "dispatched": "已派单", "in_progress": "办理中", "returned": "重新派单中",
                "resolved": "已办结", "visited": "已回访", "closed": "已关闭"}  # fmt: skip


# The slot value meaning "the number this channel verified" (never a typed number).
VERIFIED_PHONE = "verified_phone"
# The work orders filed in this very conversation ("我的工单办得怎么样了" after filing one).
THIS_CONVERSATION = "this_conversation"
# A phone number typed or said, not proven by the channel: not looked up.
UNVERIFIED_PHONE = "unverified_phone"
NOT_HEARD = "没听清编号。工单编号是11位数字，比如26112100042。"
NO_PHONE_LOOKUP = "为保护您的个人信息，不能凭说出或输入的电话号码查询工单。"
NEED_NUMBER = NO_PHONE_LOOKUP + "请告诉我11位工单编号，比如26112100042。"
NONE_FOUND = "没有查到对应的工单，请核对编号。"
NONE_OF_PHONE = "您的号码{phone}名下没有查到工单。如有工单编号，也可以告诉我。"


def verified_phone(tracker: Tracker) -> tuple[str, str] | None:
    """The number the channel proved for this message, with the gateway's proof; else None."""
    metadata = tracker.latest_message.get("metadata") or {}
    phone, proof = metadata.get("verified_phone"), metadata.get("verified_phone_proof")
    return (str(phone), str(proof)) if phone and proof else None


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


def spoken(number: str) -> str:
    return f"{number[:6]} {number[6:]}"


def status_line(order: dict[str, Any]) -> str:
    line = f"工单{spoken(order['number'])}：{STATUS_WORDS.get(order['status'], order['status'])}"
    unit = (order.get("unit") or {}).get("name") or order.get("department")
    if unit:
        line += f"，承办单位{unit}"
    if order.get("result") and order["status"] in ("resolved", "visited", "closed"):
        line += f"，办理结果：{order['result'].rstrip('。')}"
    return line


class ValidateTicketQueryForm(FormValidationAction):
    def __init__(self, gateway: GatewayClient | None = None) -> None:
        self.gateway = gateway or GatewayClient()

    def name(self) -> str:
        return "validate_ticket_query_form"

    async def extract_ticket_ref(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        found = extracted(tracker)
        if found.get("ticket_number"):
            return {"ticket_ref": found["ticket_number"]}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in INTERRUPTIONS:
            return {}
        if verified_phone(tracker):
            return {"ticket_ref": VERIFIED_PHONE}
        if found.get("contact_phone"):
            return {"ticket_ref": UNVERIFIED_PHONE}
        if tracker.get_slot("requested_slot") is None and await self._filed_here(tracker.sender_id):
            return {"ticket_ref": THIS_CONVERSATION}
        if tracker.get_slot("requested_slot") == "ticket_ref":
            return {"ticket_ref": "invalid"}
        return {}

    async def _filed_here(self, conversation_id: str) -> bool:
        try:
            return bool(await self.gateway.work_orders_of_conversation(conversation_id, limit=1))
        except (GatewayUnavailable, Forbidden):
            return False

    def validate_ticket_ref(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        if value == UNVERIFIED_PHONE:  # the form then asks for the work-order number
            dispatcher.utter_message(text=NO_PHONE_LOOKUP)
            return {"ticket_ref": None}
        if value and value != "invalid":
            return {"ticket_ref": value}
        dispatcher.utter_message(text=NOT_HEARD)
        return {"ticket_ref": None}


class ActionQueryTicket(Action):
    def __init__(self, gateway: GatewayClient | None = None) -> None:
        self.gateway = gateway or GatewayClient()

    def name(self) -> str:
        return "action_query_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ref = tracker.get_slot("ticket_ref") or ""
        own = verified_phone(tracker) if ref == VERIFIED_PHONE else None
        try:
            if ref.startswith("2") and len(ref) == 11 and ref.isdigit():
                order = await self.gateway.get_work_order(ref)
                text = status_line(order) + "。" if order else NONE_FOUND
            elif ref == THIS_CONVERSATION:
                orders = await self.gateway.work_orders_of_conversation(tracker.sender_id)
                text = "；".join(status_line(o) for o in orders) + "。" if orders else NEED_NUMBER
            elif own is not None:
                orders = await self.gateway.work_orders_of_phone(*own)
                text = (
                    f"您的号码{masked(own[0])}名下的工单：" + "；".join(status_line(o) for o in orders) + "。"
                    if orders
                    else NONE_OF_PHONE.format(phone=masked(own[0]))
                )
            else:  # a typed number, or a proof the gateway did not give: ask for the work-order number
                text = NEED_NUMBER
        except Forbidden:
            text = NEED_NUMBER
        except GatewayUnavailable:
            dispatcher.utter_message(
                text="抱歉，工单系统暂时查不了，请稍后再试，或者转人工客服。",
                buttons=[{"title": "转人工", "payload": "/request_human"}],
            )
            return [SlotSet("ticket_ref", None)]
        dispatcher.utter_message(text=text)
        return [SlotSet("ticket_ref", None)]
