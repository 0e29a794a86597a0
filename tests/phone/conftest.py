"""Fixtures for the phone tests: a PhoneChannel over the real ConversationRouter (SQLite, a
scripted engine), the scripted recognizer and a fast fake TTS; a real AudioSocket TCP server;
a real uvicorn server with /ws/media and the phone routes."""

import asyncio
from dataclasses import dataclass, field

import pytest
import uvicorn
from fastapi import FastAPI

from channels.phone import media_stream
from channels.phone.audiosocket import AudioSocketServer
from channels.phone.calls import PhoneChannel
from channels.phone.routes import build_phone_routes
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.metrics import Metrics
from core.settings import Settings
from places.gazetteer import Gazetteer
from tests.helpers import free_port
from tests.phone.fakes import FakeTTS, ScriptedEngine
from voice.asr.scripted_provider import ScriptedSpeechToText
from voice.call import CallInfo, PipelineConfig
from voice.events import PipelineEvent
from voice.spoken import SlotPhrases

_PHRASES = SlotPhrases(Gazetteer.builtin())


@dataclass
class Phone:
    channel: PhoneChannel
    stt: ScriptedSpeechToText
    tts: FakeTTS
    engine: ScriptedEngine
    store: ConversationStore
    events: dict[str, list[PipelineEvent]] = field(default_factory=dict)

    def on_event(self, call: CallInfo, event: PipelineEvent) -> None:
        self.events.setdefault(call.call_id, []).append(event)

    def types(self, call_id: str) -> list[str]:
        return [e.type for e in self.events.get(call_id, []) if e.type != "stt-partial"]

    async def wait_event(self, call_id: str, kind: str, timeout: float = 10, after: int = 0) -> PipelineEvent:
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events.get(call_id, [])[after:]:
                    if event.type == kind:
                        return event
                await asyncio.sleep(0.01)

    async def wait_idle(self, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while self.channel.calls:
                await asyncio.sleep(0.02)


LIVE_TASKS = ("voice-", "audiosocket-", "media-stream-", "playout")


def leaked_tasks() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith(LIVE_TASKS) and not t.done()]


def make_phone(tmp_path, transcripts=(), **config) -> Phone:
    db = make_engine(f"sqlite:///{tmp_path / 'phone.db'}")
    init_db(db)
    store = ConversationStore(db)
    engine = ScriptedEngine()
    router = ConversationRouter(store, engine, Metrics())
    stt, tts = ScriptedSpeechToText(list(transcripts)), FakeTTS(ms_per_char=25)
    settings = {"silence_timeout_s": 30.0, **config}
    channel = PhoneChannel(router, stt, tts, _PHRASES, PipelineConfig(**settings))
    phone = Phone(channel, stt, tts, engine, store)
    channel.listeners.append(phone.on_event)
    return phone


@pytest.fixture()
def phone(tmp_path) -> Phone:
    return make_phone(tmp_path, ["我要投诉楼下烧烤店太吵", "朝阳区望京街道"])


@pytest.fixture()
async def audiosocket(phone):
    server = AudioSocketServer(phone.channel, "127.0.0.1", 0, uuid_timeout_s=2, idle_timeout_s=3, frame_timeout_s=0.5)
    await server.start()
    yield server
    await server.stop()
    assert not server.connections
    assert not phone.channel.calls
    assert phone.stt.open_streams == 0, "recognition streams leaked"
    assert not leaked_tasks(), f"tasks leaked: {leaked_tasks()}"


@pytest.fixture()
async def media_server(phone):
    app = FastAPI()
    app.state.phone, app.state.settings = phone.channel, Settings()
    app.include_router(media_stream.router)
    app.include_router(build_phone_routes(phone.channel, "12345-agents"))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws="websockets-sansio", log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    yield f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    await phone.wait_idle()
    server.should_exit = True
    await asyncio.wait_for(task, 10)
    await phone.channel.stop()  # closes the warm recognition streams
    assert phone.stt.open_streams == 0, "recognition streams leaked"
    assert not leaked_tasks(), f"tasks leaked: {leaked_tasks()}"
