"""Web chat sessions: who may resume a conversation, and how fast a connection may send.

A new session gets a conversation id and a resume token (an unguessable secret handed to the page
once; only its sha256 is stored, on the conversation row). Resuming needs both: an id without its
token starts a new conversation and reveals nothing about the old one. The conversation row is
written with the first message, not at connect (a page load stores nothing)."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field

from conversation.messages import Mode
from conversation.router import ConversationRouter
from core.rate_limit import KeyedBuckets, TokenBucket, take_all

CHANNEL = "web"


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


@dataclass(frozen=True)
class ChatLimits:
    """Per-connection and per-address token buckets for frames, and the largest frame answered
    with an error frame (larger ones are closed by the WebSocket layer, see cli.serve)."""

    burst: int = 20
    per_s: float = 2.0
    address_burst: int = 200
    address_per_s: float = 40.0
    frame_bytes: int = 4 * 1024 * 1024


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class ChatSession:
    conversation_id: str
    resume_token: str
    resumed: bool
    mode: Mode
    stored: bool  # the conversation row exists
    bucket: TokenBucket = field(repr=False)
    address_bucket: TokenBucket = field(repr=False)

    @property
    def user_id(self) -> str:
        return self.conversation_id.removeprefix(f"{CHANNEL}:")

    def take(self) -> float:
        """A token for one frame from this connection and its address: 0, or seconds to wait."""
        return take_all(self.bucket, self.address_bucket)


class ChatSessions:
    def __init__(self, conversations: ConversationRouter, limits: ChatLimits) -> None:
        self.conversations = conversations
        self.limits = limits
        self.addresses = KeyedBuckets(limits.address_burst, limits.address_per_s)

    async def open(self, address: str, conversation_id: str | None, resume_token: str | None) -> ChatSession:
        """Resume the conversation when the token is its own, else start a new one (not stored yet)."""
        existing = None
        if valid_conversation_id(conversation_id) and resume_token:
            conv = await self.conversations.find(conversation_id)
            if (
                conv is not None
                and conv.resume_hash
                and hmac.compare_digest(conv.resume_hash, token_hash(resume_token))
            ):
                existing = conv
        buckets = TokenBucket(self.limits.burst, self.limits.per_s), self.addresses.get(address)
        if existing is not None:
            return ChatSession(existing.id, resume_token, True, Mode(existing.mode), True, *buckets)
        return ChatSession(new_conversation_id(), secrets.token_urlsafe(24), False, Mode.BOT, False, *buckets)

    async def store(self, session: ChatSession) -> None:
        """Write the conversation row (with the token's hash) before its first message."""
        if not session.stored:
            await self.conversations.open(
                session.conversation_id, CHANNEL, session.user_id, token_hash(session.resume_token)
            )
            session.stored = True
