"""Checks on raw text from citizens."""

import unicodedata

ALLOWED_CONTROL = frozenset("\n\r\t")
# Bidirectional formatting characters (marks, embeddings, overrides, isolates): invisible, they
# reorder what an agent or a log reader sees (U+202E shows "abc" as "cba").
BIDI_CONTROL = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    """Control characters other than line breaks and tabs (NUL, ESC, bell …) and bidirectional
    formatting characters."""
    return any((unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROL) or c in BIDI_CONTROL for c in text)
