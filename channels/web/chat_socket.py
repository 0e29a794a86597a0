"""`GET /ws/chat`: the citizen web chat WebSocket, and WebChatChannel, which delivers replies to
every socket open on a conversation."""

import asyncio
import logging
import uuid
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from channels.web.protocol import (
    BAD_FORMAT,
    FrameError,
    history_frame,
    parse_client_frame,
    reply_frames,
    session_frame,
    status_frame,
)
from channels.web.voice_messages import AUDIO_UNAVAILABLE, VoiceMessages
from conversation.messages import InboundMessage, Mode, Reply
from conversation.router import ConversationRouter, history_entries

log = logging.getLogger(__name__)

CHANNEL = "web"
NOT_FOUND = FrameError(
    "conversation_not_found", "未找到之前的对话，已为您开始新的对话。", "unknown conversation_id; a new session was started"
)


def new_conversation_id() -> str:
    return f"{CHANNEL}:{uuid.uuid4()}"


def valid_conversation_id(value: str | None) -> bool:
    if not value or not value.startswith(f"{CHANNEL}:"):
        return False
    try:
        uuid.UUID(value.removeprefix(f"{CHANNEL}:"))
    except ValueError:
        return False
    return True


class WebChatChannel:
    name = CHANNEL

    def __init__(self) -> None:
        self._sockets: defaultdict[str, set[WebSocket]] = defaultdict(set)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close(code=1001)

    def attach(self, conversation_id: str, ws: WebSocket) -> None:
        self._sockets[conversation_id].add(ws)

    def detach(self, conversation_id: str, ws: WebSocket) -> None:
        sockets = self._sockets.get(conversation_id)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self._sockets[conversation_id]

    async def send(self, conversation_id: str, replies: list[Reply]) -> None:
        frames = [frame for reply in replies for frame in reply_frames(reply)]
        for ws in list(self._sockets.get(conversation_id, ())):
            try:
                for frame in frames:
                    await ws.send_json(frame)
            except (WebSocketDisconnect, RuntimeError):
                self.detach(conversation_id, ws)


def build_router(
    conversations: ConversationRouter, channel: WebChatChannel, max_text_chars: int, voice: VoiceMessages | None = None
) -> APIRouter:
    api = APIRouter()

    @api.websocket("/ws/chat")
    async def chat(ws: WebSocket, conversation_id: str | None = None) -> None:
        await ws.accept()
        store = conversations.store
        existing = await asyncio.to_thread(store.get, conversation_id) if valid_conversation_id(conversation_id) else None
        resumed = existing is not None
        conv_id = existing.id if resumed else new_conversation_id()
        user_id = conv_id.removeprefix(f"{CHANNEL}:")
        mode = Mode(existing.mode) if resumed else await conversations.open(conv_id, CHANNEL, user_id)
        await ws.send_json(session_frame(conv_id))
        if conversation_id and not resumed:
            await ws.send_json(NOT_FOUND.frame())
        if resumed:
            await ws.send_json(history_frame(await asyncio.to_thread(history_entries, store, conv_id)))
        await ws.send_json(status_frame(mode.value))
        channel.attach(conv_id, ws)
        log.info("web chat session %s %s", conv_id, "resumed" if resumed else "started")
        try:
            while True:
                event = await ws.receive()
                if event["type"] == "websocket.disconnect":
                    break
                await _on_frame(ws, event, conv_id, user_id)
        except WebSocketDisconnect:
            pass
        finally:
            channel.detach(conv_id, ws)

    async def _on_frame(ws: WebSocket, event: dict[str, Any], conv_id: str, user_id: str) -> None:
        try:
            if event.get("text") is None:
                raise FrameError(
                    "binary_not_supported", BAD_FORMAT, "binary frames are not accepted on /ws/chat; send JSON text frames"
                )
            frame = parse_client_frame(event["text"], max_text_chars)
            if frame.type == "audio":
                if voice is None:
                    raise AUDIO_UNAVAILABLE
                heard = await voice.recognise(frame.data, frame.audio_format)
        except FrameError as err:
            conversations.metrics.frame_errors.labels(err.code).inc()
            log.warning("rejected frame on %s: %s (%s)", conv_id, err.code, err.detail)
            if err.rejected_text is not None:
                rejected = InboundMessage(conv_id, CHANNEL, user_id, err.rejected_text, {"kind": "text"})
                await conversations.reject(rejected, err.code)
            await ws.send_json(err.frame())
            return
        if frame.type == "audio":
            await ws.send_json(heard.frame())
            msg = InboundMessage(conv_id, CHANNEL, user_id, heard.text, heard.metadata())
        elif frame.type == "button":
            metadata = {"kind": "button", "title": frame.text} if frame.text else {"kind": "button"}
            msg = InboundMessage(conv_id, CHANNEL, user_id, frame.payload, metadata)
        else:
            msg = InboundMessage(conv_id, CHANNEL, user_id, frame.text, {"kind": "text"})
        replies = await conversations.handle(msg, urgent=lambda first: channel.send(conv_id, first))
        await channel.send(conv_id, replies)

    return api
