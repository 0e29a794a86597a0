"""Run by tests/bot/test_handoff_action.py in the engine environment (rasa_sdk lives there): the
handoff payload an agent picks the conversation up from, and the fallback for messages the NLU did
not understand (a person takes over the second time in a row). Prints one JSON line per case."""

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.gateway_client import GatewayUnavailable
from bot.actions.handoff import ActionFallback, ActionHandoff


def user(text: str, intent: str, metadata: dict | None = None) -> dict:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent}, "text": text},
        "metadata": metadata or {},
    }


def bot(text: str) -> dict:
    return {"event": "bot", "text": text}


def tracker(events: list[dict], slots: dict | None = None, sender: str = "web:t") -> Tracker:
    last = [e for e in events if e["event"] == "user"][-1]
    message = {**last["parse_data"], "metadata": last["metadata"], "entities": []}
    return Tracker.from_dict({"sender_id": sender, "slots": slots or {}, "latest_message": message, "events": events})


class FakeGateway:
    def __init__(self, result: dict | None = None) -> None:
        self.result, self.calls = result, []

    async def kb_search(self, text: str, context_article: str | None = None) -> dict:
        self.calls.append(text)
        if self.result is None:
            raise GatewayUnavailable("POST /api/kb/search: ConnectionRefused")
        return self.result


NOTHING = {"decision": "none", "facet": None, "results": []}
REFER = {"decision": "refer", "facet": None, "results": [], "related": [],
         "referral": {"unit_name": "北京市自来水集团", "request_type": "seek_help", "category_code": "020101",
                      "category": ["市政公用", "供水排水", "停水"], "contact": "可以拨打96116"}}  # fmt: skip


async def handoff(events: list[dict], slots: dict | None = None) -> list[dict]:
    out = CollectingDispatcher()
    assert await ActionHandoff().run(out, tracker(events, slots), {}) == []
    return out.messages


async def fallback(events: list[dict], result: dict | None = NOTHING) -> dict:
    gateway, out = FakeGateway(result), CollectingDispatcher()
    events_out = await ActionFallback(gateway).run(out, tracker(events), {})
    return {
        "calls": gateway.calls,
        "events": events_out,
        "messages": [
            {"text": m.get("text"), "buttons": [b["title"] for b in m.get("buttons") or []], "custom": m.get("custom")}
            for m in out.messages
        ],
    }


async def main() -> None:
    complaint = [
        user("我要投诉，楼下饭馆油烟太大", "complain"),
        bot("好的，我来为您登记投诉。"),
        bot("请问具体在哪个区？"),
        user("朝阳区劲松街道农光里", "inform"),
        bot("这个情况是什么时候发生的？"),
        user("给我转人工", "request_human"),
    ]
    chat = [user(f"第{i}句", "inform") if i % 2 else bot(f"回复{i}") for i in range(1, 11)]
    cases = {
        "requested": await handoff(
            complaint,
            {
                "request_type": "complain",
                "address": "朝阳区劲松街道农光里",
                "occurred": None,
                "requested_slot": "occurred",
            },
        ),
        "emergency": await handoff([user("/emergency", "emergency", {"text": "楼道里着火了"})]),
        "long_chat": await handoff([*chat, user("转人工", "request_human")]),
        "first_miss": await fallback([user("一个字都看不懂的话", "nlu_fallback")]),
        "second_miss": await fallback(
            [user("看不懂的话", "nlu_fallback"), bot("抱歉，我没有听明白。"), user("还是看不懂的话", "nlu_fallback")]
        ),
        "miss_after_understood": await fallback(
            [user("看不懂的话", "nlu_fallback"), user("你好", "greet"), user("又一句看不懂的话", "nlu_fallback")]
        ),
        "kb_down": await fallback([user("停水找谁", "nlu_fallback")], result=None),
        "who_handles": await fallback([user("停水找谁", "nlu_fallback")], result=REFER),
    }
    for name, result in cases.items():
        print(json.dumps({"case": name, "result": result}, ensure_ascii=False))


asyncio.run(main())
