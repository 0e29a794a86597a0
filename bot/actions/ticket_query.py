"""Work-order status by number or by phone; only masked personal data is read out."""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.gateway_client import GatewayClient, GatewayUnavailable
from bot.actions.intake import INTERRUPTIONS, extracted

STATUS_WORDS = {"accepted": "已受理", "dispatched": "已派单", "in_progress": "办理中", "returned": "重新派单中",
                "resolved": "已办结", "visited": "已回访", "closed": "已关闭"}  # fmt: skip


def spoken(number: str) -> str:
    return f"{number[:6]} {number[6:]}"


def status_line(order: dict[str, Any]) -> str:
    line = f"工单{spoken(order['number'])}：{STATUS_WORDS.get(order['status'], order['status'])}"
    if order.get("department"):
        line += f"，承办单位{order['department']}"
    return line


class ValidateTicketQueryForm(FormValidationAction):
    def name(self) -> str:
        return "validate_ticket_query_form"

    async def extract_ticket_ref(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict:  # fmt: skip
        found = extracted(tracker)
        ref = found.get("ticket_number") or found.get("contact_phone")
        if ref:
            return {"ticket_ref": ref}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.get_slot("requested_slot") == "ticket_ref" and intent not in INTERRUPTIONS:
            return {"ticket_ref": "invalid"}
        return {}

    def validate_ticket_ref(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict:  # fmt: skip
        if value and value != "invalid":
            return {"ticket_ref": value}
        dispatcher.utter_message(text="没听清编号。工单编号是11位数字，比如26112100042；也可以说登记时的电话。")
        return {"ticket_ref": None}


class ActionQueryTicket(Action):
    def __init__(self, gateway: GatewayClient | None = None) -> None:
        self.gateway = gateway or GatewayClient()

    def name(self) -> str:
        return "action_query_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ref = tracker.get_slot("ticket_ref") or ""
        try:
            if ref.startswith("2") and len(ref) == 11:
                order = await self.gateway.get_work_order(ref)
                orders = [order] if order else []
            else:
                orders = await self.gateway.work_orders_of_phone(ref)
        except GatewayUnavailable:
            dispatcher.utter_message(text="抱歉，工单系统暂时查不了，请稍后再试，或者转人工客服。",
                                     buttons=[{"title": "转人工", "payload": "/request_human"}])  # fmt: skip
            return [SlotSet("ticket_ref", None)]
        if not orders:
            dispatcher.utter_message(text="没有查到对应的工单，请核对编号或电话。")
        else:
            dispatcher.utter_message(text="；".join(status_line(o) for o in orders) + "。")
        return [SlotSet("ticket_ref", None)]
