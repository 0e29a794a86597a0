"""The survey's words and buttons, and reading a citizen's answer (a button payload, or the
same answer typed or spoken: 解决了, 没解决, 还行 …)."""

import re
from typing import Any

from conversation.messages import Button, Reply
from tickets.handling import RESOLVED_ANSWERS, SATISFACTION_ANSWERS
from tickets.numbering import spoken_form

SURVEY_COMMAND = "/survey"
QUESTIONS = {"resolved": "问题解决了吗？", "satisfaction": "您对办理结果满意吗？"}
ANSWERS: dict[str, tuple[str, ...]] = {"resolved": tuple(RESOLVED_ANSWERS), "satisfaction": SATISFACTION_ANSWERS}
RESULT = "您好，您反映的问题（工单{number}）已办理完毕，承办单位{unit}答复：{result}"
THANKS = "感谢您的评价，祝您生活愉快！"
REOPENED = "很抱歉问题还没有解决，工单已重新交承办单位办理，我们会继续跟进。"
ESCALATED = "很抱歉问题还没有解决，工单已转主管人员督办，我们会尽快联系您。"
STALE = "这张工单已不在回访阶段，不用再评价了，谢谢您。"
# Typed or spoken answers; the first pattern that matches wins (negations first).
_TEXT_ANSWERS: dict[str, list[tuple[re.Pattern, str]]] = {
    "resolved": [
        (re.compile(r"没(有)?解决|未解决|还没|没好|没有处理|不行|没用"), "未解决"),
        (re.compile(r"解决了|已解决|已经解决|处理好了|好了|解决啦|是的|对"), "已解决"),
    ],
    "satisfaction": [
        (re.compile(r"不满意|不太满意|很差|差劲"), "不满意"),
        (re.compile(r"基本满意|还行|还可以|一般|凑合"), "基本满意"),
        (re.compile(r"满意"), "满意"),
    ],
}


def payload(number: str, question: str, answer: str) -> str:
    return f"{SURVEY_COMMAND} {number} {question} {answer}"


def parse_payload(text: str) -> tuple[str, str, str] | None:
    """(work order, question, answer) of a survey button's payload, else None."""
    parts = text.strip().split(" ")
    if len(parts) != 4 or parts[0] != SURVEY_COMMAND or parts[2] not in QUESTIONS:
        return None
    return parts[1], parts[2], parts[3]


def answer_in_text(text: str, question: str) -> str | None:
    """The answer a citizen typed or said to `question`, or None when the text is not one."""
    cleaned = re.sub(r"[\s，。！？,.!?~～]", "", text)
    if not cleaned or len(cleaned) > 12:  # a longer text is a new message, not an answer
        return None
    for pattern, answer in _TEXT_ANSWERS[question]:
        if pattern.search(cleaned):
            return answer
    return None


def question_reply(number: str, question: str) -> Reply:
    buttons = tuple(Button(a, payload(number, question, a)) for a in ANSWERS[question])
    return Reply(
        QUESTIONS[question],
        buttons=buttons,
        sender="system",
        data={"survey": {"work_order": number, "question": question}},
    )


def result_replies(order: dict[str, Any]) -> list[Reply]:
    """The result notice and the first question, for a resolved order (its API JSON)."""
    unit = (order.get("unit") or {}).get("name") or order.get("department") or ""
    text = RESULT.format(number=spoken_form(order["number"]), unit=unit, result=order.get("result") or "")
    notice = Reply(text, sender="system", data={"work_order": order["number"], "result": True})
    return [notice, question_reply(order["number"], "resolved")]
