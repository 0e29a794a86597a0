"""What every PBX provider shares: a fresh call id, the placed call registered with the phone
channel (channels/phone/outbound.py) before the PBX is asked, the request, and the outcome —
True once the PBX accepted the call, False (FollowUp then lists the order for a callback) when
it refused or could not be reached. Secrets never reach a log line; numbers are masked."""

import logging
import uuid

import httpx

from channels.phone.outbound import OutboundCalls, PlacedCall
from conversation.messages import Reply
from core.log_ids import short_id
from core.pii import mask_phone, mask_pii
from normalize.phone import normalize_phone
from tickets.models import WorkOrder

log = logging.getLogger(__name__)
COUNTRY_CODE = "86"


class OriginateFailed(Exception):
    """The PBX answered but did not place the call; the message is safe to log (masked)."""


def dialled(phone: str) -> str:
    """A normalised number as dialled at home: 13812345678, 01062345678."""
    return phone.replace("-", "")


def e164(phone: str) -> str:
    """A normalised number in E.164: +8613812345678, +861062345678."""
    return f"+{COUNTRY_CODE}{dialled(phone).removeprefix('0')}"


def refusal(response: httpx.Response) -> str:
    """Why the PBX refused, for the log: the status and its message, personal data masked."""
    try:
        message = str(response.json().get("message", ""))
    except (ValueError, AttributeError):
        message = ""
    return f"HTTP {response.status_code}" + (f": {mask_pii(message)[:200]}" if message else "")


class SurveyCalls:
    """Places survey calls (FollowUp's PhoneSurveyCalls); a provider implements `originate`."""

    name = "pbx"

    def __init__(self, outbound: OutboundCalls, request_timeout_s: float = 10.0) -> None:
        self.outbound = outbound  # the phone channel's registry: the call opens with the replies
        self.request_timeout_s = request_timeout_s

    async def place(self, order: WorkOrder, replies: list[Reply]) -> bool:
        phone = normalize_phone(order.contact_phone or "").number
        if phone is None:
            log.warning("survey call about %s not placed: no usable phone number", order.number)
            return False
        call_id = str(uuid.uuid4())
        self.outbound.expect(call_id, PlacedCall(order.number, tuple(replies), phone))
        try:
            async with httpx.AsyncClient(timeout=self.request_timeout_s) as http:
                await self.originate(http, call_id, phone)
        except (httpx.HTTPError, OriginateFailed) as exc:
            self.outbound.discard(call_id)
            reason = str(exc) if isinstance(exc, OriginateFailed) else type(exc).__name__  # httpx texts may carry URLs
            log.warning(
                "survey call about %s to %s not placed through %s: %s",
                order.number,
                mask_phone(phone),
                self.name,
                reason,
            )
            return False
        log.info(
            "survey call %s about %s to %s placed through %s",
            short_id(call_id),
            order.number,
            mask_phone(phone),
            self.name,
        )
        return True

    async def originate(self, http: httpx.AsyncClient, call_id: str, phone: str) -> None:
        """Ask the PBX to call `phone` and connect the answered call to this gateway with
        `call_id`; raise OriginateFailed (or an httpx error) when it does not."""
        raise NotImplementedError
