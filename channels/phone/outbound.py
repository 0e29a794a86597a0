"""Calls we place ourselves (the survey 回访 after a work order is resolved), waiting for the PBX to
connect them to us: call id → what the call must say first.

The registry is in memory, per gateway: the gateway that originates a call is the one the PBX
must connect it to. The Asterisk originate passes this gateway's own AudioSocket address in a
channel variable (`HOTLINE_AUDIOSOCKET`) and a Twilio-style call gets this gateway's own
`/ws/media` URL, so with several gateways each call comes back to the gateway that holds its
entry. An entry is taken once, when the call connects; one never connected (no answer, busy,
an unreachable number) is forgotten after `ttl_s` and the order stays on the callback list
(FollowUp's rule: a resolved order not answered within 72 hours)."""

import time
from collections import OrderedDict
from dataclasses import dataclass

from conversation.messages import Reply

PENDING_TTL_S = 300.0  # ring time plus the time Asterisk or the provider needs to connect the audio
MAX_PENDING = 10_000


@dataclass(frozen=True)
class PlacedCall:
    """An outbound call as we placed it: the work order it is about, the replies it opens with
    (the result notice and the first survey question), the number we dialled."""

    work_order: str
    replies: tuple[Reply, ...]
    phone: str  # normalised (13812345678, 010-62345678); masked in every log line


class OutboundCalls:
    def __init__(self, ttl_s: float = PENDING_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._pending: OrderedDict[str, tuple[PlacedCall, float]] = OrderedDict()

    def expect(self, call_id: str, call: PlacedCall) -> None:
        self._expire()
        self._pending[call_id] = (call, time.monotonic())
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)

    def take(self, call_id: str | None) -> PlacedCall | None:
        """The placed call with this id, once; None for an inbound call or an expired entry."""
        if not call_id:
            return None
        entry = self._pending.pop(call_id, None)
        if entry is None or time.monotonic() - entry[1] > self.ttl_s:
            return None
        return entry[0]

    def discard(self, call_id: str) -> None:
        self._pending.pop(call_id, None)

    def __len__(self) -> int:
        self._expire()
        return len(self._pending)

    def _expire(self) -> None:
        now = time.monotonic()
        while self._pending:
            _, (_, at) = next(iter(self._pending.items()))
            if now - at <= self.ttl_s:
                break
            self._pending.popitem(last=False)
