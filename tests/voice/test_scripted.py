import json

from core.settings import Settings
from tests.voice.conftest import sine
from voice.asr import create_speech_to_text
from voice.asr.scripted_provider import ScriptedSpeechToText, audio_hash
from voice.audio import chunk

SPEECH = sine(200.0, 1.5, 16000, amplitude=6000)
OTHER = sine(300.0, 1.0, 16000, amplitude=6000)
QUIET = b"\x00\x00" * 16000


async def feed(stream, pcm: bytes) -> list[str]:
    return [p for piece in chunk(pcm, 640, pad=False) if (p := await stream.accept(piece)) is not None]


async def test_transcripts_in_order_with_growing_partials():
    stt = ScriptedSpeechToText(["我要投诉", "朝阳区"])
    stream = await stt.open_stream()
    partials = await feed(stream, SPEECH)
    assert partials == ["我", "我要", "我要投", "我要投诉"]
    assert await stream.finish() == "我要投诉"
    await feed(stream, SPEECH)
    assert await stream.finish() == "朝阳区"
    await feed(stream, SPEECH)
    assert await stream.finish() == ""  # the script is used up
    assert stt.heard == ["我要投诉", "朝阳区", ""]
    await stream.close()
    assert stt.open_streams == 0


async def test_silence_is_heard_as_nothing_and_keeps_the_script():
    stt = ScriptedSpeechToText(["喂你好"])
    stream = await stt.open_stream()
    assert await feed(stream, QUIET) == []
    assert await stream.finish() == ""
    await feed(stream, SPEECH)
    assert await stream.finish() == "喂你好"


async def test_by_hash_wins_and_grammars_are_recorded(tmp_path):
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"transcripts": ["一"], "by_hash": {audio_hash(OTHER): "海淀区"}}), encoding="utf-8")
    stt = ScriptedSpeechToText.from_file(path)
    stream = await stt.open_stream(grammar=["朝阳区", "海淀区"])
    await feed(stream, OTHER)
    assert await stream.finish() == "海淀区"
    stream.set_grammar(None)
    await feed(stream, SPEECH)
    assert await stream.finish() == "一"
    assert stt.grammars == [["朝阳区", "海淀区"], None]
    assert await stt.transcribe(SPEECH) == ""


async def test_factory_picks_the_configured_provider(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('["你好"]', encoding="utf-8")
    stt = create_speech_to_text(Settings(var_dir=tmp_path, speech_provider="scripted", scripted_transcripts=path))
    assert stt.name == "scripted" and await stt.transcribe(SPEECH) == "你好"
    vosk = create_speech_to_text(Settings(var_dir=tmp_path))
    assert vosk.name == "vosk" and not vosk.available()
    assert str(vosk.model_path).endswith("models/vosk-model-small-cn-0.22")
