"""Run by tests/bot/test_consult_action.py in the engine environment (rasa_sdk lives there): the
consultation action with a fake gateway whose search returns a fixed decision. Prints one JSON
line per case: what the citizen is shown (text, buttons, data) and the slots set."""

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from bot.actions.consult import ActionAnswerConsult, ActionStartReferralOrder  # noqa: E402
from bot.actions.handoff import ActionFallback  # noqa: E402

ARTICLE = {"id": "utilities-water-outage-query", "title": "停水了怎么查询原因和恢复时间", "answer": "可以拨打96116查询。",
           "answer_short": "可以拨打96116查询。", "details": {}, "source": {"name": "《北京市城市供水条例》",
                                                                          "confirm": "可拨打96116确认。"}}  # fmt: skip
REFERRAL = {"category_code": "020101", "category": ["市政公用", "供水排水", "停水与供水管线故障"],
            "unit_name": "北京市自来水集团", "unit": {"code": "UTIL-WATER", "name": "北京市自来水集团", "level": "utility"},
            "level": "utility", "contact": "可以拨打北京市自来水集团客服热线96116（24小时）", "request_type": "seek_help",
            "confidence": 0.98, "district": None}  # fmt: skip
RESULTS = {
    "refer": {"decision": "refer", "facet": None, "results": [], "referral": REFERRAL,
              "related": [{"id": ARTICLE["id"], "title": ARTICLE["title"]}]},
    "answer": {"decision": "answer", "facet": None, "results": [ARTICLE],
               "related": [{"id": "utilities-water-quality", "title": "自来水发黄、浑浊、有异味怎么办"}]},
    "choose": {"decision": "choose", "facet": None, "results": [ARTICLE, {**ARTICLE, "id": "other", "title": "另一篇"}]},
    "none": {"decision": "none", "facet": None, "results": []},
}  # fmt: skip


class FakeGateway:
    """Answers every search with one fixed result; records every call (no work order is filed here)."""

    def __init__(self, result: dict) -> None:
        self.result, self.calls = result, []

    async def kb_search(self, text: str, context_article: str | None = None) -> dict:
        self.calls.append(["kb_search", text])
        return self.result

    async def create_work_order(self, payload: dict) -> dict:
        self.calls.append(["create_work_order"])
        raise AssertionError("a consultation never files a work order by itself")


def tracker(text: str, sender: str = "web:t", slots: dict | None = None, entities: list | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": "consult"}, "entities": entities or []}
    return Tracker.from_dict({"sender_id": sender, "slots": slots or {}, "latest_message": message})


async def consult(case: str, text: str, sender: str = "web:t") -> dict:
    gateway, out = FakeGateway(RESULTS[case]), CollectingDispatcher()
    events = await ActionAnswerConsult(gateway).run(out, tracker(text, sender), {})
    return {"messages": out.messages, "slots": {e["name"]: e["value"] for e in events}, "calls": gateway.calls}


async def fallback(case: str, text: str) -> dict:
    gateway, out = FakeGateway(RESULTS[case]), CollectingDispatcher()
    events = await ActionFallback(gateway).run(out, tracker(text), {})
    return {"messages": out.messages, "slots": {e["name"]: e["value"] for e in events}, "calls": gateway.calls}


async def start_order(slots: dict) -> dict:
    out = CollectingDispatcher()
    events = await ActionStartReferralOrder().run(out, tracker('/consult{"kb_order": "yes"}', slots=slots), {})
    return {"messages": out.messages, "slots": {e["name"]: e["value"] for e in events}}


async def main() -> None:
    referred = await consult("refer", "停水了找哪个部门")
    cases = {
        "refer": referred,
        "refer_phone": await consult("refer", "停水了找哪个部门", sender="phone:c1"),
        "answer_with_related": await consult("answer", "停水了怎么查"),
        "start_order": await start_order(referred["slots"] | {"kb_question": "停水了找哪个部门"}),
        "fallback_answer": await fallback("answer", "停水了咋查原因"),
        "fallback_choose": await fallback("choose", "水的事"),
        "fallback_none": await fallback("none", "qwpz xkcv"),
        "fallback_button": await fallback("answer", "/nlu_fallback"),
    }
    for name, result in cases.items():
        print(json.dumps({"case": name, "result": result}, ensure_ascii=False))


asyncio.run(main())
