"""Turn-taking of a phone call, as pure state (no I/O, time passed in): who has the floor,
barge-in, the silence time-out with one re-prompt, and DTMF key collection.

The VoicePipeline feeds it VAD events, DTMF keys and the state of its own playback, and acts on
what comes back; tests drive it with made-up times.
"""

from dataclasses import dataclass
from enum import StrEnum

from tickets.intake import ticket_number


class Floor(StrEnum):
    IDLE = "idle"  # nobody speaks; the silence clock runs
    CALLER = "caller"  # an utterance is being recorded
    BOT = "bot"  # we are thinking or playing audio


class SilenceAction(StrEnum):
    REPROMPT = "reprompt"  # 请问您还在吗？
    GIVE_UP = "give-up"  # polite goodbye, then hang up


@dataclass
class TurnTaking:
    silence_timeout_s: float = 10.0
    max_reprompts: int = 1
    max_utterance_s: float = 30.0

    def __post_init__(self) -> None:
        self.floor = Floor.IDLE
        self.silent_since: float = 0.0
        self.reprompts = 0
        self.utterance_started: float | None = None
        self.interruptible = True
        self.waiting_for_agent = False  # queued/agent mode: the caller is waiting, no time-out

    def start(self, now: float) -> None:
        self.silent_since = now

    # --- the caller -------------------------------------------------------------------------
    def speech_started(self, now: float, *, allow_barge_in: bool = True) -> bool:
        """The caller started to speak. True when this is a barge-in (our playback must stop)."""
        barge_in = self.floor is Floor.BOT and self.interruptible and allow_barge_in
        self.utterance_started = now
        self.reprompts = 0
        if self.floor is not Floor.BOT or barge_in:
            self.floor = Floor.CALLER
        return barge_in

    def speech_ended(self, now: float) -> None:
        self.utterance_started = None
        if self.floor is Floor.CALLER:
            self.floor = Floor.IDLE
        self.silent_since = now

    def utterance_too_long(self, now: float) -> bool:
        return self.utterance_started is not None and now - self.utterance_started >= self.max_utterance_s

    def key_pressed(self, now: float) -> None:
        self.reprompts = 0
        self.silent_since = now

    # --- us ---------------------------------------------------------------------------------
    def bot_busy(self, *, interruptible: bool = True) -> None:
        """We are thinking about or playing a reply."""
        if self.floor is not Floor.CALLER:
            self.floor = Floor.BOT
        self.interruptible = interruptible

    def bot_done(self, now: float) -> None:
        """Our reply finished playing (or was interrupted): the caller has the floor again."""
        if self.floor is Floor.BOT:
            self.floor = Floor.IDLE
        self.interruptible = True
        self.silent_since = now

    # --- the clock --------------------------------------------------------------------------
    def check_silence(self, now: float) -> SilenceAction | None:
        """Called periodically: what to do about a caller who says nothing."""
        if self.floor is not Floor.IDLE or self.waiting_for_agent:
            return None
        if now - self.silent_since < self.silence_timeout_s:
            return None
        self.silent_since = now
        if self.reprompts < self.max_reprompts:
            self.reprompts += 1
            return SilenceAction.REPROMPT
        return SilenceAction.GIVE_UP


class KeyAction(StrEnum):
    HUMAN = "human"  # 0 as the first key
    NUMBER = "number"  # digits ended by # (or by a pause)
    INVALID = "invalid"  # keys that make no number


@dataclass(frozen=True)
class KeyResult:
    action: KeyAction
    digits: str = ""

    @property
    def ticket(self) -> str | None:
        """The work-order number the digits spell, if they spell one."""
        return ticket_number(self.digits) if self.digits else None


@dataclass
class DtmfCollector:
    """0 first = a human agent; digits then # (or a pause) = a number; * starts over."""

    timeout_s: float = 5.0
    max_digits: int = 20

    def __post_init__(self) -> None:
        self.digits = ""
        self.last_key_at: float | None = None

    def press(self, key: str, now: float) -> KeyResult | None:
        self.last_key_at = now
        if key == "*":
            self.digits = ""
            return None
        if key == "#":
            return self._submit()
        if not key.isdigit() or not key.isascii():
            return None  # A-D keys: nothing on this line uses them
        if key == "0" and not self.digits:
            return KeyResult(KeyAction.HUMAN)
        self.digits += key
        if len(self.digits) > self.max_digits:
            self.digits = ""
            return KeyResult(KeyAction.INVALID)
        return None

    def check_timeout(self, now: float) -> KeyResult | None:
        """Digits without # are taken after a pause of timeout_s."""
        if self.digits and self.last_key_at is not None and now - self.last_key_at >= self.timeout_s:
            return self._submit()
        return None

    @property
    def pending(self) -> bool:
        return bool(self.digits)

    def _submit(self) -> KeyResult | None:
        digits, self.digits = self.digits, ""
        if not digits:
            return None
        return KeyResult(KeyAction.NUMBER, digits)
