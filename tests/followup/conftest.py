"""The closed loop around a survey call, all real: SQLite (migrated), ConversationStore,
WorkOrderRepository + WorkOrderHandling, FollowUp inside a real ConversationRouter, the phone
channel (scripted recogniser, fast fake TTS as in tests/phone) with a real AudioSocket TCP server
and a real uvicorn server for /ws/media. The PBX side is a local server (pbx_servers.py)."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import uvicorn
from fastapi import FastAPI

from channels.phone import media_stream
from channels.phone.audiosocket import AudioSocketServer
from channels.phone.calls import PhoneChannel
from channels.phone.outbound import OutboundCalls
from channels.phone.routes import build_phone_routes
from conversation.messages import Reply
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.metrics import Metrics
from core.settings import Settings
from followup.pbx import SurveyCalls
from followup.service import FollowUp
from places.gazetteer import Gazetteer
from tests.helpers import free_port
from tests.phone.conftest import leaked_tasks
from tests.phone.fakes import FakeTTS, ScriptedEngine
from tests.tickets.conftest import work_order_data
from tickets.crud import WorkOrderRepository
from tickets.handling import Actor, Outcome, WorkOrderHandling
from tickets.schemas import clock_deadline
from voice.asr.scripted_provider import ScriptedSpeechToText
from voice.call import CallInfo, PipelineConfig
from voice.events import PipelineEvent
from voice.spoken import SlotPhrases

UNITS = {"110105021": "望京街道办事处"}
WANGJING = Actor("unit", "wj_ops", "110105021")
SUPERVISOR = Actor("supervisor", "zhao")
CITIZEN_PHONE = "13812345678"
MakeCalls = Callable[[OutboundCalls, str, str], SurveyCalls | None]  # (outbound, audiosocket host:port, gateway URL)


@dataclass
class Loop:
    channel: PhoneChannel
    store: ConversationStore
    repo: WorkOrderRepository
    handling: WorkOrderHandling
    followup: FollowUp
    tts: FakeTTS
    stt: ScriptedSpeechToText
    audiosocket: str  # host:port of our AudioSocket server, as the PBX is told
    events: dict[str, list[PipelineEvent]] = field(default_factory=dict)

    def on_event(self, call: CallInfo, event: PipelineEvent) -> None:
        self.events.setdefault(call.call_id, []).append(event)

    def resolved(self, phone: str = CITIZEN_PHONE) -> Outcome:
        """An order filed on an earlier phone call, dispatched, accepted and resolved."""
        data = work_order_data(channel="phone", conversation_id=f"phone:{uuid.uuid4()}", contact_phone=phone)
        number = self.repo.create(data, actor="bot").number
        self.handling.perform(number, "dispatch", {"unit": "110105021"}, SUPERVISOR)
        self.handling.perform(number, "accept", {}, WANGJING)
        return self.handling.perform(number, "resolve", {"text": "已责令烧烤店晚十点后停止营业"}, WANGJING)

    async def wait_idle(self, timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while self.channel.calls:
                await asyncio.sleep(0.02)


def unit_of(code: str) -> dict | None:
    return {"code": code, "name": UNITS[code], "level": "street"} if code in UNITS else None


@contextlib.asynccontextmanager
async def survey_loop(
    tmp_path, make_calls: MakeCalls, silence_timeout_s: float = 30.0, transcripts: tuple[str, ...] = ()
) -> AsyncIterator[Loop]:
    db = make_engine(f"sqlite:///{tmp_path / 'loop.db'}")
    init_db(db)
    store = ConversationStore(db)
    handling = WorkOrderHandling(db, UNITS.__contains__, clock_deadline, lambda due, days: due + timedelta(days=days))
    outbound = OutboundCalls()
    audiosocket_port, http_port = free_port(), free_port()
    calls = make_calls(outbound, f"127.0.0.1:{audiosocket_port}", f"http://127.0.0.1:{http_port}")

    async def deliver(conversation_id: str, replies: list[Reply]) -> None:
        raise AssertionError(f"a phone order is not delivered to {conversation_id}")

    followup = FollowUp(handling, store, deliver, unit_of, phone_calls=calls)
    router = ConversationRouter(store, ScriptedEngine(), Metrics(), followup=followup)
    stt, tts = ScriptedSpeechToText(list(transcripts)), FakeTTS(ms_per_char=10)
    config = PipelineConfig(silence_timeout_s=silence_timeout_s)
    channel = PhoneChannel(router, stt, tts, SlotPhrases(Gazetteer.builtin()), config, outbound)
    loop = Loop(channel, store, WorkOrderRepository(db), handling, followup, tts, stt, f"127.0.0.1:{audiosocket_port}")
    channel.listeners.append(loop.on_event)

    audiosocket = AudioSocketServer(channel, "127.0.0.1", audiosocket_port, idle_timeout_s=3, frame_timeout_s=0.5)
    await audiosocket.start()
    app = FastAPI()
    app.state.phone, app.state.settings = channel, Settings()
    app.include_router(media_stream.router)
    app.include_router(build_phone_routes(channel, "12345-agents"))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=http_port, ws="websockets-sansio", log_config=None, lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    try:
        yield loop
    finally:
        await loop.wait_idle()
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
        await audiosocket.stop()
        db.dispose()
    assert stt.open_streams == 0, "recognition streams leaked"
    assert not leaked_tasks(), f"tasks leaked: {leaked_tasks()}"
