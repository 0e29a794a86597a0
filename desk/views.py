"""What the desk's consoles show about a conversation and the queue, beyond the raw rows: a human
title (channel, masked caller, district, the citizen's first words — never a raw id), the draft
pre-filled from what the citizen already said (with the same extractor the router gives the bot)
and the supervisor's wait figures (oldest current wait, service level, emergencies counted)."""

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from core.pii import mask_phone, mask_pii

CHANNEL_WORDS = {"web": "网页", "tg": "Telegram", "phone": "电话", "wechat": "微信"}
SLA_S = 60  # a handoff taken within a minute counts as served in time (chat service level)
TITLE_WORDS = 14
# Citizen lines that only ask for a person: not part of the problem description.
_ONLY_ASKING = re.compile(r"^\s*(?:我要|我想|请|帮我)?(?:找|转|接)?(?:人工|客服|人工客服|真人)[^，,。]{0,6}\s*$")

Extract = Callable[[str, datetime], dict[str, Any]]
# Fields the intake extractor recognises that the draft has, in the extractor's names.
_EXTRACTED = ("district", "street", "address", "contact_phone", "contact_name")


def first_words(text: str | None, limit: int = TITLE_WORDS) -> str:
    words = " ".join(mask_pii(text or "").split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def conversation_title(channel: str, draft: dict[str, Any] | None, first_text: str | None) -> str:
    """网页 · 138****5678 · 朝阳区 · 楼下烧烤店半夜…: what a person calls the conversation."""
    draft = draft or {}
    parts = [CHANNEL_WORDS.get(channel, channel)]
    if draft.get("contact_phone"):
        parts.append(mask_phone(str(draft["contact_phone"])))
    if draft.get("district"):
        parts.append(str(draft["district"]))
    if first_text:
        parts.append(first_words(first_text))
    elif len(parts) == 1:
        parts.append("新会话")
    return " · ".join(parts)


def problem_lines(texts: Iterable[str]) -> list[str]:
    return [t.strip() for t in texts if t and t.strip() and not _ONLY_ASKING.match(t)]


def first_problem(rows: list) -> str | None:
    """The citizen's first words about the problem in stored messages (conversation.models.Message)."""
    said = problem_lines(r.text for r in rows if r.sender == "citizen" and r.direction == "in")
    return said[0] if said else None


def unanswered(rows: list, taken_at: datetime | None) -> list:
    """The citizen's messages since the take or the agent's last reply, newest first."""
    pending = []
    for r in reversed(rows):
        at = r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=UTC)
        if r.sender == "agent" or (taken_at is not None and at < taken_at):
            break
        if r.sender == "citizen" and r.direction == "in":
            pending.append(r)
    return pending


def prefill(draft: dict[str, Any], citizen_texts: list[str], extract: Extract | None, now: datetime) -> dict[str, Any]:
    """Fill the fields the bot had not collected from the citizen's own messages: place, phone
    and name through the intake extractor (earlier messages first, never overriding the bot's
    slots), the description from the lines that describe the problem."""
    filled = dict(draft)
    if extract is not None:
        for text in citizen_texts:
            found = extract(text, now)
            for key in _EXTRACTED:
                if found.get(key) and not filled.get(key):
                    filled[key] = found[key]
            if found.get("occurred_at") and not filled.get("occurred_at"):
                filled["occurred_at"] = found["occurred_at"]
            if found.get("ongoing") and not filled.get("ongoing"):
                filled["ongoing"] = True
    if not filled.get("description"):
        lines = problem_lines(citizen_texts)
        if lines:
            filled["description"] = "；".join(dict.fromkeys(lines))[:2000]
    return filled


def wait_figures(queue: list[dict[str, Any]], take_waits: list[float]) -> dict[str, Any]:
    """Wait figures over the last hour's takes and the conversations waiting now (a wait still
    running counts as at least as long as it is): mean, oldest current, share served within
    SLA_S, and the longest emergency wait."""
    current = [float(q["waiting_s"]) for q in queue]
    waits = list(take_waits) + current
    urgent = [float(q["waiting_s"]) for q in queue if q.get("reason") == "emergency" or (q.get("priority") or 0) > 0]
    return {
        "mean_wait_s": round(sum(waits) / len(waits), 1) if waits else None,
        "oldest_wait_s": max(current) if current else 0,
        "sla_s": SLA_S,
        "sla_share": round(sum(1 for w in waits if w <= SLA_S) / len(waits), 3) if waits else None,
        "emergency_waiting": len(urgent),
        "emergency_oldest_s": max(urgent) if urgent else 0,
    }
