"""The phone channel as the gateway builds it from settings: health entries, the AudioSocket
port taken by someone else, keypad-only without a speech model."""

import socket

from channels.phone.wiring import PhoneWiring
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.metrics import Metrics
from core.settings import Settings
from places.gazetteer import Gazetteer
from tests.phone.fakes import ScriptedEngine
from voice.asr import create_speech_to_text


def wiring(tmp_path, port: int) -> PhoneWiring:
    settings = Settings(
        var_dir=tmp_path, audiosocket_port=port, tts_provider="espeak", vosk_model_path=tmp_path / "no-model"
    )
    db = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    init_db(db)
    router = ConversationRouter(ConversationStore(db), ScriptedEngine(), Metrics())
    return PhoneWiring(settings, router, create_speech_to_text(settings), Gazetteer.builtin())


async def test_health_when_listening_and_keypad_only_without_a_model(tmp_path):
    phone = wiring(tmp_path, 0)
    await phone.start()
    try:
        health = phone.health()
        assert health["ok"] and health["live_calls"] == 0 and health["audiosocket"].startswith("127.0.0.1:")
        speech = phone.speech_health()
        assert speech["ok"] and speech["available"] is False and speech["fallback"] == "keypad-only"
        assert "no Vosk model at" in speech["hint"] and "hotline models fetch" in speech["hint"]
    finally:
        await phone.stop()


async def test_port_in_use_is_reported_not_fatal(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        phone = wiring(tmp_path, taken.getsockname()[1])
        await phone.start()
        try:
            health = phone.health()
            assert health["ok"] is False and "cannot listen on 127.0.0.1:" in health["error"]
        finally:
            await phone.stop()
