"""Bot buttons as inline keyboards. Telegram limits callback_data to 64 bytes: longer payloads
travel as a short hash key and are resolved on the server (a memory map first, then the
conversation's stored replies, so a key still works after a restart or on another replica)."""

import hashlib
from collections import OrderedDict

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from conversation.messages import Button, Reply

MAX_CALLBACK_BYTES = 64
HASH_PREFIX = "#h:"
MAX_BUTTON_TITLE = 64
BUTTONS_PER_ROW = 2
AGENT_PREFIX = "人工客服："
BUTTONS_ONLY_TEXT = "请选择："


def payload_key(payload: str) -> str:
    return HASH_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:24]


def needs_key(payload: str) -> bool:
    return len(payload.encode()) > MAX_CALLBACK_BYTES or payload.startswith(HASH_PREFIX)


class PayloadMap:
    """Short callback_data keys for long payloads (bounded, most recent kept)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._by_key: OrderedDict[str, str] = OrderedDict()

    def callback_data(self, payload: str) -> str:
        if not needs_key(payload):
            return payload
        key = payload_key(payload)
        self._by_key[key] = payload
        self._by_key.move_to_end(key)
        while len(self._by_key) > self.capacity:
            self._by_key.popitem(last=False)
        return key

    def lookup(self, data: str) -> str | None:
        """The payload behind callback data; None for a key this process does not know."""
        if not data.startswith(HASH_PREFIX):
            return data
        return self._by_key.get(data)


def find_in_history(key: str, stored_button_lists: list[list[dict]]) -> str | None:
    """A hashed key resolved against the buttons of stored replies (newest first)."""
    for buttons in reversed(stored_button_lists):
        for button in buttons:
            payload = str(button.get("payload", ""))
            if payload and payload_key(payload) == key:
                return payload
    return None


def keyboard(buttons: tuple[Button, ...], payloads: PayloadMap) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    row_size = 1 if any(len(b.title) > 8 for b in buttons) else BUTTONS_PER_ROW
    rows = [
        [
            InlineKeyboardButton(
                text=(b.title or b.payload)[:MAX_BUTTON_TITLE], callback_data=payloads.callback_data(b.payload)
            )
            for b in buttons[i : i + row_size]
        ]
        for i in range(0, len(buttons), row_size)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def reply_text(reply: Reply) -> str:
    """The plain text shown for a reply (never parsed as markup)."""
    text = reply.text.strip()
    if not text and reply.buttons:
        text = BUTTONS_ONLY_TEXT
    if text and reply.sender == "agent":
        text = AGENT_PREFIX + text
    return text


def button_title(markup: InlineKeyboardMarkup | None, data: str) -> str:
    """The label of the pressed button, read from the message's own keyboard."""
    for row in markup.inline_keyboard if markup else []:
        for button in row:
            if button.callback_data == data:
                return button.text
    return ""
