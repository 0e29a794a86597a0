"""Conversation and call ids in logs: never in full (a web conversation id was once enough to join
the conversation; it still names one citizen). `short_id` keeps the channel and a short hash, the
same for every line about one conversation, so log lines can still be followed."""

import hashlib
import re
from urllib.parse import unquote

_CONVERSATION_ID_PARAM = re.compile(r"(conversation_id=)([^&\s\"']+)")


def short_id(conversation_id: str | None) -> str:
    """'web:1b4e28ba-2fa1-…' -> 'web:#5d41402abc'; a bare id (a call uuid) -> '#…'."""
    if not conversation_id:
        return "-"
    channel, sep, _ = conversation_id.partition(":")
    digest = hashlib.sha256(conversation_id.encode()).hexdigest()[:10]
    return f"{channel}:#{digest}" if sep and channel.isalnum() and len(channel) <= 10 else f"#{digest}"


def shorten_id_params(text: str) -> str:
    """URLs in log lines: `conversation_id=<full id>` becomes `conversation_id=<short_id>`."""
    return _CONVERSATION_ID_PARAM.sub(lambda m: m.group(1) + short_id(unquote(m.group(2))), text)
