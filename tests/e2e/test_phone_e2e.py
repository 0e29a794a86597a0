"""Phone calls through the real stack (`hotline up`: trained Rasa, action server, gateway).

The Chinese Vosk model cannot be downloaded here, so the stack's recognizer is unavailable and
every call runs keypad-only, as DESIGN requires: the greeting says so (real espeak-ng audio),
a work-order status is asked for by digits and answered by the real dialogue, 0 reaches a
human (the call is queued and the PBX is told to transfer it)."""

import asyncio
import sqlite3
import time

import httpx
import pytest

from tests.phone.clients import AudioSocketClient, MediaStreamClient, loud
from tests.phone.fakes import silence
from tickets.models import STATUS_LABELS, Status

pytestmark = pytest.mark.e2e


class LiveCall:
    """An AudioSocket call that streams line noise continuously, as Asterisk does."""

    def __init__(self, client: AudioSocketClient) -> None:
        self.client = client
        self._sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        noise = silence(20 * 500)
        try:
            while True:
                await self.client.stream(noise)
        except (ConnectionError, asyncio.CancelledError):
            pass

    async def audio_after(self, t: float, timeout: float = 30) -> float:
        """When loud audio arriving after `t` has stopped (a whole prompt was played)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frames = [at for at, frame in self.client.audio if at > t and loud(frame)]
            if frames and time.monotonic() - self.client.audio[-1][0] > 0.8:
                return frames[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no prompt audio after t={t:.1f}")

    async def stop(self) -> None:
        self._sender.cancel()
        await asyncio.gather(self._sender, return_exceptions=True)
        await self.client.close()


def db_rows(stack, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(stack.var_dir / "hotline.db") as db:
        return db.execute(sql, args).fetchall()


def created_order(stack, number: str) -> dict:
    key = (stack.var_dir / "secrets" / "api_key").read_text().strip()
    return httpx.get(f"{stack.http}/api/tickets/{number}", headers={"Authorization": f"Bearer {key}"}).json()


def messages(stack, conversation_id: str) -> list[tuple[str, str]]:
    return db_rows(stack, "select direction, text from message where conversation_id = ? order by id", conversation_id)


def test_healthz_shows_the_phone_channel_and_keypad_only_mode(stack):
    key = (stack.var_dir / "secrets" / "api_key").read_text().strip()
    health = httpx.get(f"{stack.http}/healthz", headers={"Authorization": f"Bearer {key}"}).json()
    assert health["status"] == "ok"
    phone = health["components"]["phone"]
    assert phone["ok"] and phone["audiosocket"].endswith(f":{stack.env['HOTLINE_AUDIOSOCKET_PORT']}")
    speech = health["components"]["speech_recognition"]
    assert speech["available"] is False and speech["fallback"] == "keypad-only"
    assert "hotline models fetch" in speech["hint"]


async def test_keypad_call_queries_a_work_order_then_reaches_a_human(stack):
    key = (stack.var_dir / "secrets" / "api_key").read_text().strip()
    services = httpx.get(f"{stack.http}/open311/v2/services.json").json()
    code = next(s["service_code"] for s in services if s["group"] == "城乡建设")
    created = httpx.post(
        f"{stack.http}/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": code,
            "description": "小区路灯坏了一个月没人修",
            "attribute[district]": "海淀区",
        },
    )
    assert created.status_code == 201, created.text
    number = created.json()[0]["service_request_id"]

    port = int(stack.env["HOTLINE_AUDIOSOCKET_PORT"])
    call = LiveCall(await AudioSocketClient.connect("127.0.0.1", port))
    conversation_id = f"phone:{call.client.call_id}"
    try:
        started = time.monotonic()
        greeting_at = await call.audio_after(started)
        assert greeting_at - started < 10, "the greeting plays within seconds"
        assert all(len(frame) == 320 for _, frame in call.client.audio)
        assert "语音识别暂时无法使用" in messages(stack, conversation_id)[0][1]

        pressed = time.monotonic()
        await call.client.dtmf(number + "#")
        await call.audio_after(pressed)
        said = messages(stack, conversation_id)
        assert ("in", f"查询工单 {number}") in said
        answer = said[-1][1]
        label = STATUS_LABELS[Status(created_order(stack, number)["status"])]  # 已派单 when a unit was found
        assert said[-1][0] == "out" and label in answer and number[:6] in answer, said

        await call.client.dtmf("0")
        # The call leaves the line once the handoff notice and the queue place were spoken
        # (about 13 s of espeak audio at real-time pace): generous for a loaded machine.
        try:
            await call.client.wait_closed(90)
        except TimeoutError:
            raise AssertionError(f"no transfer 90 s after 0: {messages(stack, conversation_id)}") from None
        assert call.client.hung_up and call.client.error is None
        disposition = httpx.get(f"{stack.http}/phone/calls/{call.client.call_id}/disposition")
        assert (disposition.status_code, disposition.text) == (200, "transfer")
        [(mode,)] = db_rows(stack, "select mode from conversation where id = ?", conversation_id)
        assert mode == "queued"
        assert ("in", "/request_human") in messages(stack, conversation_id)
    finally:
        await call.stop()


async def test_media_stream_call_through_the_gateway(stack):
    client = await MediaStreamClient.connect(f"{stack.ws}/ws/media", caller="+8613812345678")
    try:
        deadline = time.monotonic() + 20
        while not [f for _, f in client.media if loud(f)] and time.monotonic() < deadline:
            await client.send_media(silence(20))
            await asyncio.sleep(0.02)
        assert any(loud(f) for _, f in client.media), "greeting audio over the media stream"
        await client.stop()
        await client.wait_closed()
        assert client.close_code == 1000
    finally:
        await client.close()
    [(user_id, channel)] = db_rows(
        stack, "select user_id, channel from conversation where id = ?", f"phone:{client.call_sid}"
    )
    assert (user_id, channel) == ("138****5678", "phone")
    log = (stack.var_dir / "log" / "gateway.log").read_text(errors="replace")
    assert "13812345678" not in log
