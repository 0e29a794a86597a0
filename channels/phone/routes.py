"""HTTP routes a PBX or telephony provider asks about calls.

- `POST /phone/calls/{call_id}/caller` (form `number`): the dialplan announces the caller
  number before AudioSocket() connects (optional; stored masked).
- `GET /phone/calls/{call_id}/disposition` → text/plain `transfer` | `hangup` | `active`
  (404 `unknown`): the Asterisk dialplan reads it with CURL() after AudioSocket() returns.
- `POST /phone/twilio/voice`: TwiML for an incoming call, connecting it to `/ws/media`.
- `POST /phone/twilio/after-stream`: the `<Connect action>` webhook once the stream closed —
  `<Enqueue>` the agents' queue after a handoff, else `<Hangup/>`.
With an auth token configured, every route here needs a valid `X-Twilio-Signature` (else 403).
"""

from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response

from channels.phone.calls import PhoneChannel
from channels.phone.signature import public_origin, signature_ok


def _twiml(body: str) -> Response:
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>', media_type="application/xml")


def build_phone_routes(phone: PhoneChannel, agent_queue: str, auth_token: str | None = None) -> APIRouter:
    async def signed(request: Request) -> None:
        if not auth_token:  # unsigned deployments (a PBX on a private network)
            return
        params = [(k, str(v)) for k, v in (await request.form()).multi_items()] if request.method == "POST" else []
        if not signature_ok(auth_token, request, params):
            raise HTTPException(403, "missing or invalid X-Twilio-Signature")

    api = APIRouter(dependencies=[Depends(signed)])

    @api.post("/phone/calls/{call_id}/caller", response_class=PlainTextResponse)
    async def announce_caller(call_id: str, request: Request) -> PlainTextResponse:
        number = str((await request.form()).get("number", "")).strip()
        if not number or len(number) > 32 or len(call_id) > 64:
            return PlainTextResponse("expected a form field 'number' (at most 32 characters)", status_code=400)
        phone.announce_caller(call_id, number)
        return PlainTextResponse("ok")

    @api.get("/phone/calls/{call_id}/disposition", response_class=PlainTextResponse)
    async def disposition(call_id: str) -> PlainTextResponse:
        value = phone.disposition(call_id)
        return PlainTextResponse(value or "unknown", status_code=200 if value else 404)

    @api.post("/phone/twilio/voice")
    async def twilio_voice(request: Request) -> Response:
        form = await request.form()
        proto, host = public_origin(request)
        ws_scheme = "wss" if proto == "https" else "ws"
        stream_url = f"{ws_scheme}://{host}/ws/media"
        action = f"{proto}://{host}/phone/twilio/after-stream"
        caller = str(form.get("From", ""))
        return _twiml(
            f"<Connect action={quoteattr(action)}><Stream url={quoteattr(stream_url)}>"
            f'<Parameter name="caller" value={quoteattr(caller)}/></Stream></Connect>'
        )

    @api.post("/phone/twilio/after-stream")
    async def twilio_after_stream(request: Request) -> Response:
        form = await request.form()
        if phone.disposition(str(form.get("CallSid", ""))) == "transfer":
            return _twiml(f"<Enqueue>{escape(agent_queue)}</Enqueue>")
        return _twiml("<Hangup/>")

    return api
