"""Asterisk ARI: `POST /ari/channels` (originate) dials the citizen and, once answered, runs the
AudioSocket dialplan (context/extension/priority) with our call id in `HOTLINE_CALL_ID` and
this gateway's AudioSocket address in `HOTLINE_AUDIOSOCKET`:

    exten => s,1,AudioSocket(${HOTLINE_CALL_ID},${HOTLINE_AUDIOSOCKET})

Every parameter travels in the JSON body (ARI reads body keys other than `variables` as query
parameters), so the dialled number never appears in a URL. HTTP basic auth with the ARI user."""

import httpx

from channels.phone.outbound import OutboundCalls
from followup.pbx.base import OriginateFailed, SurveyCalls, dialled, e164, refusal

CALL_ID_VARIABLE = "HOTLINE_CALL_ID"
AUDIOSOCKET_VARIABLE = "HOTLINE_AUDIOSOCKET"


class AriSurveyCalls(SurveyCalls):
    name = "ari"

    def __init__(
        self,
        outbound: OutboundCalls,
        url: str,
        user: str,
        password: str,
        audiosocket: str,
        *,
        endpoint: str = "PJSIP/{phone}@trunk",
        context: str = "hotline-survey",
        extension: str = "s",
        priority: int = 1,
        caller_id: str = "12345",
        ring_timeout_s: int = 30,
        request_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(outbound, request_timeout_s)
        try:
            endpoint.format(phone="0", e164="+0")
        except (KeyError, IndexError, ValueError):
            raise ValueError(f"endpoint template {endpoint!r}: use {{phone}} or {{e164}} only") from None
        self.url = url.rstrip("/").removesuffix("/ari")
        self._auth = (user, password)
        self.audiosocket, self.endpoint = audiosocket, endpoint
        self.context, self.extension, self.priority = context, extension, priority
        self.caller_id, self.ring_timeout_s = caller_id, ring_timeout_s

    def originate_body(self, call_id: str, phone: str) -> dict:
        return {
            "endpoint": self.endpoint.format(phone=dialled(phone), e164=e164(phone)),
            "context": self.context,
            "extension": self.extension,
            "priority": self.priority,
            "callerId": self.caller_id,
            "timeout": self.ring_timeout_s,
            "channelId": call_id,
            "variables": {CALL_ID_VARIABLE: call_id, AUDIOSOCKET_VARIABLE: self.audiosocket},
        }

    async def originate(self, http: httpx.AsyncClient, call_id: str, phone: str) -> None:
        body = self.originate_body(call_id, phone)
        response = await http.post(f"{self.url}/ari/channels", json=body, auth=self._auth)
        if response.status_code != 200:  # 400 bad parameters, 401 credentials, 409 channel id in use, 5xx
            raise OriginateFailed(refusal(response))
