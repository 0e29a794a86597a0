"""Voice notes: real OGG/Opus (encoded here from a real Mandarin recording), downloaded through
getFile, decoded by voice.decode (PyAV), recognised by the scripted recognizer (the Vosk Chinese
model cannot be downloaded here), and handled like typed text; every refusal path too."""

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from channels.telegram.handlers.voice import BROKEN, HEARD, NOT_HEARD, TOO_LONG, UNAVAILABLE
from channels.telegram.voice_reply import make_speak, ogg_opus
from tests.telegram.conftest import CHAT
from voice.audio import AudioFormat

av = pytest.importorskip("av")
decode = pytest.importorskip("voice.decode", reason="voice.decode (the voice pipeline's decoder) is not in this tree")
scripted = pytest.importorskip("voice.asr.scripted_provider", reason="voice.asr is not in this tree")

CLIP = Path(__file__).resolve().parents[3] / "shared" / "data" / "speech" / "thchs30_D4_750.wav"


def tone_pcm16(seconds: float = 2.0, rate: int = 16000) -> bytes:
    """A loud 440 Hz tone (what a recognizer would hear as something)."""
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 12000).astype("<i2").tobytes()


@pytest.fixture(scope="module")
def speech_ogg() -> bytes:
    if not CLIP.exists():
        pytest.skip(f"real speech clip not found: {CLIP} (../shared/data/speech)")
    with wave.open(str(CLIP)) as w:
        return ogg_opus(w.readframes(w.getnframes()), w.getframerate())


def voice_message(tg, file_id: str, duration: int = 3) -> dict:
    voice = {"file_id": file_id, "file_unique_id": file_id, "duration": duration, "mime_type": "audio/ogg"}
    return tg.message(voice=voice)


def recognizer(*transcripts: str):
    return scripted.ScriptedSpeechToText(list(transcripts))


async def test_a_spoken_complaint_is_recognised_and_reaches_the_dialogue(tg, speech_ogg):
    stt = recognizer("我要投诉楼下烧烤店太吵")
    tg.build(transcriber=stt, decode_audio=decode.decode_upload)
    tg.session.files["voice/v1.oga"] = speech_ogg
    await tg.feed(message=voice_message(tg, "v1", duration=10))
    assert stt.heard == ["我要投诉楼下烧烤店太吵"], "the decoded audio was loud speech"
    seen = tg.engine.seen[-1]
    assert seen.text == "我要投诉楼下烧烤店太吵" and seen.metadata["kind"] == "voice"
    assert seen.metadata["duration_s"] == 10
    assert tg.session.texts() == [HEARD.format("我要投诉楼下烧烤店太吵"), "收到：我要投诉楼下烧烤店太吵"]
    assert [c.file_id for c in tg.session.sent("getFile")] == ["v1"]


async def test_silence_is_not_heard_and_the_citizen_is_asked_again(tg):
    stt = recognizer("不该被听到")
    tg.build(transcriber=stt, decode_audio=decode.decode_upload)
    tg.session.files["voice/quiet.oga"] = ogg_opus(b"\0\0" * 16000, 16000)
    await tg.feed(message=voice_message(tg, "quiet", duration=1))
    assert tg.engine.seen == [] and tg.session.texts() == [NOT_HEARD]
    assert tg.store.history(f"tg:{CHAT}")[0].error_code == "asr_empty"


async def test_a_broken_file_gets_a_clear_answer(tg):
    tg.build(transcriber=recognizer("x"), decode_audio=decode.decode_upload)
    tg.session.files["voice/junk.oga"] = b"OggS" + b"\x00garbage" * 50
    await tg.feed(message=voice_message(tg, "junk"))
    assert tg.session.texts() == [BROKEN] and tg.engine.seen == []
    assert tg.store.history(f"tg:{CHAT}")[0].error_code == "invalid_audio"


async def test_without_speech_recognition_the_citizen_is_asked_to_type(tg, caplog):
    await tg.feed(message=voice_message(tg, "v1"))
    assert tg.session.texts() == [UNAVAILABLE] and "请发送文字消息" in UNAVAILABLE
    assert "speech recognition is unavailable" in caplog.text
    row = tg.store.history(f"tg:{CHAT}")[0]
    assert (row.text, row.error_code, row.payload["file_id"]) == ("[语音消息]", "audio_unavailable", "v1")
    assert not tg.session.sent("getFile"), "nothing downloaded that cannot be recognised"


async def test_a_failing_recognizer_is_answered_like_a_missing_one(tg, speech_ogg):
    class Broken:
        def available(self) -> bool:
            return True

        async def transcribe(self, pcm16: bytes) -> str:
            raise RuntimeError("model files damaged")

    tg.build(transcriber=Broken(), decode_audio=decode.decode_upload)
    tg.session.files["voice/v1.oga"] = speech_ogg
    await tg.feed(message=voice_message(tg, "v1"))
    assert tg.session.texts() == [UNAVAILABLE]
    assert tg.store.history(f"tg:{CHAT}")[0].error_code == "asr_failed"


async def test_overlong_voice_notes_are_refused_before_download(tg):
    tg.build(transcriber=recognizer("x"), decode_audio=decode.decode_upload)
    await tg.feed(message=voice_message(tg, "long", duration=600))
    assert tg.session.texts() == [TOO_LONG] and not tg.session.sent("getFile")


class ToneSpeech:
    """A TextToSpeech stand-in: 0.2 s of tone per character, at 24 kHz."""

    audio_format = AudioFormat(24000, "pcm16")

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def synthesize_all(self, text: str, *, rate: str = "+0%") -> bytes:
        self.texts.append(text)
        return tone_pcm16(0.2 * len(text), 24000)


def seconds_of(ogg: bytes) -> float:
    return len(decode.decode_upload(ogg, "ogg", sample_rate=16000)) / 32000


def test_pcm_is_encoded_as_ogg_opus_that_decodes_back_to_the_same_length():
    ogg = ogg_opus(tone_pcm16(2.0), 16000)
    assert ogg[:4] == b"OggS" and b"OpusHead" in ogg[:200]
    assert abs(seconds_of(ogg) - 2.0) < 0.05


async def test_a_voice_note_is_answered_with_a_voice_note_when_speech_synthesis_is_given(tg, speech_ogg):
    tts = ToneSpeech()
    tg.build(transcriber=recognizer("你好"), decode_audio=decode.decode_upload, speak=make_speak(tts))
    tg.session.files["voice/v1.oga"] = speech_ogg
    await tg.feed(message=voice_message(tg, "v1"))
    assert tts.texts == ["收到：你好"]
    [voice] = tg.session.sent("sendVoice")
    assert voice.chat_id == CHAT
    assert abs(seconds_of(voice.voice.data) - 0.2 * len("收到：你好")) < 0.05


async def test_typed_messages_get_no_voice_reply(tg):
    tts = ToneSpeech()
    tg.build(speak=make_speak(tts))
    await tg.say("你好")
    assert tts.texts == [] and not tg.session.sent("sendVoice")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
async def test_real_offline_speech_becomes_a_playable_voice_note():
    espeak = pytest.importorskip("voice.tts.espeak_provider", reason="voice.tts is not in this tree")
    speak = make_speak(espeak.EspeakTextToSpeech("cmn"))
    ogg = await speak("您好，这里是12345热线。")
    assert ogg is not None and ogg[:4] == b"OggS" and seconds_of(ogg) > 1.0
