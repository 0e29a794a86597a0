"""One phone call through a real VoicePipeline for the pipeline tests: the real ConversationRouter
and SQLite store, the scripted recognizer, a fast fake TTS and a recording transport; on exit it
checks that every stage was closed and no stream or task leaked."""

import asyncio

from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.metrics import Metrics
from places.gazetteer import Gazetteer
from tests.phone.fakes import FakeTTS, RecordingTransport, ScriptedEngine, silence, speech_8k, stream
from voice import events as ev
from voice.asr.scripted_provider import ScriptedSpeechToText
from voice.call import CallInfo, PipelineConfig
from voice.pipeline import VoicePipeline
from voice.spoken import SlotPhrases

E = ev.PipelineEventType
SPEED = 8.0  # caller audio at 8x real time (the transport's own pacing stays real-time)


class Call:
    def __init__(self, tmp_path, stt=None, config=None, engine=None, ms_per_char=20, tts=None):
        db = make_engine(f"sqlite:///{tmp_path / 'phone.db'}")
        init_db(db)
        self.store = ConversationStore(db)
        self.engine = engine or ScriptedEngine()
        self.router = ConversationRouter(self.store, self.engine, Metrics())
        self.stt = stt
        self.tts = tts or FakeTTS(ms_per_char)
        self.transport = RecordingTransport()
        self.log = ev.EventLog()
        config = config or PipelineConfig(silence_timeout_s=30, max_ahead_ms=10**9)
        self.pipeline = VoicePipeline(
            CallInfo("9f1c2a34-0000-4000-8000-000000000001", caller="13812345678"),
            self.transport,
            self.router,
            stt,
            self.tts,
            SlotPhrases(Gazetteer.builtin()),
            config,
            [self.log],
        )

    async def __aenter__(self):
        self.transport.playout.start()
        self.task = asyncio.create_task(self.pipeline.run())
        return self

    async def __aexit__(self, *exc):
        if not self.task.done():
            self.pipeline.caller_hangup()
        await asyncio.wait_for(self.task, 10)
        await self.transport.playout.stop()
        assert ev.unpaired_stages(self.log.events) == []
        if isinstance(self.stt, ScriptedSpeechToText):
            assert self.stt.open_streams == 0, "recognition stream leaked"
        leaked = [t for t in asyncio.all_tasks() if t.get_name().startswith(("voice-worker", "voice-stt", "voice-tts"))]
        assert not leaked, f"tasks leaked: {leaked}"

    async def greeted(self):
        await self.log.wait_for(E.TTS_END)

    async def say(self, pcm=None, after_ms=900):
        await stream(self.pipeline, (pcm or speech_8k()) + silence(after_ms), SPEED)

    def seq(self, start=0):
        return [e.type for e in self.log.events[start:] if e.type != E.STT_PARTIAL]

    def spoken(self):
        return [e.data["text"] for e in self.log.of(E.TTS_START)]
