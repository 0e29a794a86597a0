"""A Twilio-style calls API: `POST {api}/2010-04-01/Accounts/{sid}/Calls.json` (form fields To,
From, Twiml, Timeout; basic auth sid:token). The TwiML connects the answered call to this
gateway's `/ws/media` with our call id as the stream parameter `hotline_call_id`; its
`<Connect action>` is the usual after-stream webhook (a caller who presses 0 is enqueued)."""

from xml.sax.saxutils import quoteattr

import httpx

from channels.phone.media_stream import PLACED_CALL_PARAMETER
from channels.phone.outbound import OutboundCalls
from followup.pbx.base import OriginateFailed, SurveyCalls, e164, refusal


class TwilioSurveyCalls(SurveyCalls):
    name = "twilio"

    def __init__(
        self,
        outbound: OutboundCalls,
        account_sid: str,
        auth_token: str,
        from_number: str,
        public_url: str,
        *,
        api_url: str = "https://api.twilio.com",
        ring_timeout_s: int = 30,
        request_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(outbound, request_timeout_s)
        if not public_url.startswith(("https://", "http://")):
            raise ValueError(f"public URL {public_url!r} must start with https:// (or http:// on a test bench)")
        self.account_sid, self._auth = account_sid, (account_sid, auth_token)
        self.from_number, self.public_url = from_number, public_url.rstrip("/")
        self.api_url, self.ring_timeout_s = api_url.rstrip("/"), ring_timeout_s

    def twiml(self, call_id: str) -> str:
        stream = "ws" + self.public_url.removeprefix("http") + "/ws/media"  # https → wss, http → ws
        action = f"{self.public_url}/phone/twilio/after-stream"
        return (
            f"<Response><Connect action={quoteattr(action)}><Stream url={quoteattr(stream)}>"
            f"<Parameter name={quoteattr(PLACED_CALL_PARAMETER)} value={quoteattr(call_id)}/>"
            "</Stream></Connect></Response>"
        )

    async def originate(self, http: httpx.AsyncClient, call_id: str, phone: str) -> None:
        form = {
            "To": e164(phone),
            "From": self.from_number,
            "Twiml": self.twiml(call_id),
            "Timeout": str(self.ring_timeout_s),
        }
        url = f"{self.api_url}/2010-04-01/Accounts/{self.account_sid}/Calls.json"
        response = await http.post(url, data=form, auth=self._auth)
        if response.status_code not in (200, 201):  # 201 Created with the call resource
            raise OriginateFailed(refusal(response))
