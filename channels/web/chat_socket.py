"""`GET /ws/chat`: the citizen web chat WebSocket, and WebChatChannel, which delivers replies to
every socket open on a conversation.

Every citizen message is stored, then acknowledged (`ack` with the client's id), then answered.
A resent id is stored once and answered once. Messages stored but never answered (the gateway
stopped mid-turn, the dialogue engine was down) are answered when the conversation is resumed,
or before its next message once the engine is back."""

import logging
import uuid
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from starlette.requests import HTTPConnection

from channels.web.protocol import (
    BAD_FORMAT,
    FrameError,
    ack_frame,
    frame_too_large,
    history_frame,
    parse_client_frame,
    rate_limited,
    reply_frames,
    session_frame,
    status_frame,
)
from channels.web.session import CHANNEL, ChatLimits, ChatSession, ChatSessions
from channels.web.voice_messages import AUDIO_UNAVAILABLE, VoiceMessages
from conversation.messages import InboundMessage, Reply
from conversation.router import ConversationRouter
from conversation.transcript import history_entries
from core.log_ids import short_id

log = logging.getLogger(__name__)

NOT_FOUND = FrameError(
    "conversation_not_found",
    "未找到之前的对话，已为您开始新的对话。",
    "unknown conversation_id or wrong resume_token; a new session was started",
)


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


class WebChat:
    """What /ws/chat does with a socket: the session, the frames, the turns. create_app puts one on
    `app.state.web_chat`. `greeting`: a message frame sent at once on a new conversation whose
    client asked for it with `?greet=1` (the chat page does; API clients are not sent it); it is
    not stored."""

    def __init__(
        self,
        conversations: ConversationRouter,
        channel: WebChatChannel,
        max_text_chars: int,
        voice: VoiceMessages | None = None,
        limits: ChatLimits = ChatLimits(),
        greeting: dict[str, Any] | None = None,
    ) -> None:
        self.conversations, self.channel, self.max_text_chars = conversations, channel, max_text_chars
        self.voice, self.limits, self.greeting = voice, limits, greeting
        self.sessions = ChatSessions(conversations, limits)

    async def serve(self, ws: WebSocket, conversation_id: str | None, resume_token: str | None, greet: bool) -> None:
        """One chat socket, from accept to disconnect."""
        await ws.accept()
        address = ws.client.host if ws.client else "-"
        session = await self.sessions.open(address, conversation_id, resume_token)
        conv_id = session.conversation_id
        await ws.send_json(session_frame(conv_id, session.resume_token))
        if conversation_id and not session.resumed:
            await ws.send_json(NOT_FOUND.frame())
        if session.resumed:
            await ws.send_json(history_frame(history_entries(await self.conversations.history(conv_id))))
        await ws.send_json(status_frame(session.mode.value))
        if greet and self.greeting is not None and not session.resumed:  # asked for by the page (?greet=1)
            await ws.send_json(self.greeting)
        self.channel.attach(conv_id, ws)
        log.info("web chat session %s %s", short_id(conv_id), "resumed" if session.resumed else "started")
        try:
            if session.resumed:
                await self.answer_unanswered(conv_id, None)
            while True:
                event = await ws.receive()
                if event["type"] == "websocket.disconnect":
                    break
                await self.on_frame(ws, event, session)
        except WebSocketDisconnect:
            pass
        finally:
            self.channel.detach(conv_id, ws)

    async def on_frame(self, ws: WebSocket, event: dict[str, Any], session: ChatSession) -> None:
        conv_id, user_id = session.conversation_id, session.user_id
        try:
            if event.get("text") is None:
                raise FrameError(
                    "binary_not_supported",
                    BAD_FORMAT,
                    "binary frames are not accepted on /ws/chat; send JSON text frames",
                )
            size = len(event["text"].encode())
            if size > self.limits.frame_bytes:
                raise frame_too_large(size, self.limits.frame_bytes)
            try:
                frame = parse_client_frame(event["text"], self.max_text_chars)
            finally:  # refused frames count too
                wait = session.take()
            if wait:
                err = rate_limited(wait)
                err.id = frame.id
                raise err
            if frame.type == "audio":
                if self.voice is None:
                    raise AUDIO_UNAVAILABLE
                heard = await self.voice.recognise(frame.data, frame.audio_format)
        except FrameError as err:
            self.conversations.count_refused_frame(err.code)
            log.warning("rejected frame on %s: %s (%s)", short_id(conv_id), err.code, err.detail)
            if err.rejected_text is not None and err.code != "rate_limited":
                await self.sessions.store(session)
                metadata = {"kind": "text"} if err.id is None else {"kind": "text", "client_id": str(err.id)}
                rejected = InboundMessage(conv_id, CHANNEL, user_id, err.rejected_text, metadata)
                await self.conversations.reject(rejected, err.code, err.original_length)
            await ws.send_json(err.frame())
            return
        # Every message gets a client id (the page's, else one made here) so it is answered once.
        metadata: dict[str, Any] = {"client_id": frame.client_id or f"gw-{uuid.uuid4().hex}"}
        if frame.type == "audio":
            await ws.send_json(heard.frame())
            msg = InboundMessage(conv_id, CHANNEL, user_id, heard.text, {**heard.metadata(), **metadata})
        elif frame.type == "button":
            metadata |= {"kind": "button", "title": frame.text} if frame.text else {"kind": "button"}
            msg = InboundMessage(conv_id, CHANNEL, user_id, frame.payload, metadata)
        else:
            msg = InboundMessage(conv_id, CHANNEL, user_id, frame.text, {"kind": "text", **metadata})
        await self.sessions.store(session)
        state = await self.conversations.accept(msg)
        if frame.id is not None:
            await ws.send_json(ack_frame(frame.id))
        if state.answered:
            return
        await self.answer_unanswered(conv_id, msg.metadata["client_id"])
        await self.turn(conv_id, msg)

    async def answer_unanswered(self, conv_id: str, current: str | None) -> None:
        """Answer stored messages the bot never answered, oldest first (not `current`): after a
        restart at once, after an engine outage once the engine is back."""
        waiting = await self.conversations.unanswered(conv_id, current)
        if not waiting or not (await self.conversations.engine.health()).get("ok"):
            return
        log.info("answering %d earlier message(s) of %s", len(waiting), short_id(conv_id))
        for msg in waiting:
            await self.turn(conv_id, msg)

    async def turn(self, conv_id: str, msg: InboundMessage) -> None:
        replies = await self.conversations.handle(msg, urgent=lambda first: self.channel.send(conv_id, first))
        await self.channel.send(conv_id, replies)


async def get_web_chat(conn: HTTPConnection) -> WebChat:
    return conn.app.state.web_chat


router = APIRouter()


@router.websocket("/ws/chat")
async def chat(
    ws: WebSocket,
    web_chat: Annotated[WebChat, Depends(get_web_chat)],
    conversation_id: str | None = None,
    resume_token: str | None = None,
    greet: bool = False,
) -> None:
    await web_chat.serve(ws, conversation_id, resume_token, greet)
