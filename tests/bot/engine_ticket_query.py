"""Run by tests/bot/test_ticket_query_action.py in the engine environment (rasa_sdk lives there):
the status query answers by phone only for the number the channel proved, never a typed one.
Prints one JSON line per case."""

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.gateway_client import Forbidden, GatewayUnavailable
from bot.actions.ticket_query import ActionQueryTicket, ValidateTicketQueryForm

ORDER = {"number": "26112100042", "status": "dispatched", "department": "朝阳区城管委"}
DONE = {
    "number": "26120500007",
    "status": "resolved",
    "department": "望京街道办事处",
    "unit": {"code": "110105-021", "name": "望京街道办事处", "level": "street"},
    "result": "已清理路边垃圾。",
}


class FakeGateway:
    """Records the calls; refuses a phone lookup whose proof is not 'signed'."""

    def __init__(self, down: bool = False) -> None:
        self.calls: list[tuple] = []
        self.down = down

    async def get_work_order(self, number: str) -> dict | None:
        self.calls.append(("number", number))
        if self.down:
            raise GatewayUnavailable("GET /api/tickets: ConnectionRefused")
        return ORDER if number == ORDER["number"] else None

    async def work_orders_of_phone(self, phone: str, proof: str, limit: int = 3) -> list[dict]:
        self.calls.append(("phone", phone, proof))
        if proof != "signed":
            raise Forbidden("HTTP 403")
        return [ORDER]

    async def work_orders_of_conversation(self, conversation_id: str, limit: int = 3) -> list[dict]:
        self.calls.append(("conversation", conversation_id))
        return [DONE] if conversation_id == "web:t" else []


def tracker(
    metadata: dict,
    slots: dict | None = None,
    intent: str = "query_ticket",
    sender: str = "web:t",
    requested: str | None = "ticket_ref",
) -> Tracker:
    message = {"text": "我的工单办得怎么样了", "intent": {"name": intent}, "metadata": metadata}
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {"requested_slot": requested, **(slots or {})},
            "latest_message": message,
            "active_loop": {"name": "ticket_query_form"},
        }
    )


async def form_slot(metadata: dict, **kw) -> tuple[dict, list[str]]:
    form, out = ValidateTicketQueryForm(FakeGateway()), CollectingDispatcher()
    t = tracker(metadata, **kw)
    found = await form.extract_ticket_ref(out, t, {})
    if "ticket_ref" in found:
        found = form.validate_ticket_ref(found["ticket_ref"], out, t, {})
    return found, [m["text"] for m in out.messages]


async def answer(metadata: dict, ref: str, down: bool = False) -> tuple[list[tuple], list[str]]:
    gateway, out = FakeGateway(down), CollectingDispatcher()
    events = await ActionQueryTicket(gateway).run(out, tracker(metadata, {"ticket_ref": ref}), {})
    assert [(e["name"], e["value"]) for e in events] == [("ticket_ref", None)], "the next query starts afresh"
    return gateway.calls, [m["text"] for m in out.messages]


async def main() -> None:
    typed = {"extracted": {"contact_phone": "13911112222"}}
    proven = {"extracted": {}, "verified_phone": "13911112222", "verified_phone_proof": "signed"}
    number = {"extracted": {"ticket_number": "26112100042", "contact_phone": "13911112222"}}
    cases = {
        "typed_form": await form_slot(typed),
        "proven_form": await form_slot(proven),
        "number_form": await form_slot(number),
        "unproven_claim_form": await form_slot({"verified_phone": "13911112222"}),
        "typed_answer": await answer(typed, "13911112222"),
        "proven_answer": await answer(proven, "verified_phone"),
        "forged_answer": await answer({**proven, "verified_phone_proof": "forged"}, "verified_phone"),
        "number_answer": await answer(number, "26112100042"),
        "own_conversation_form": await form_slot({"extracted": {}}, requested=None),
        "other_conversation_form": await form_slot({"extracted": {}}, requested=None, sender="web:new"),
        "own_conversation_answer": await answer({"extracted": {}}, "this_conversation"),
        "no_number_form": await form_slot({"extracted": {}}),
        "cancel_form": await form_slot({"extracted": {}}, intent="cancel"),
        "unknown_number_answer": await answer(number, "26112199999"),
        "gateway_down_answer": await answer(number, "26112100042", down=True),
    }
    for name, result in cases.items():
        print(json.dumps({"case": name, "result": result}, ensure_ascii=False))


asyncio.run(main())
