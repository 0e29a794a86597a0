"""Checks on raw text from citizens."""

import unicodedata

ALLOWED_CONTROL = frozenset("\n\r\t")


def has_control_characters(text: str) -> bool:
    """Control characters other than line breaks and tabs (NUL, ESC, bell …)."""
    return any(unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROL for c in text)
