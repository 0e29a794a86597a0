"""Stage events of a VoicePipeline run (one run = one phone call).

Every stage has a paired start and end: `run-start`/`run-end`, `stt-start`/`stt-end`,
`intent-start`/`intent-end`, `tts-start`/`tts-end`. A stage that cannot finish is closed by an
`error` event whose data names the stage (`{"code": ..., "stage": "stt"}`) instead of its end
event, so a test can assert the whole sequence of a call. Events without a pair: `stt-partial`,
`stt-vad-end` (end of the caller's turn detected), `barge-in`, `dtmf`, `handoff`, and `error`
without a stage (a problem outside any stage).
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PipelineStage(StrEnum):
    """A stage of a run; each emits `<stage>-start` and then `<stage>-end` (or an `error`)."""

    RUN = "run"
    STT = "stt"
    INTENT = "intent"
    TTS = "tts"

    @property
    def start_event(self) -> "PipelineEventType":
        return PipelineEventType(f"{self.value}-start")

    @property
    def end_event(self) -> "PipelineEventType":
        return PipelineEventType(f"{self.value}-end")


class PipelineEventType(StrEnum):
    """The `type` of a PipelineEvent (the value goes on the wire and into the logs)."""

    RUN_START = "run-start"
    RUN_END = "run-end"
    STT_START = "stt-start"
    STT_PARTIAL = "stt-partial"
    STT_VAD_END = "stt-vad-end"
    STT_END = "stt-end"
    INTENT_START = "intent-start"
    INTENT_END = "intent-end"
    TTS_START = "tts-start"
    TTS_END = "tts-end"
    BARGE_IN = "barge-in"
    DTMF = "dtmf"
    HANDOFF = "handoff"
    ERROR = "error"


class PipelineErrorCode(StrEnum):
    """Machine-readable error codes (data["code"] of an `error` event)."""

    STT_NO_TEXT = "stt-no-text-recognized"  # the caller spoke but nothing was recognised
    STT_UNAVAILABLE = "stt-unavailable"  # no speech recognition: the call runs keypad-only
    STT_FAILED = "stt-failed"  # the recogniser raised while decoding
    TTS_FAILED = "tts-failed"  # no audio could be synthesised for a reply
    ENGINE_UNAVAILABLE = "engine-unavailable"  # the dialogue (router/engine/database) failed
    CALLER_SILENT = "caller-silent"  # no caller input after the re-prompt: polite goodbye
    HANGUP = "hangup"  # the caller hung up while a stage was open
    INPUT_OVERFLOW = "input-overflow"  # the transport delivered audio much faster than real time
    DTMF_INVALID = "dtmf-invalid"  # keys that are not a work-order number
    PROTOCOL_ERROR = "protocol-error"  # the transport's peer broke its wire protocol
    SHUTDOWN = "shutdown"  # the gateway is stopping


@dataclass(frozen=True)
class PipelineEvent:
    type: PipelineEventType
    data: dict[str, Any] = field(default_factory=dict)
    t_ms: int = 0  # milliseconds since run-start

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "data": self.data, "t_ms": self.t_ms}


EventListener = Callable[[PipelineEvent], None]


class EventLog:
    """Collects a run's events; lets a caller wait for one (tests, call sessions, benchmarks)."""

    def __init__(self) -> None:
        self.events: list[PipelineEvent] = []
        self._changed = asyncio.Event()
        self._t0 = time.monotonic()

    def __call__(self, event: PipelineEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def types(self, *, partials: bool = True) -> list[str]:
        return [e.type for e in self.events if partials or e.type != PipelineEventType.STT_PARTIAL]

    def of(self, kind: PipelineEventType) -> list[PipelineEvent]:
        return [e for e in self.events if e.type == kind]

    async def wait_for(
        self,
        kind: PipelineEventType,
        pred: Callable[[PipelineEvent], bool] = lambda e: True,
        *,
        after: int = 0,
        timeout: float = 10,
    ) -> PipelineEvent:
        """The first event of `kind` (at index >= after) that satisfies pred."""
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events[after:]:
                    if event.type == kind and pred(event):
                        return event
                self._changed.clear()
                await self._changed.wait()


def unpaired_stages(events: list[PipelineEvent]) -> list[str]:
    """Problems with stage pairing, in English ([] when every start has its end or error)."""
    stages = {s.value for s in PipelineStage}
    problems: list[str] = []
    open_stages: list[str] = []
    for i, event in enumerate(events):
        stage, _, edge = event.type.rpartition("-")
        if stage in stages and edge == "start":
            if stage in open_stages:
                problems.append(f"#{i}: {stage} started twice")
            open_stages.append(stage)
        elif (stage in stages and edge == "end") or (event.type == PipelineEventType.ERROR and event.data.get("stage")):
            closing = stage if edge == "end" else event.data["stage"]
            if closing not in open_stages:
                problems.append(f"#{i}: {event.type} closes {closing}, which is not open")
            else:
                open_stages.remove(closing)
    problems += [f"{stage} never ended" for stage in open_stages]
    return problems


class StageTracker:
    """Emits a run's events to its listeners, stamping times and keeping stages paired."""

    def __init__(self, listeners: list[EventListener]) -> None:
        self.listeners = listeners
        self.open: list[PipelineStage] = []
        self.t0 = time.monotonic()

    def emit(self, kind: PipelineEventType, data: dict[str, Any]) -> None:
        event = PipelineEvent(kind, data, round((time.monotonic() - self.t0) * 1000))
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:
                logging.getLogger(__name__).exception("event listener failed on %s", kind)

    def start(self, stage: PipelineStage, data: dict[str, Any]) -> None:
        self.open.append(stage)
        self.emit(stage.start_event, data)

    def end(self, stage: PipelineStage, data: dict[str, Any]) -> None:
        if stage in self.open:
            self.open.remove(stage)
            self.emit(stage.end_event, data)

    def error(self, stage: PipelineStage | None, code: PipelineErrorCode, message: str) -> None:
        if stage is not None and stage not in self.open:
            return  # already closed (by its end or an earlier error)
        if stage is not None:
            self.open.remove(stage)
        data = {"code": code, "stage": stage, "message": message} if stage else {"code": code, "message": message}
        self.emit(PipelineEventType.ERROR, data)

    def is_open(self, stage: PipelineStage) -> bool:
        return stage in self.open


async def stop_task(task: asyncio.Task, *, patience_s: float = 10.0) -> None:
    """Cancel a task and wait for it, cancelling again if a cancellation was swallowed (Python
    3.11's asyncio.wait_for can lose one when its inner future finishes at the same moment)."""
    deadline = time.monotonic() + patience_s
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
        if time.monotonic() > deadline:
            logging.getLogger(__name__).error("task %s does not stop", task.get_name())
            return
    if not task.cancelled() and task.exception() is not None:
        logging.getLogger(__name__).error("task %s failed: %r", task.get_name(), task.exception())
