"""Frames of the `/ws/chat` protocol (see DESIGN.md): parsing client frames, building server frames.

Every refusal carries a machine-readable code, a Chinese message for the citizen and an English
detail for logs and API clients.
"""

import json
from dataclasses import dataclass, replace
from typing import Any

from conversation.messages import Reply
from normalize.text import has_control_characters

MAX_PAYLOAD_CHARS = 200
MAX_CLIENT_ID_CHARS = 64

ClientId = str | int


class FrameError(Exception):
    def __init__(
        self, code: str, message: str, detail: str, rejected_text: str | None = None, original_length: int | None = None
    ) -> None:
        super().__init__(detail)
        self.code, self.message, self.detail = code, message, detail
        # A citizen's text refused as it stands, kept for the record (cut to the text limit, with
        # the length it had).
        self.rejected_text = rejected_text
        self.original_length = original_length
        self.id: ClientId | None = None  # the refused frame's client message id, echoed back

    def frame(self) -> dict[str, Any]:
        frame = {"type": "error", "code": self.code, "message": self.message, "detail": self.detail}
        return frame if self.id is None else {**frame, "id": self.id}


@dataclass(frozen=True)
class ClientFrame:
    type: str  # text | button | audio
    text: str = ""
    payload: str = ""
    audio_format: str = ""
    data: str = ""  # audio frames: the base64 audio
    id: ClientId | None = None  # the client's message id, answered with an ack once stored

    @property
    def client_id(self) -> str | None:
        return None if self.id is None else str(self.id)


BAD_FORMAT = "消息格式有误，请重新发送。"


def frame_too_large(size: int, limit: int) -> FrameError:
    return FrameError(
        "frame_too_large",
        "消息太大了，无法发送。语音请分段发送，文字请精简后再发。",
        f"frame has {size} bytes; the limit is {limit}",
    )


def rate_limited(retry_after_s: float) -> FrameError:
    return FrameError(
        "rate_limited", "您发送消息太频繁了，请稍等几秒再发。", f"too many messages; retry after {retry_after_s:.1f} s"
    )


def parse_client_frame(raw: str, max_text_chars: int) -> ClientFrame:
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):
        raise FrameError("invalid_json", BAD_FORMAT, "frame is not valid JSON") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise FrameError("invalid_frame", BAD_FORMAT, "frame must be a JSON object with a string 'type'")
    client_id = _client_id(obj.get("id"))
    try:
        return replace(_parse_object(obj, max_text_chars), id=client_id)
    except FrameError as err:
        err.id = client_id
        raise


def _client_id(value: Any) -> ClientId | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53:
        return value
    if isinstance(value, str) and 0 < len(value) <= MAX_CLIENT_ID_CHARS and value.isprintable():
        return value
    raise FrameError("invalid_id", BAD_FORMAT, "'id' must be a string of 1-64 printable characters or an integer")


def _parse_object(obj: dict[str, Any], max_text_chars: int) -> ClientFrame:
    kind = obj["type"]
    if kind == "text":
        return ClientFrame("text", text=_clean_text(obj.get("text"), max_text_chars))
    if kind == "button":
        payload = obj.get("payload")
        if not isinstance(payload, str) or not payload.strip() or len(payload) > MAX_PAYLOAD_CHARS:
            raise FrameError(
                "invalid_button", BAD_FORMAT, "'payload' must be a non-empty string of at most 200 characters"
            )
        title = obj.get("title")
        return ClientFrame("button", payload=payload.strip(), text=title if isinstance(title, str) else "")
    if kind == "audio":
        fmt = obj.get("format")
        if fmt not in {"webm", "wav", "pcm16"} or not isinstance(obj.get("data"), str):
            raise FrameError("invalid_audio", BAD_FORMAT, "audio frames need format webm|wav|pcm16 and base64 'data'")
        return ClientFrame("audio", audio_format=fmt, data=obj["data"])
    raise FrameError("unknown_type", BAD_FORMAT, f"unknown frame type {kind[:40]!r}; expected text, button or audio")


def _clean_text(text: Any, max_chars: int) -> str:
    if not isinstance(text, str):
        raise FrameError("invalid_frame", BAD_FORMAT, "'text' must be a string")
    text = text.strip()
    if not text:
        raise FrameError("empty_text", "消息不能为空，请输入您要说的内容。", "text is empty")
    if len(text) > max_chars:
        raise FrameError(
            "text_too_long",
            f"消息太长了，请精简到{max_chars}字以内再发送。",
            f"text has {len(text)} characters; the limit is {max_chars}",
            rejected_text=text[:max_chars],
            original_length=len(text),
        )
    if has_control_characters(text):
        raise FrameError(
            "control_characters",
            "消息中含有无法识别的字符，请重新输入。",
            "text contains control characters",
            rejected_text=text,
        )
    return text


def session_frame(conversation_id: str, resume_token: str) -> dict[str, Any]:
    return {"type": "session", "conversation_id": conversation_id, "resume_token": resume_token}


def ack_frame(client_id: ClientId) -> dict[str, Any]:
    return {"type": "ack", "id": client_id}


def status_frame(mode: str) -> dict[str, Any]:
    return {"type": "status", "mode": mode}


def history_frame(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "history", "messages": entries}


def reply_frames(reply: Reply) -> list[dict[str, Any]]:
    """A reply becomes a message frame, followed by a status frame when it changes the mode."""
    body = reply.to_dict()
    frames: list[dict[str, Any]] = [{"type": "message", **body}]
    if "mode" in reply.data:
        frames.append(status_frame(reply.data["mode"]))
    return frames
