"""What a phone call is to the voice pipeline: who called (CallInfo), the telephony side
(CallTransport, which each transport implements), tuning (PipelineConfig), and the fixed prompts
callers hear."""

from dataclasses import dataclass, field
from typing import Protocol

from core.pii import mask_phone
from normalize.phone import normalize_phone
from voice.audio import AudioFormat

CHANNEL = "phone"
FRAME_MS = 20

GREETING = "您好，这里是12345市民服务热线，请问有什么可以帮您？转人工请按0。"
GREETING_KEYPAD = (
    "您好，这里是12345市民服务热线。语音识别暂时无法使用，请用按键操作："
    "查询工单请输入工单号，以井号键结束；转人工服务请按0。"
)
KEYPAD_HINT = "抱歉，暂时无法识别语音。查询工单请输入工单号，以井号键结束；转人工请按0。"
NOT_HEARD = "抱歉，没有听清，请您再说一遍，或者按0转人工。"
REPROMPT = "请问您还在吗？请直接说出您的问题，或者按0转人工。"
REPROMPT_KEYPAD = "请问您还在吗？查询工单请输入工单号，以井号键结束；转人工请按0。"
GOODBYE_SILENT = "很抱歉一直没有听到您的声音，感谢您的来电，再见。"
INVALID_KEYS = "您输入的工单号不完整，请输入11位工单号，以井号键结束；转人工请按0。"
SYSTEM_APOLOGY = "抱歉，系统暂时无法应答，请稍后再拨，或者按0转人工。"
# Survey calls (回访) we place: they open with the result notice and the question, not the greeting.
SURVEY_REPROMPT = "请问您还在吗？"  # followed by the question again
SURVEY_GOODBYE = "感谢您接听12345回访电话，再见。"
SURVEY_SILENT = "很抱歉没有听到您的回答，我们会再与您联系，再见。"
SURVEY_DONE = "survey-done"  # how a survey call ends once the survey is answered


class CallTransport(Protocol):
    """The telephony side of a call, as the pipeline sees it (PCM16 at `audio_format`)."""

    name: str
    audio_format: AudioFormat

    def play(self, pcm16: bytes) -> None: ...  # queue audio; the transport paces it out

    def clear(self) -> None: ...  # drop every queued frame now (barge-in)

    async def drained(self) -> None: ...  # returns once queued audio has been sent

    async def end(self, disposition: str) -> None: ...  # "hangup" | "transfer"


@dataclass(frozen=True)
class CallInfo:
    call_id: str  # the transport's id: AudioSocket UUID, media-stream callSid
    caller: str | None = None  # caller number as the PBX gave it (masked before any use)
    # Our id of a call we placed (channels/phone/outbound.py), when the transport's own id is
    # another (a media stream's callSid; the AudioSocket UUID is ours already).
    placed_id: str | None = None

    @property
    def conversation_id(self) -> str:
        return f"{CHANNEL}:{self.call_id}"

    @property
    def user_id(self) -> str:
        if not self.caller:
            return self.call_id
        return mask_phone(normalize_phone(self.caller).number or self.caller)

    @property
    def verified_phone(self) -> str | None:
        """The caller ID, normalised: the number this call proves (work-order lookups by phone)."""
        return normalize_phone(self.caller).number if self.caller else None


@dataclass
class PipelineConfig:
    silence_timeout_s: float = 10.0
    max_reprompts: int = 1
    dtmf_timeout_s: float = 5.0
    preroll_ms: int = 400  # audio kept before speech_start (the onset is detected late)
    stt_chunk_ms: int = 100  # audio handed to the recogniser at once
    max_ahead_ms: int = 3000  # a transport more than this ahead of the wall clock is refused
    tts_rate: str = "+0%"
    handoff: str = "transfer"  # transfer: signal the PBX; hold: stay on the line for a console agent
    vad: dict = field(default_factory=dict)


class InputOverflow(Exception):
    """The transport delivers audio faster than real time."""
