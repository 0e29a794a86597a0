"""Channel-neutral message types exchanged between channels and the router."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class InboundMessage:
    conversation_id: str
    channel: str
    user_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    sender: str = "bot"  # bot | agent | system

    def to_dict(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
            "data": self.data,
        }
