"""A conversation as entries for people and pages: what the agent desk shows live, and the
transcript a resumed web chat session is sent. Channel-neutral dicts (no database rows)."""

from typing import Any

from conversation.messages import InboundMessage, Reply
from conversation.models import Message
from core.clock import iso_utc, utcnow


def inbound_entry(msg: InboundMessage) -> dict[str, Any]:
    return {
        "sender": "citizen",
        "direction": "in",
        "text": msg.metadata.get("title") or msg.text,
        "kind": msg.metadata.get("kind", "text"),
        "delivered": True,
        "ts": iso_utc(utcnow()),
    }


def reply_entry(reply: Reply) -> dict[str, Any]:
    return {
        "sender": reply.sender,
        "direction": "out",
        "text": reply.text,
        "kind": "reply",
        "delivered": True,
        "ts": iso_utc(utcnow()),
    }


def history_entries(rows: list[Message]) -> list[dict]:
    """Stored messages (ConversationRouter.history) as channel-neutral dicts, refused ones left
    out (for resuming a session)."""
    entries = []
    for row in rows:
        if row.error_code:
            continue
        payload = row.payload or {}
        entries.append(
            {
                "sender": row.sender,
                "text": (payload.get("title") or row.text) if row.direction == "in" else row.text,
                "buttons": payload.get("buttons", []) if row.direction == "out" else [],
                "data": payload.get("data", {}) if row.direction == "out" else {},  # cards, sources
                "ts": iso_utc(row.created_at),
            }
        )
    return entries
