"""Survey calls (回访) through a PBX, end to end over real sockets: FollowUp.notify places the call
(ARI originate / Twilio-style Calls.json against a local server speaking the protocol), the
server connects the answered call back like the PBX would (AudioSocket TCP / media-stream
WebSocket), the gateway reads the result and the question, the callee answers with keys, the
answer reaches the work order through the real router, and the call says goodbye and hangs up."""

import asyncio
import logging
from datetime import timedelta

import pytest

from conversation.messages import Reply
from core.clock import utcnow
from core.settings import Settings
from followup.pbx import AriSurveyCalls, TwilioSurveyCalls, survey_calls_from
from followup.service import callback_list
from followup.survey import question_reply
from tests.followup.conftest import CITIZEN_PHONE, survey_loop
from tests.followup.pbx_servers import FakeAsterisk, FakeTwilio
from tests.helpers import free_port
from tests.phone.fakes import speech_8k
from voice.call import GREETING, SURVEY_GOODBYE, SURVEY_SILENT
from voice.spoken import spoken_reply


@pytest.fixture()
async def asterisk():
    server = FakeAsterisk()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture()
async def twilio():
    server = FakeTwilio()
    await server.start()
    yield server
    await server.stop()


def ari_calls(asterisk: FakeAsterisk, password: str | None = None):
    def make(outbound, audiosocket, _gateway):
        return AriSurveyCalls(
            outbound,
            asterisk.url,
            asterisk.user,
            password or asterisk.password,
            audiosocket,
            endpoint="PJSIP/{phone}@trunk",
            caller_id="12345",
            ring_timeout_s=25,
        )

    return make


def stored(loop, conversation_id: str) -> list[tuple[str, str]]:
    return [(m.direction, m.text) for m in loop.store.history(conversation_id, 50)]


async def test_ari_call_reads_the_result_and_key_2_reopens_the_order(tmp_path, asterisk):
    asterisk.keys = ["2"]
    async with survey_loop(tmp_path, ari_calls(asterisk)) as loop:
        outcome = loop.resolved()
        number = outcome.order.number
        assert await loop.followup.notify(outcome.order) == "phone"
        (request,) = asterisk.requests
        call_id = request["variables"]["HOTLINE_CALL_ID"]
        assert request == {
            "endpoint": f"PJSIP/{CITIZEN_PHONE}@trunk",
            "context": "hotline-survey",
            "extension": "s",
            "priority": 1,
            "callerId": "12345",
            "timeout": 25,
            "channelId": call_id,
            "variables": {"HOTLINE_CALL_ID": call_id, "HOTLINE_AUDIOSOCKET": loop.audiosocket},
        }
        (callee,) = asterisk.callees
        await asyncio.wait_for(callee.closed.wait(), 30)
        assert callee.error is None and callee.hung_up_by_gateway and len(callee.heard_at_keys) == 1
        order = loop.repo.get(number)
        assert order.status == "dispatched" and order.survey_resolved is False
        assert [e.kind for e in loop.repo.events(number)][-3:] == ["notified", "survey", "reopened"]
        await loop.wait_idle()
        assert loop.channel.disposition(call_id) == "hangup"
        history = stored(loop, f"phone:{call_id}")
        assert history[0][1].startswith("您好，您反映的问题（工单") and history[1] == ("out", "问题解决了吗？")
        assert history[2] == ("in", f"/survey {number} resolved 未解决")
        assert history[3][1].startswith("很抱歉问题还没有解决") and history[-1] == ("out", SURVEY_GOODBYE)
        spoken = "".join(loop.tts.spoken)
        assert "问题解决了吗？" in spoken and "已解决请按1，未解决请按2。" in spoken and GREETING not in spoken
        run_end = [e for e in loop.events[call_id] if e.type == "run-end"]
        assert run_end[0].data["reason"] == "survey-done"
        conversation = loop.store.get(f"phone:{call_id}")
        assert conversation.user_id == "138****5678"  # the number we dialled, masked


async def test_ari_call_keys_1_and_1_complete_the_survey(tmp_path, asterisk):
    asterisk.keys = ["11"]
    async with survey_loop(tmp_path, ari_calls(asterisk)) as loop:
        outcome = loop.resolved()
        number = outcome.order.number
        await loop.followup.changed(outcome)  # as the handling service reports a resolve
        (callee,) = asterisk.callees
        await asyncio.wait_for(callee.closed.wait(), 30)
        assert callee.error is None and callee.hung_up_by_gateway and len(callee.heard_at_keys) == 2
        order = loop.repo.get(number)
        assert order.status == "visited" and order.survey_asked_at is not None
        assert order.to_json()["survey"]["resolved"] is True and order.to_json()["survey"]["satisfaction"] == "满意"
        call_id = asterisk.requests[0]["variables"]["HOTLINE_CALL_ID"]
        await loop.wait_idle()
        texts = [text for _, text in stored(loop, f"phone:{call_id}")]
        assert f"/survey {number} resolved 已解决" in texts and f"/survey {number} satisfaction 满意" in texts
        assert "您对办理结果满意吗？" in texts and texts[-2:] == ["感谢您的评价，祝您生活愉快！", SURVEY_GOODBYE]
        assert "满意请按1，基本满意请按2，不满意请按3。" in "".join(loop.tts.spoken)
        assert len(loop.channel.outbound) == 0  # taken when the call connected


async def test_spoken_answers_work_as_well_as_keys(tmp_path, asterisk):
    asterisk.keys = [[speech_8k(), speech_8k(seconds=1.5)]]
    async with survey_loop(tmp_path, ari_calls(asterisk), transcripts=("嗯 解决了", "还行吧")) as loop:
        outcome = loop.resolved()
        assert await loop.followup.notify(outcome.order) == "phone"
        (callee,) = asterisk.callees
        await asyncio.wait_for(callee.closed.wait(), 30)
        assert callee.error is None and callee.hung_up_by_gateway
        order = loop.repo.get(outcome.order.number)
        assert (order.status, order.survey_resolved, order.survey_satisfaction) == ("visited", True, "基本满意")
        assert loop.stt.heard == ["嗯 解决了", "还行吧"]


async def test_no_answer_on_the_line_repeats_the_question_once_then_hangs_up(tmp_path, asterisk):
    asterisk.keys = [""]
    async with survey_loop(tmp_path, ari_calls(asterisk), silence_timeout_s=1.0) as loop:
        outcome = loop.resolved()
        assert await loop.followup.notify(outcome.order) == "phone"
        (callee,) = asterisk.callees
        await asyncio.wait_for(callee.closed.wait(), 30)
        assert callee.hung_up_by_gateway and callee.error is None
        spoken = loop.tts.spoken
        assert (
            spoken.count("已解决请按1，未解决请按2。") == 2
            and "请问您还在吗？" in spoken
            and spoken[-1] == SURVEY_SILENT
        )
        order = loop.repo.get(outcome.order.number)
        assert order.status == "resolved" and order.survey_asked_at is not None
        later = utcnow() + timedelta(hours=73)  # unanswered for 72 hours: the agents' callback list
        listed = [o.number for o in callback_list(loop.repo.engine, later)]
        assert (
            order.number not in [o.number for o in callback_list(loop.repo.engine, utcnow())] and order.number in listed
        )


async def test_twilio_style_call_streams_to_ws_media_and_takes_keys(tmp_path, twilio):
    twilio.keys = ["12"]

    def make(outbound, _audiosocket, gateway):
        return TwilioSurveyCalls(
            outbound,
            twilio.account_sid,
            twilio.auth_token,
            "+861012345000",
            gateway,
            api_url=twilio.url,
            ring_timeout_s=20,
        )

    async with survey_loop(tmp_path, make) as loop:
        outcome = loop.resolved(phone="010-62345678")
        number = outcome.order.number
        assert await loop.followup.notify(outcome.order) == "phone"
        (form,) = twilio.requests
        assert (form["To"], form["From"], form["Timeout"]) == ("+861062345678", "+861012345000", "20")
        assert 'url="ws://127.0.0.1:' in form["Twiml"] and '/ws/media"' in form["Twiml"]
        assert '<Parameter name="hotline_call_id" value="' in form["Twiml"]
        assert "/phone/twilio/after-stream" in form["Twiml"]
        (callee,) = twilio.callees
        await asyncio.wait_for(callee.closed.wait(), 30)
        assert callee.error is None and callee.hung_up_by_gateway and twilio.close_reason == "hangup"
        order = loop.repo.get(number)
        assert order.status == "visited" and order.survey_satisfaction == "基本满意"
        await loop.wait_idle()
        (call_sid,) = loop.events
        assert loop.store.get(f"phone:{call_sid}").user_id == "010****5678"


async def test_pbx_unreachable_or_refusing_leaves_the_order_for_a_callback(tmp_path, asterisk, caplog):
    caplog.set_level(logging.INFO)
    dead = f"http://127.0.0.1:{free_port()}"

    def unreachable(outbound, audiosocket, _gateway):
        return AriSurveyCalls(outbound, dead, "hotline", "ari-secret-1", audiosocket)

    async with survey_loop(tmp_path, unreachable) as loop:
        outcome = loop.resolved()
        assert await loop.followup.phone_calls.place(outcome.order, []) is False
        assert await loop.followup.notify(outcome.order) == "callback"
        assert len(loop.channel.outbound) == 0
        order = loop.repo.get(outcome.order.number)
        assert order.survey_asked_at is None and order.number in [
            o.number for o in callback_list(loop.repo.engine, utcnow())
        ]

    (tmp_path / "refused").mkdir()
    async with survey_loop(tmp_path / "refused", ari_calls(asterisk, password="wrong-password-9")) as loop:
        outcome = loop.resolved()
        assert await loop.followup.notify(outcome.order) == "callback"
        assert asterisk.requests == [] and asterisk.callees == []
    logged = caplog.text
    assert "ConnectError" in logged and "HTTP 401" in logged and "138****5678" in logged
    assert CITIZEN_PHONE not in logged and "ari-secret-1" not in logged and "wrong-password-9" not in logged


async def test_the_twilio_api_refusing_the_number_is_logged_masked(tmp_path, twilio, caplog):
    def make(outbound, _audiosocket, gateway):
        return TwilioSurveyCalls(
            outbound, twilio.account_sid, "not-the-token", "+861012345000", gateway, api_url=twilio.url
        )

    async with survey_loop(tmp_path, make) as loop:
        outcome = loop.resolved()
        assert await loop.followup.notify(outcome.order) == "callback"
    assert "HTTP 401" in caplog.text and "not-the-token" not in caplog.text


def test_spoken_survey_question_names_its_keys():
    assert spoken_reply(question_reply("26120500001", "resolved")) == "问题解决了吗？已解决请按1，未解决请按2。"
    assert spoken_reply(Reply("问题解决了吗？")) == "问题解决了吗？"


def test_settings_choose_the_provider_and_name_what_is_missing(monkeypatch):
    from channels.phone.outbound import OutboundCalls

    outbound = OutboundCalls()
    assert survey_calls_from(Settings(), outbound) is None  # HOTLINE_PBX=none: the callback list
    with pytest.raises(ValueError, match="HOTLINE_PBX_ARI_PASSWORD"):
        survey_calls_from(Settings(pbx="ari", pbx_ari_url="http://pbx:8088", pbx_ari_user="u"), outbound)
    ari = survey_calls_from(
        Settings(
            pbx="ari", pbx_ari_url="http://pbx:8088/ari/", pbx_ari_user="u", pbx_ari_password="p", audiosocket_port=9093
        ),
        outbound,
    )
    assert isinstance(ari, AriSurveyCalls) and ari.url == "http://pbx:8088" and ari.audiosocket == "127.0.0.1:9093"
    with pytest.raises(ValueError, match="HOTLINE_PBX_AUDIOSOCKET_ADDRESS"):
        survey_calls_from(
            Settings(pbx="ari", host="0.0.0.0", pbx_ari_url="http://pbx:8088", pbx_ari_user="u", pbx_ari_password="p"),
            outbound,
        )
    with pytest.raises(ValueError, match="HOTLINE_PBX_PUBLIC_URL"):
        survey_calls_from(Settings(pbx="twilio", pbx_twilio_account_sid="AC1", twilio_auth_token="t"), outbound)
    twilio = survey_calls_from(
        Settings(
            pbx="twilio",
            pbx_twilio_account_sid="AC1",
            twilio_auth_token="t",
            pbx_public_url="https://hotline.example.org/",
        ),
        outbound,
    )
    assert 'url="wss://hotline.example.org/ws/media"' in twilio.twiml("abc")
