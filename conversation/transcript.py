"""A conversation as entries for people and pages: what the agent desk shows live, and the
transcript a resumed web chat session is sent. Channel-neutral dicts (no database rows)."""

from dataclasses import replace
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


def for_record(msg: InboundMessage) -> InboundMessage:
    """The message as stored: a channel's verified number travels to the engine only (a caller's
    number is stored masked; a shared contact is stored as its own message)."""
    if "verified_phone" not in msg.metadata:
        return msg
    return replace(msg, metadata={k: v for k, v in msg.metadata.items() if k != "verified_phone"})


def without(reply: Reply, key: str, text: bool = False) -> Reply:
    """The reply without one data key (and, with `text`, without its text)."""
    data = {k: v for k, v in reply.data.items() if k != key}
    return replace(reply, data=data, text="" if text else reply.text)
