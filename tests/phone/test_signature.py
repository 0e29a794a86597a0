"""With an auth token configured, the Twilio-style webhooks and the /ws/media upgrade need a valid
X-Twilio-Signature (HMAC-SHA1 of the URL and the sorted POST parameters, base64): a correctly signed
request is served, an unsigned or wrongly signed one gets 403."""

import asyncio

import httpx
import pytest
import uvicorn
import websockets
from fastapi import FastAPI

from channels.phone import media_stream
from channels.phone.routes import build_phone_routes
from channels.phone.signature import twilio_signature
from core.settings import Settings
from tests.helpers import free_port

TOKEN = "12345-provider-auth-token"


def test_signature_matches_twilios_documented_example():
    # Twilio's signature-validation snippet (TwilioDevEd/api-snippets, security/signature_validation)
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params.items()) == "GvWf1cFY/Q7PnoempGyD5oXAezc="


@pytest.fixture()
async def signed_server(phone):
    app = FastAPI()
    app.state.phone, app.state.settings = phone.channel, Settings(twilio_auth_token=TOKEN)
    app.include_router(media_stream.router)
    app.include_router(build_phone_routes(phone.channel, "12345-agents", TOKEN))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws="websockets-sansio", log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    yield port
    server.should_exit = True
    await asyncio.wait_for(task, 10)
    await phone.channel.stop()


async def test_signed_webhooks_are_served_others_refused(signed_server, phone):
    port = signed_server
    form = {"CallSid": "CA1", "From": "+8613812345678"}
    # Behind a proxy the provider signed the public URL; the gateway rebuilds it from X-Forwarded-*.
    public = {"x-forwarded-proto": "https", "x-forwarded-host": "hotline.example.cn"}
    good = twilio_signature(TOKEN, "https://hotline.example.cn/phone/twilio/voice", form.items())
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as web:
        ok = await web.post("/phone/twilio/voice", data=form, headers={**public, "X-Twilio-Signature": good})
        assert ok.status_code == 200 and '<Parameter name="caller" value="+8613812345678"/>' in ok.text
        forged = {**form, "From": "+8613900000000"}  # another caller number under the same signature
        for headers, data in (
            ({**public}, form),
            ({**public, "X-Twilio-Signature": good}, forged),
            ({**public, "X-Twilio-Signature": "AAAA"}, form),
        ):
            assert (await web.post("/phone/twilio/voice", data=data, headers=headers)).status_code == 403
        caller = {"number": "13812345678"}
        url = f"http://127.0.0.1:{port}/phone/calls/c-1/caller"
        assert (await web.post("/phone/calls/c-1/caller", data=caller)).status_code == 403
        signed = {"X-Twilio-Signature": twilio_signature(TOKEN, url, caller.items())}
        assert (await web.post("/phone/calls/c-1/caller", data=caller, headers=signed)).status_code == 200
    assert phone.channel.caller_of("c-1") == "13812345678"


async def test_media_stream_upgrade_needs_the_signature(signed_server):
    port = signed_server
    url = f"ws://127.0.0.1:{port}/ws/media"
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url)
    assert refused.value.response.status_code == 403
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(url, additional_headers={"X-Twilio-Signature": twilio_signature("wrong", url)})
    ws = await websockets.connect(url, additional_headers={"X-Twilio-Signature": twilio_signature(TOKEN, url)})
    await ws.close()
