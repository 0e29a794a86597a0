"""Checks on raw text from citizens."""

import re
import unicodedata

ALLOWED_CONTROL = frozenset("\n\r\t")
# Bidirectional formatting characters (marks, embeddings, overrides, isolates): invisible, they
# reorder what an agent or a log reader sees (U+202E shows "abc" as "cba").
BIDI_CONTROL = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    """Control characters other than line breaks and tabs (NUL, ESC, bell …) and bidirectional
    formatting characters."""
    return any((unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROL) or c in BIDI_CONTROL for c in text)


# Latin words a citizen of a Mandarin hotline may type and the dialogue model knows what to do with.
KNOWN_LATIN_WORDS = frozenset({"ok", "okay", "yes", "no", "hi", "hello", "bye", "thanks", "thank", "thx", "sos",
                               "help", "app", "wifi", "etc", "id"})  # fmt: skip
_LATIN_WORD = re.compile(r"[a-z]+")


def is_unreadable(text: str) -> bool:
    """Text the Chinese dialogue model cannot read: no Chinese character, no digit, and no latin word
    it knows ("qwpz xkcv blorf", "asdfgh"). Its guess on such text is noise, so it is not asked."""
    lowered = text.lower()
    if any("\u4e00" <= c <= "\u9fff" or c.isdigit() for c in lowered) or lowered.strip().startswith("/"):
        return False
    words = _LATIN_WORD.findall(lowered)
    return bool(words) and not any(w in KNOWN_LATIN_WORDS for w in words)
