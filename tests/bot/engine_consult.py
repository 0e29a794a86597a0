"""Run by tests/bot/test_consult_action.py in the engine environment (rasa_sdk lives there): the
consultation action with a fake gateway whose search returns a fixed decision. Prints one JSON
line per case: what the citizen is shown (text, buttons, data) and the slots set."""

import asyncio
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.consult import ActionAnswerConsult, ActionStartConsultRecord, ActionStartReferralOrder
from bot.actions.gateway_client import GatewayUnavailable
from bot.actions.handoff import ActionFallback
from bot.actions.screen import ActionScreenQuestion

ARTICLE = {
    "id": "utilities-water-outage-query",
    "title": "停水了怎么查询原因和恢复时间",
    "answer": "可以拨打96116查询。",
    "answer_short": "可以拨打96116查询。",
    "details": {},
    "source": {"name": "《北京市城市供水条例》", "confirm": "可拨打96116确认。"},
}
REFERRAL = {"category_code": "020101", "category": ["市政公用", "供水排水", "停水与供水管线故障"],
            "unit_name": "北京市自来水集团", "unit": {"code": "UTIL-WATER", "name": "北京市自来水集团", "level": "utility"},
            "level": "utility", "contact": "可以拨打北京市自来水集团客服热线96116（24小时）", "request_type": "seek_help",
            "confidence": 0.98, "district": None}  # fmt: skip
RESULTS = {
    "refer": {
        "decision": "refer",
        "facet": None,
        "results": [],
        "referral": REFERRAL,
        "related": [{"id": ARTICLE["id"], "title": ARTICLE["title"]}],
    },
    "answer": {
        "decision": "answer",
        "facet": None,
        "results": [ARTICLE],
        "related": [{"id": "utilities-water-quality", "title": "自来水发黄、浑浊、有异味怎么办"}],
    },
    "choose": {
        "decision": "choose",
        "facet": None,
        "results": [ARTICLE, {**ARTICLE, "id": "other", "title": "另一篇"}],
    },
    "none": {"decision": "none", "facet": None, "results": []},
}


WEB_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"  # a web conversation id: enough to join the conversation


class FakeGateway:
    """Answers every search with one fixed result; records every call (no work order is filed here)."""

    def __init__(self, result: dict) -> None:
        self.result, self.calls = result, []

    async def kb_search(self, text: str, context_article: str | None = None) -> dict:
        self.calls.append(["kb_search", text])
        if self.result is None:
            raise GatewayUnavailable("POST /api/kb/search: ConnectionRefused")
        return self.result

    async def kb_article(self, article_id: str) -> dict | None:
        self.calls.append(["kb_article", article_id])
        return ARTICLE if article_id == ARTICLE["id"] else None

    async def create_work_order(self, payload: dict) -> dict:
        self.calls.append(["create_work_order"])
        raise AssertionError("a consultation never files a work order by itself")


def tracker(
    text: str,
    sender: str = "web:t",
    slots: dict | None = None,
    entities: list | None = None,
    intent: str = "consult",
    extracted: dict | None = None,
) -> Tracker:
    """`extracted`: what the gateway recognised in the message (its metadata)."""
    message = {
        "text": text,
        "intent": {"name": intent},
        "entities": entities or [],
        "metadata": {"extracted": extracted or {}},
    }
    return Tracker.from_dict({"sender_id": sender, "slots": slots or {}, "latest_message": message})


async def consult(
    case: str | None, text: str, sender: str = "web:t", entities: list | None = None, slots: dict | None = None
) -> dict:
    """The answer to `text` when the search decides `case` (None: the knowledge base is down)."""
    gateway, out = FakeGateway(RESULTS[case] if case else None), CollectingDispatcher()
    events = await ActionAnswerConsult(gateway).run(out, tracker(text, sender, slots, entities), {})
    return {"messages": out.messages, "slots": {e["name"]: e["value"] for e in events}, "calls": gateway.calls}


async def fallback(case: str, text: str, sender: str = "web:t") -> dict:
    gateway, out = FakeGateway(RESULTS[case]), CollectingDispatcher()
    events = await ActionFallback(gateway).run(out, tracker(text, sender), {})
    return {"messages": out.messages, "slots": {e["name"]: e["value"] for e in events}, "calls": gateway.calls}


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def screen(
    case: str | None, text: str, intent: str, sender: str = "web:t", extracted: dict | None = None
) -> dict:
    """action_screen_question on a message the NLU read as `intent` (case None: the gateway is down),
    with the lines it logged."""
    gateway, out, logged = FakeGateway(RESULTS[case] if case else None), CollectingDispatcher(), Lines()
    logging.getLogger("bot").addHandler(logged)
    try:
        events = await ActionScreenQuestion(gateway).run(
            out, tracker(text, sender, intent=intent, extracted=extracted), {}
        )
    finally:
        logging.getLogger("bot").removeHandler(logged)
    return {
        "messages": out.messages,
        "slots": {e["name"]: e["value"] for e in events},
        "calls": gateway.calls,
        "logged": logged.lines,
    }


async def start_order(slots: dict) -> dict:
    out = CollectingDispatcher()
    events = await ActionStartReferralOrder().run(out, tracker('/consult{"kb_order": "yes"}', slots=slots), {})
    return {"messages": out.messages, "slots": {e["name"]: e["value"] for e in events}}


async def start_record(slots: dict) -> dict:
    out = CollectingDispatcher()
    events = await ActionStartConsultRecord().run(out, tracker('/consult{"kb_record": "yes"}', slots=slots), {})
    return {"messages": out.messages, "slots": {e["name"]: e["value"] for e in events}}


def chose(article: str) -> list[dict]:
    return [{"entity": "kb_article", "value": article}]


async def main() -> None:
    referred = await consult("refer", "停水了找哪个部门")
    cases = {
        "refer": referred,
        "refer_phone": await consult("refer", "停水了找哪个部门", sender="phone:c1"),
        "answer_with_related": await consult("answer", "停水了怎么查"),
        "start_order": await start_order(referred["slots"] | {"kb_question": "停水了找哪个部门"}),
        "fallback_answer": await fallback("answer", "停水了咋查原因"),
        "fallback_choose": await fallback("choose", "水的事"),
        "fallback_choose_question": await fallback("choose", "水的事该咋办"),
        "fallback_choose_phone": await fallback("choose", "水的事该咋办", sender="phone:c1"),
        "fallback_none": await fallback("none", "qwpz xkcv"),
        "fallback_button": await fallback("answer", "/nlu_fallback"),
        "not_found": await consult("none", "开宠物医院要办哪些手续"),
        "kb_down": await consult(None, "开宠物医院要办哪些手续"),
        "bare_button": await consult("answer", "/consult"),
        "bare_button_phone": await consult("answer", "/consult", sender="phone:c1"),
        "chosen": await consult(
            "choose",
            '/consult{"kb_article": "utilities-water-outage-query"}',
            entities=chose(ARTICLE["id"]),
            slots={"kb_question": "水的事"},
        ),
        "chosen_none": await consult(
            "choose", '/consult{"kb_article": "none"}', entities=chose("none"), slots={"kb_question": "水的事"}
        ),
        "start_record": await start_record({"kb_question": "开宠物医院要办哪些手续", "kb_article": None}),
        "screen_answer": await screen("answer", "停水了 一般多久能来水啊", "complain"),
        "screen_answer_phone": await screen("answer", "停水了 一般多久能来水啊", "complain", sender="phone:c1"),
        "screen_refer_report": await screen("refer", "有人偷接自来水 这事该找哪个部门", "report"),
        "screen_refer_inform": await screen("refer", "停水了找哪个部门", "inform"),
        "screen_choose": await screen("choose", "水的事该咋办", "complain"),
        "screen_down": await screen(None, "停水了 一般多久能来水啊", "seek_help", sender=f"web:{WEB_ID}"),
        "screen_grievance": await screen("answer", "停水三天了 怎么还没人管", "complain"),
        "screen_statement": await screen("answer", "我们楼停水了 水龙头一滴水都没有", "complain"),
        "screen_button": await screen("answer", "/complain", "complain"),
        # not questions, or not only: a statement ending in 呢, 好几 (not "how many"), distress
        "screen_statement_ne": await screen("answer", "健身房老板跑路了 我卡里还有五千块钱呢", "complain"),
        "screen_statement_several": await screen("answer", "我们这片儿老停电 一个月停好几回 也不通知", "complain"),
        "screen_distress": await screen("answer", "老人晚上突然头晕得厉害 附近有没有还开着的医院啊", "seek_help"),
        "screen_plea": await screen("answer", "我们这儿停水了 能帮问问啥时候来吗", "seek_help"),
        "screen_suggest_question": await screen("answer", "老人多大岁数坐公交才不用花钱", "suggest"),
        "screen_suggest_proposal": await screen("answer", "公交末班车太早了 能不能晚点收车", "suggest"),
        # short turns, requests for a person and status queries: only a longer question without their own words
        "screen_goodbye_question": await screen("answer", "停水了 一般要多久才能来水啊", "goodbye"),
        "screen_human_question": await screen("answer", "停水了 一般多久能来水啊", "request_human"),
        "screen_status_question": await screen("answer", "停水了 一般多久能来水啊", "query_ticket"),
        "screen_hotline_number": await screen("answer", "停水了打12345能问到多久来水吗", "query_ticket"),
        "screen_a_not_a": await screen("answer", "停水这几天的水费还用不用交", "goodbye"),
        "screen_adjective_a_not_a": await screen("answer", "你们那儿今天热不热", "chitchat"),
        "screen_about_filing": await screen("answer", "举报人的信息会不会透露给商家", "report"),
        "screen_alternative": await screen("answer", "停水了是找物业还是找自来水公司", "inform"),
        "screen_still_not": await screen("answer", "物业修了两次还是漏水", "complain"),
        "screen_still_color": await screen("answer", "放了半天水还是黄的", "complain"),
        "screen_send_someone": await screen("answer", "整栋楼停水了 能派人来看看吗", "seek_help"),
        "screen_small_talk_to_me": await screen("answer", "你在哪儿上班啊", "chitchat"),
        "screen_small_talk_then_question": await screen("answer", "你是机器人吗 停水了多久能来水", "chitchat"),
        "screen_wants_to_file": await screen("answer", "我想举报有人无证行医 怎么举报", "report"),
        "screen_short_deny": await screen("answer", "没有没有", "deny"),
        "screen_short_thank": await screen("answer", "谢谢 是这样吗", "thank"),
        "screen_asks_for_person": await screen("answer", "有没有人工客服啊", "request_human"),
        "screen_own_order": await screen("answer", "我前几天提的诉求有结果了吗", "query_ticket"),
        "screen_own_order_number": await screen(
            "answer", "26011500017现在怎么样了", "query_ticket", extracted={"ticket_number": "26011500017"}
        ),
        "screen_own_order_phone": await screen(
            "answer", "用13812345678登记的那件事怎么样了", "query_ticket", extracted={"contact_phone": "13812345678"}
        ),
    }
    for name, result in cases.items():
        print(json.dumps({"case": name, "result": result}, ensure_ascii=False))


asyncio.run(main())
