"""The JSON the agent consoles read: a conversation's detail, a held conversation in an agent's
list, the supervisors' overview. Pure functions of rows the desk has read (desk/agent_desk.py)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, overload

from conversation.models import Conversation, DeskEvent, Message
from core.clock import iso_utc
from desk.errors import Actor
from desk.orders import draft_from_summary
from desk.views import (
    Extract,
    conversation_title,
    first_problem,
    first_words,
    prefill,
    problem_lines,
    wait_figures,
)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: datetime | None) -> datetime | None: ...
def aware(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone (they are stored in UTC)."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def queue_item(
    conv: Conversation, position: int, preview: str, extract: Extract | None, now: datetime
) -> dict[str, Any]:
    """A queued conversation as the agents' queue lists it; `preview`: the citizen's last words."""
    summary = conv.handoff or {}
    queued_at = aware(conv.queued_at) or now
    said = [t.get("text") or "" for t in summary.get("last_turns") or [] if t.get("sender") == "citizen"]
    draft = prefill(draft_from_summary(summary), said, extract, now)
    problem = problem_lines(said) or problem_lines([preview])
    return {
        "title": conversation_title(conv.channel, draft, next(iter(problem), None)),
        "conversation_id": conv.id,
        "channel": conv.channel,
        "position": position,
        "queued_at": iso_utc(queued_at),
        "waiting_s": max(0, int((now - queued_at).total_seconds())),
        "reason": summary.get("reason"),
        "request_type": summary.get("request_type"),
        "priority": conv.priority,
        "alert": conv.alert,
        "callback": conv.callback,
        "preview": first_words(preview, 80),
    }


def transcript_entry(row: Message) -> dict[str, Any]:
    payload = row.payload or {}
    return {
        "id": row.id,
        "sender": row.sender,
        "direction": row.direction,
        "text": row.text,
        "title": payload.get("title") if row.direction == "in" else None,
        "kind": payload.get("kind", "text") if row.direction == "in" else "reply",
        "delivered": row.error_code is None,
        "error_code": row.error_code,
        "ts": iso_utc(row.created_at),
    }


def conversation_detail(
    conv: Conversation, rows: list[Message], draft: dict[str, Any], category: Any
) -> dict[str, Any]:
    """Everything an agent sees of one conversation: state, the bot's summary, the draft, the transcript."""
    return {
        "conversation_id": conv.id,
        "channel": conv.channel,
        "mode": conv.mode,
        "agent": conv.agent,
        "queued_at": iso_utc(conv.queued_at) if conv.queued_at else None,
        "taken_at": iso_utc(conv.taken_at) if conv.taken_at else None,
        "alert": conv.alert,
        "callback": conv.callback,
        "work_order": conv.work_order,
        "summary": conv.handoff or {},
        "draft": draft,
        "transcript": [transcript_entry(row) for row in rows],
        "title": conversation_title(conv.channel, draft, first_problem(rows)),
        "category": category,
    }


def held_item(c: Conversation, rows: list[Message], draft: dict[str, Any], pending: list[Message]) -> dict[str, Any]:
    """One held conversation for the list: title, last citizen words, since when the citizen waits."""
    said = [r for r in rows if r.sender == "citizen" and r.direction == "in"]
    return {
        "conversation_id": c.id,
        "channel": c.channel,
        "agent": c.agent,
        "alert": c.alert,
        "taken_at": iso_utc(c.taken_at) if c.taken_at else None,
        "reason": (c.handoff or {}).get("reason"),
        "title": conversation_title(c.channel, draft, first_problem(rows)),
        "preview": first_words(said[-1].text if said else "", 80),
        "waiting_since": iso_utc(pending[-1].created_at) if pending else None,
        "unanswered": len(pending),
    }


def desk_overview(
    accounts: Sequence[Actor],
    online: set[str],
    held: list[Conversation],
    queue: list[dict[str, Any]],
    takes: list[DeskEvent],
) -> dict[str, Any]:
    """The supervisor's view: every agent (online or not, what they hold) and the queue."""
    agents = [
        {
            "username": a.username,
            "display_name": a.display_name,
            "role": a.role,
            "online": a.username in online,
            "conversations": [c.id for c in held if c.agent == a.username],
        }
        for a in accounts
    ]
    waits = [t.wait_s for t in takes if t.wait_s is not None]
    return {
        "queue_length": len(queue),
        "queue": queue,
        "agents": agents,
        "active": len(held),
        "online": sum(1 for a in agents if a["online"]),
        "takes_last_hour": len(takes),
        "offline_holding": sum(1 for a in agents if not a["online"] and a["conversations"]),
        **wait_figures(queue, waits),
    }
