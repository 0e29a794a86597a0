"""Whether a caller who paused has finished their turn, from what the recogniser heard so far.

Silence alone makes a poor end-of-turn signal on the phone: a fixed 700 ms makes every reply feel
slow, a short one cuts off callers (many elderly) who pause in the middle of a sentence. So the
VAD reports a short pause (`pause_ms`, 500 ms) and the pipeline ends the turn there when the
partial transcript sounds finished; otherwise it waits for the full `end_silence_ms` (800 ms).
On the six shared Mandarin clips (read speech with comma pauses) no pause inside a sentence
reached 450 ms; at 400 ms one did.

A partial sounds unfinished when it is empty (nothing recognised yet: noise, or a word still
being decoded), ends with a hesitation or a word that needs a continuation (然后, 因为, 还有, 在…),
or, when the last prompt asked for a phone or work-order number, holds fewer digits than such a
number has (numbers are read out in groups with pauses between them).
"""

import re

from normalize.numerals import SPOKEN_DIGITS

# Words after which a Mandarin sentence goes on: conjunctions, hesitations, prepositions, and
# verbs that need an object. Checked against the end of the partial (spaces removed).
UNFINISHED_ENDINGS = (
    "然后", "还有", "就是", "那个", "这个", "因为", "所以", "但是", "可是", "而且", "如果", "或者",
    "还是", "的话", "比如", "包括", "关于", "另外", "以及", "并且", "不过", "我想", "我要",
    "嗯", "呃", "额", "唔", "和", "跟", "与", "把", "给", "从", "往", "向", "被", "让", "在",
)  # fmt: skip
# A wrong "unfinished" costs the caller 300 ms; a wrong "finished" cuts them off: when in doubt, wait.
NUMBER_DIGITS = {"phone": 11, "ticket_number": 11}  # mobile numbers; YYMMDD + 5 digits
_LANDLINE_DIGITS = 8  # a Beijing landline without its area code
_SPACES = re.compile(r"\s+")
_TRAILING_PUNCT = re.compile(r"[，,。.！!？?、\s]+$")


def digit_count(text: str) -> int:
    return sum(1 for c in text if c.isdigit() or c in SPOKEN_DIGITS)


def sounds_finished(partial: str | None, expect: str | None = None) -> bool:
    """True when a caller who paused after saying `partial` has probably finished their turn."""
    text = _TRAILING_PUNCT.sub("", _SPACES.sub("", partial or ""))
    if not text:
        return False
    if expect in NUMBER_DIGITS:
        digits = digit_count(text)
        if digits and digits < NUMBER_DIGITS[expect] and not (expect == "phone" and digits == _LANDLINE_DIGITS):
            return False
    return not text.endswith(UNFINISHED_ENDINGS)
