"""Run by tests/bot/test_intake_actions.py in the engine environment (rasa_sdk lives there): the
intake form's validation action as Rasa's FormAction calls it (slot candidates at the end of the
events, the gateway's recognised details in the message metadata), its ask actions, and the work
order submitted to a fake gateway. Prints one JSON line per case."""

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.gateway_client import GatewayUnavailable
from bot.actions.intake import (
    ActionAskAddress,
    ActionAskIntakeConfirmed,
    ActionCreateWorkOrder,
    ActionResetIntake,
    ValidateIntakeForm,
)

DOMAIN = {
    "forms": {
        "intake_form": {"required_slots": ["description", "address", "occurred", "contact_phone", "intake_confirmed"]}
    }
}
COMPLAINT = {"request_type": "complain", "description": "小区门口的垃圾桶好几天没人清了"}
PLACED = {"address": "朝阳区劲松街道农光里", "district": "朝阳区", "street": "劲松街道"}
FILLED = {**COMPLAINT, **PLACED, "occurred": "2026-12-05T22:00:00+08:00", "contact_phone": "13520086677"}
ORDER = {"number": "26120600012", "status": "dispatched", "urgency": "24h", "request_type": "complain",
         "district": "朝阳区", "department": "劲松街道办事处", "category_path": ["城乡建设", "市容环卫", "垃圾清运"],
         "contact_phone": "13520086677"}  # fmt: skip


def tracker(
    text: str = "",
    intent: str = "inform",
    extracted: dict | None = None,
    slots: dict | None = None,
    requested: str | None = None,
    candidates: dict | None = None,
    sender: str = "web:t",
    entities: list | None = None,
    metadata: dict | None = None,
) -> Tracker:
    """The tracker the form's validation sees: `candidates` are the slots Rasa's own mappings
    filled from this message (appended as slot events, as FormAction does)."""
    message = {
        "text": text,
        "intent": {"name": intent},
        "entities": entities or [],
        "metadata": {"extracted": extracted or {}, **(metadata or {})},
    }
    events = [{"event": "user", "text": text, "parse_data": message, "metadata": message["metadata"]}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (candidates or {}).items()]
    all_slots = {"requested_slot": requested, **(slots or {}), **(candidates or {})}
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": all_slots,
            "latest_message": message,
            "events": events,
            "active_loop": {"name": "intake_form"},
        }
    )


async def validate(**kw) -> dict:
    """One turn of validate_intake_form: the slot events it returns, what it says."""
    out = CollectingDispatcher()
    events = await ValidateIntakeForm().run(out, tracker(**kw), DOMAIN)
    return {
        "slots": [[e["name"], e["value"]] for e in events],
        "said": [[m.get("text"), [b["title"] for b in m.get("buttons") or []]] for m in out.messages],
    }


async def ask(action, **kw) -> list[dict]:
    out = CollectingDispatcher()
    assert await action.run(out, tracker(**kw), DOMAIN) == []
    return out.messages


class FakeGateway:
    def __init__(self, down: bool = False) -> None:
        self.down, self.payloads = down, []

    async def create_work_order(self, payload: dict) -> dict:
        self.payloads.append(payload)
        if self.down:
            raise GatewayUnavailable("POST /api/tickets: ConnectionRefused")
        return ORDER


async def submit(down: bool = False, **kw) -> dict:
    gateway, out = FakeGateway(down), CollectingDispatcher()
    events = await ActionCreateWorkOrder(gateway).run(out, tracker(**kw), DOMAIN)
    return {"payloads": gateway.payloads, "events": events, "messages": out.messages}


async def main() -> None:
    cases = {
        # --- extraction and validation (validate_intake_form) ---
        "one_breath": await validate(
            text="朝阳区劲松街道农光里，我姓王，电话13520086677",
            slots=COMPLAINT,
            requested="address",
            extracted={**PLACED, "contact_name": "王", "contact_phone": "13520086677"},
        ),
        "named_type": await validate(
            text="是举报，在朝阳区劲松街道农光里",
            slots=COMPLAINT,
            requested="address",
            extracted={**PLACED, "request_type": "report"},
        ),
        "consult_keeps_type": await validate(
            text="13910203040",
            slots={"request_type": "consult", "description": "开宠物医院要办哪些手续"},
            requested="contact_phone",
            extracted={"contact_phone": "13910203040", "request_type": "complain"},
        ),
        "anonymous": await validate(
            text="我匿名，不留电话",
            slots={**COMPLAINT, **PLACED, "occurred": "ongoing"},
            requested="contact_phone",
            extracted={"anonymous": True},
        ),
        "unplaced_address": await validate(text="就在菜市场旁边", slots=COMPLAINT, requested="address"),
        "outside_beijing": await validate(
            text="上海浦东张江",
            slots={**COMPLAINT, "intake_failures": 1.0},
            requested="address",
            extracted={"outside_beijing": True},
        ),
        "ambiguous_street": await validate(
            text="和平里",
            slots=COMPLAINT,
            requested="address",
            extracted={"ambiguous_streets": ["东城区和平里街道", "西城区和平里"]},
        ),
        "skipped_address": await validate(
            text='/inform{"address_skip": "yes"}',
            slots=COMPLAINT,
            requested="address",
            entities=[{"entity": "address_skip", "value": "yes"}],
        ),
        "ongoing_since": await validate(
            text="从上个月十五号开始天天这样",
            slots={**COMPLAINT, **PLACED},
            requested="occurred",
            extracted={"ongoing": True, "occurred_at": "2026-11-15T00:00:00+08:00"},
        ),
        "occurred_unknown": await validate(text="记不清了", slots={**COMPLAINT, **PLACED}, requested="occurred"),
        "bad_phone": await validate(
            text="电话是12345",
            slots={**FILLED, "contact_phone": None},
            requested="contact_phone",
            extracted={"phone_problem": "too_short"},
        ),
        "bad_phone_again": await validate(
            text="12345",
            slots={**FILLED, "contact_phone": None, "intake_failures": 1.0},
            requested="contact_phone",
            extracted={"phone_problem": "too_short"},
        ),
        "description_too_short": await validate(
            text="我要投诉",
            intent="complain",
            requested="description",
            slots={"request_type": "complain"},
            candidates={"description": "我要投诉"},
        ),
        "button_opening": await validate(
            text="/complain",
            intent="complain",
            slots={"request_type": "complain"},
            candidates={"description": "/complain"},
        ),
        "cancel_inside": await validate(text="算了不登记了", intent="cancel", slots=COMPLAINT, requested="address"),
        "confirmed": await validate(
            text="对",
            intent="affirm",
            slots=FILLED,
            requested="intake_confirmed",
            candidates={"intake_confirmed": True},
        ),
        "denied": await validate(
            text="不对",
            intent="deny",
            slots=FILLED,
            requested="intake_confirmed",
            candidates={"intake_confirmed": False},
        ),
        "denied_with_correction": await validate(
            text="不对，地址是朝阳区劲松街道农光东里",
            intent="deny",
            slots=FILLED,
            requested="intake_confirmed",
            candidates={"intake_confirmed": False},
            extracted={"address": "朝阳区劲松街道农光东里", "district": "朝阳区", "street": "劲松街道"},
        ),
        # --- asking ---
        "ask_address": await ask(ActionAskAddress(), slots=COMPLAINT),
        "ask_address_unknown": await ask(
            ActionAskAddress(), slots={"address_problem": "unknown", "intake_failures": 1.0}
        ),
        "ask_address_stuck": await ask(
            ActionAskAddress(), slots={"address_problem": "ambiguous", "intake_failures": 2.0}
        ),
        "ask_address_stuck_phone": await ask(
            ActionAskAddress(), sender="phone:c1", slots={"address_problem": "unknown", "intake_failures": 2.0}
        ),
        "read_back": await ask(
            ActionAskIntakeConfirmed(), slots={**FILLED, "occurred": "ongoing:2026-11-30T00:00:00+08:00"}
        ),
        "read_back_consult": await ask(
            ActionAskIntakeConfirmed(),
            slots={"request_type": "consult", "description": "开宠物医院要办哪些手续", "contact_phone": "13910203040"},
        ),
        "read_back_anonymous": await ask(
            ActionAskIntakeConfirmed(),
            slots={**FILLED, "request_type": "report", "anonymous": True, "contact_phone": None},
        ),
        # --- submitting ---
        "submit": await submit(text="对", intent="affirm", slots={**FILLED, "contact_name": "王"}),
        "submit_phone_channel": await submit(text="对", intent="affirm", slots=FILLED, sender="phone:c1"),
        "submit_invalid_phone": await submit(
            text="对", intent="affirm", slots={**FILLED, "contact_phone": "invalid:too_short"}
        ),
        "submit_emergency": await submit(
            text="/emergency",
            intent="emergency",
            sender="tg:42",
            slots=COMPLAINT,
            metadata={"text": "楼道里着火了", "safety": {"numbers": ["119"]}},
        ),
        "submit_emergency_alone": await submit(
            text="/emergency", intent="emergency", metadata={"text": "快来人，有人晕倒了"}
        ),
        "submit_gateway_down": await submit(down=True, text="对", intent="affirm", slots=FILLED),
        "reset": [
            [e["name"], e["value"]] for e in await ActionResetIntake().run(CollectingDispatcher(), tracker(), DOMAIN)
        ],
    }
    for name, result in cases.items():
        print(json.dumps({"case": name, "result": result}, ensure_ascii=False))


asyncio.run(main())
