"""The greeting a new web chat shows at once, before the citizen types: the dialogue's own
`utter_greet` (its text and topic chips), read from the bot's domain so there is one copy."""

from pathlib import Path
from typing import Any

import yaml

GREETING_RESPONSE = "utter_greet"


def load_greeting(domain_dir: Path) -> dict[str, Any] | None:
    """A `message` frame for `utter_greet` (its first variant), or None when the domain has none."""
    for path in sorted(domain_dir.glob("*.yml")):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        variants = responses.get(GREETING_RESPONSE)
        if variants:
            first = variants[0]
            buttons = [{"title": str(b["title"]), "payload": str(b["payload"])} for b in first.get("buttons") or []]
            return {
                "type": "message",
                "sender": "bot",
                "text": str(first.get("text", "")),
                "buttons": buttons,
                "data": {"greeting": True},
            }
    return None
