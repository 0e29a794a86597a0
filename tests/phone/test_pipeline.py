"""VoicePipeline event sequences: the real ConversationRouter and SQLite store, the scripted
recognizer, a fast fake TTS and a recording transport with the real 20 ms pacing. Real Mandarin
speech (8 kHz) drives the real VAD."""

import asyncio
import shutil

import pytest

from conversation.messages import Reply
from conversation.router import BACK_WITH_BOT, HANDING_OFF
from tests.phone.fakes import ScriptedEngine, silence, speech_8k
from tests.phone.pipeline_call import Call
from voice import events as ev
from voice.asr.scripted_provider import ScriptedSpeechToText
from voice.call import (
    GOODBYE_SILENT,
    GREETING,
    GREETING_KEYPAD,
    INVALID_KEYS,
    KEYPAD_HINT,
    NOT_HEARD,
    REPROMPT,
    SYSTEM_APOLOGY,
    PipelineConfig,
)
from voice.spoken import spoken_reply

E, Code = ev.PipelineEventType, ev.PipelineErrorCode


async def test_greeting_then_one_spoken_turn(tmp_path):
    stt = ScriptedSpeechToText(["嗯 我 想 投诉 楼下 烧烤 店 太 吵"])
    async with Call(tmp_path, stt) as call:
        await call.greeted()
        await call.say()
        await call.log.wait_for(E.TTS_END, after=3)
        assert call.seq() == [
            "run-start",
            "tts-start",
            "tts-end",
            "stt-start",
            "stt-vad-end",
            "stt-end",
            "intent-start",
            "intent-end",
            "tts-start",
            "tts-end",
        ]
        assert call.log.of(E.STT_END)[0].data["text"] == "我想投诉楼下烧烤店太吵"
        assert call.log.of(E.STT_PARTIAL), "partial transcripts are streamed"
        assert call.engine.seen == ["我想投诉楼下烧烤店太吵"]
        assert call.spoken() == [GREETING, "收到：我想投诉楼下烧烤店太吵"]
        assert not call.log.of(E.TTS_END)[0].data["interrupted"]
    assert call.seq()[-1] == "run-end" and call.log.events[-1].data["reason"] == "caller-hangup"
    history = call.store.history(call.pipeline.call.conversation_id)
    assert [(m.direction, m.text) for m in history] == [
        ("out", GREETING),
        ("in", "我想投诉楼下烧烤店太吵"),
        ("out", "收到：我想投诉楼下烧烤店太吵"),
    ]
    conv = call.store.get(call.pipeline.call.conversation_id)
    assert conv.channel == "phone" and conv.user_id == "138****5678"
    assert "13812345678" not in str(history[1].payload), "the caller's number is not stored in full"


async def test_first_audio_is_sent_before_the_reply_is_synthesised(tmp_path):
    stt = ScriptedSpeechToText(["你好"])
    async with Call(tmp_path, stt) as call:
        call.tts.chunk_delay_s = 0.05  # a slow synthesiser
        await call.greeted()
        first_frame_at = call.transport.frames[0][0]
        assert first_frame_at < call.tts.finished_at[0]
        assert call.log.of(E.TTS_END)[0].data["first_audio_ms"] < 200


async def test_barge_in_stops_the_greeting_at_once(tmp_path):
    stt = ScriptedSpeechToText(["我要转人工"])
    async with Call(tmp_path, stt, ms_per_char=80) as call:
        await call.log.wait_for(E.TTS_START)
        await asyncio.sleep(0.3)  # the greeting is playing
        await call.say()
        await call.log.wait_for(E.TTS_END, after=5)
        assert call.seq() == [
            "run-start",
            "tts-start",
            "barge-in",
            "tts-end",
            "stt-start",
            "stt-vad-end",
            "stt-end",
            "intent-start",
            "intent-end",
            "tts-start",
            "tts-end",
        ]
        greeting_end = call.log.of(E.TTS_END)[0]
        assert greeting_end.data["interrupted"] is True
        assert call.transport.clears >= 1
        greeting_ms = len(GREETING) * call.tts.ms_per_char
        assert greeting_end.data["audio_ms"] < greeting_ms or len(call.transport.frames) * 20 < greeting_ms


async def test_nothing_recognised_apologises(tmp_path):
    async with Call(tmp_path, ScriptedSpeechToText([])) as call:
        await call.greeted()
        await call.say()
        await call.log.wait_for(E.TTS_END, after=3)
        assert call.seq() == [
            "run-start",
            "tts-start",
            "tts-end",
            "stt-start",
            "stt-vad-end",
            "error",
            "tts-start",
            "tts-end",
        ]
        error = call.log.of(E.ERROR)[0].data
        assert error["code"] == Code.STT_NO_TEXT and error["stage"] == "stt"
        assert call.spoken()[-1] == NOT_HEARD


async def test_dtmf_zero_hands_over_and_signals_a_transfer(tmp_path):
    async with Call(tmp_path, ScriptedSpeechToText([])) as call:
        await call.greeted()
        call.pipeline.feed_dtmf("0")
        await asyncio.wait_for(call.task, 10)
    assert call.seq() == [
        "run-start",
        "tts-start",
        "tts-end",
        "dtmf",
        "intent-start",
        "intent-end",
        "tts-start",
        "tts-end",
        "handoff",
        "run-end",
    ]
    assert call.log.of(E.INTENT_START)[0].data == {"text": "/request_human", "source": "dtmf"}
    assert call.spoken()[-1] == spoken_reply(Reply(HANDING_OFF))
    assert call.log.of(E.HANDOFF)[0].data == {"reason": "requested", "action": "transfer"}
    assert call.log.events[-1].data["reason"] == "transfer"
    assert call.transport.ended == "transfer"
    assert call.store.get(call.pipeline.call.conversation_id).mode == "queued"


async def test_hold_mode_keeps_the_caller_and_speaks_agent_messages(tmp_path):
    config = PipelineConfig(silence_timeout_s=0.3, max_ahead_ms=10**9, handoff="hold")
    async with Call(tmp_path, ScriptedSpeechToText([]), config) as call:
        await call.greeted()
        call.pipeline.feed_dtmf("0")
        await call.log.wait_for(E.HANDOFF)
        await asyncio.sleep(0.8)  # waiting for an agent: no silence time-out
        assert not call.log.of(E.ERROR)
        call.pipeline.say([Reply("您好，我是人工客服小王，请讲。", sender="agent")])
        await call.log.wait_for(E.TTS_END, lambda e: True, after=len(call.log.events))
        assert call.spoken()[-1] == "您好，我是人工客服小王，请讲。"
        assert call.log.of(E.HANDOFF)[0].data["action"] == "hold"
        call.pipeline.say([Reply(BACK_WITH_BOT, data={"mode": "bot"}, sender="system")])  # the agent hands back
        await call.log.wait_for(E.TTS_START, lambda e: e.data["text"] == REPROMPT, timeout=5)  # time-outs again
    assert call.transport.ended is None


async def test_dtmf_work_order_number_becomes_a_status_query(tmp_path):
    async with Call(tmp_path, ScriptedSpeechToText([])) as call:
        await call.greeted()
        for key in "26112100042#":
            call.pipeline.feed_dtmf(key)
        await call.log.wait_for(E.INTENT_END)
        assert call.engine.seen == ["查询工单 26112100042"]
        for key in "123#":
            call.pipeline.feed_dtmf(key)
        await call.log.wait_for(E.ERROR)
        await call.log.wait_for(E.TTS_END, after=len(call.log.events))
        assert call.log.of(E.ERROR)[0].data["code"] == Code.DTMF_INVALID
        assert call.spoken()[-1] == INVALID_KEYS


async def test_digits_answer_a_phone_question(tmp_path):
    engine = ScriptedEngine()
    engine.script["我要投诉"] = [Reply("请留一个联系电话。", data={"expect": "phone"})]
    stt = ScriptedSpeechToText(["我要投诉"])
    async with Call(tmp_path, stt, engine=engine) as call:
        await call.greeted()
        await call.say()
        await call.log.wait_for(E.TTS_END, after=3)
        for key in "13812345678#":
            call.pipeline.feed_dtmf(key)
        await call.log.wait_for(E.INTENT_END, after=len(call.log.events))
        assert engine.seen[-1] == "13812345678"


async def test_a_district_question_biases_the_next_utterance(tmp_path):
    engine = ScriptedEngine()
    engine.script["我要投诉"] = [Reply("请问在哪个区、哪个街道？", data={"expect": "district"})]
    stt = ScriptedSpeechToText(["我要投诉", "朝阳区 望京 街道"])
    async with Call(tmp_path, stt, engine=engine) as call:
        await call.greeted()
        await call.say()
        await call.log.wait_for(E.TTS_END, after=3)
        n = len(call.log.events)
        await call.say(speech_8k(start_s=2.5, seconds=1.5))
        end = await call.log.wait_for(E.STT_END, after=n)
        assert end.data == {"text": "朝阳区望京街道", "expect": "district"}
        assert stt.grammars[0] is None and "朝阳区" in stt.grammars[1] and "望京街道" in stt.grammars[1]


async def test_silent_caller_is_reprompted_once_then_politely_hung_up_on(tmp_path):
    config = PipelineConfig(silence_timeout_s=0.3, max_ahead_ms=10**9)
    async with Call(tmp_path, ScriptedSpeechToText([]), config) as call:
        await asyncio.wait_for(call.task, 15)
    assert call.seq() == [
        "run-start",
        "tts-start",
        "tts-end",
        "tts-start",
        "tts-end",
        "error",
        "tts-start",
        "tts-end",
        "run-end",
    ]
    assert call.spoken() == [GREETING, REPROMPT, GOODBYE_SILENT]
    assert call.log.of(E.ERROR)[0].data["code"] == Code.CALLER_SILENT
    assert call.log.events[-1].data["reason"] == Code.CALLER_SILENT
    assert call.transport.ended == "hangup"


async def test_keypad_only_without_a_recogniser(tmp_path):
    async with Call(tmp_path, None) as call:
        await call.greeted()
        await call.say()
        await call.log.wait_for(E.TTS_END, after=4)
        assert call.seq() == ["run-start", "error", "tts-start", "tts-end", "error", "tts-start", "tts-end"]
        assert [e.data["code"] for e in call.log.of(E.ERROR)] == [Code.STT_UNAVAILABLE, Code.STT_UNAVAILABLE]
        assert call.spoken() == [GREETING_KEYPAD, KEYPAD_HINT]
        call.pipeline.feed_dtmf("0")
        await call.log.wait_for(E.HANDOFF)


async def test_engine_failure_apologises_and_keeps_the_call(tmp_path):
    engine = ScriptedEngine()
    engine.script["你好"] = RuntimeError("database is locked")
    async with Call(tmp_path, ScriptedSpeechToText(["你好"]), engine=engine) as call:
        await call.greeted()
        await call.say()
        await call.log.wait_for(E.TTS_END, after=3)
        assert call.seq()[-5:] == ["stt-end", "intent-start", "error", "tts-start", "tts-end"]
        error = call.log.of(E.ERROR)[0].data
        assert error["code"] == Code.ENGINE_UNAVAILABLE and error["stage"] == "intent"
        assert call.spoken()[-1] == SYSTEM_APOLOGY


async def test_tts_failure_is_an_error_event_and_the_call_goes_on(tmp_path):
    async with Call(tmp_path, ScriptedSpeechToText(["你好"])) as call:
        call.tts.fail_on.add("12345")
        await call.log.wait_for(E.ERROR)
        await call.say()
        await call.log.wait_for(E.TTS_END)
        assert call.seq()[:3] == ["run-start", "tts-start", "error"]
        assert call.log.of(E.ERROR)[0].data["code"] == Code.TTS_FAILED


async def test_hangup_mid_reply_closes_the_open_stage(tmp_path):
    async with Call(tmp_path, ScriptedSpeechToText([])) as call:
        await call.log.wait_for(E.TTS_START)
        call.pipeline.caller_hangup()
        await asyncio.wait_for(call.task, 5)
    assert call.seq() == ["run-start", "tts-start", "error", "run-end"]
    assert call.log.of(E.ERROR)[0].data["code"] == Code.HANGUP and call.log.of(E.ERROR)[0].data["stage"] == "tts"


async def test_audio_faster_than_real_time_is_refused(tmp_path):
    from voice.call import InputOverflow

    config = PipelineConfig(max_ahead_ms=1000)
    async with Call(tmp_path, ScriptedSpeechToText([]), config) as call:
        with pytest.raises(InputOverflow, match="faster than real time"):
            call.pipeline.feed_audio(silence(3000))


class SlowStream:
    """Wraps a scripted stream: every accept() takes 300 ms (a recogniser far behind real time)."""

    def __init__(self, inner):
        self.inner = inner

    async def accept(self, pcm):
        await asyncio.sleep(0.3)
        return await self.inner.accept(pcm)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class SlowSTT(ScriptedSpeechToText):
    async def open_stream(self, grammar=None):
        return SlowStream(await super().open_stream(grammar))


async def test_slow_decoding_never_delays_keys_or_end_of_turn(tmp_path):
    stt = SlowSTT(["你好"])
    async with Call(tmp_path, stt) as call:
        await call.greeted()
        await call.say()  # 2.9 s of audio at 8x: decoding (300 ms per 100 ms chunk) lags seconds behind
        call.pipeline.feed_dtmf("5")
        key = await call.log.wait_for(E.DTMF, timeout=1)
        assert not call.log.of(E.STT_VAD_END), "the recogniser is still catching up"
        vad_end = await call.log.wait_for(E.STT_VAD_END, timeout=20)
        await call.log.wait_for(E.STT_END, timeout=5)
        assert vad_end.data["detected_ms"] < key.t_ms < vad_end.t_ms  # end of turn detected in real time


async def test_a_key_interrupts_a_prompt_even_on_a_keypad_only_call(tmp_path):
    async with Call(tmp_path, None, ms_per_char=80) as call:
        await call.log.wait_for(E.TTS_START)
        await asyncio.sleep(0.3)
        call.pipeline.feed_dtmf("0")
        await asyncio.wait_for(call.task, 10)
    assert call.seq()[:6] == ["run-start", "error", "tts-start", "dtmf", "barge-in", "tts-end"]
    assert call.log.of(E.TTS_END)[0].data["interrupted"] is True
    assert call.log.events[-1].data["reason"] == "transfer"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
async def test_barge_in_while_real_espeak_is_synthesising_does_not_block_the_next_reply(tmp_path):
    from voice.tts.espeak_provider import EspeakTextToSpeech

    async with Call(tmp_path, None, tts=EspeakTextToSpeech()) as call:
        await call.log.wait_for(E.TTS_START)
        call.pipeline.feed_dtmf("*")  # a key at once: the greeting's sentence is still being synthesised
        await call.log.wait_for(E.BARGE_IN)
        call.pipeline.feed_dtmf("0")
        await asyncio.wait_for(call.task, 20)  # the handoff reply is spoken and the call transferred
    assert call.log.events[-1].data["reason"] == "transfer"
    assert call.spoken()[-1] == spoken_reply(Reply(HANDING_OFF))


@pytest.mark.parametrize(
    ("transcript", "trailing_ms"),
    [("我想投诉楼下烧烤店太吵", (500, 560)), ("我想投诉楼下烧烤店然后", (800, 860))],
)
async def test_turn_ends_at_a_short_pause_only_when_the_caller_sounds_finished(tmp_path, transcript, trailing_ms):
    stt = ScriptedSpeechToText([transcript], ms_per_char=20, partial_delay_ms=0)
    async with Call(tmp_path, stt) as call:
        await call.greeted()
        await call.say(after_ms=1200)
        end = await call.log.wait_for(E.STT_VAD_END)
        lo, hi = trailing_ms
        assert lo <= end.data["trailing_silence_ms"] <= hi
        await call.log.wait_for(E.TTS_END, after=3)
        assert call.engine.seen == [transcript]
        assert call.seq().count("stt-start") == 1  # the rest of the silence started no turn
