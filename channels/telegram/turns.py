"""One citizen turn from a Telegram chat: build the InboundMessage, let the router store and answer
it, deliver the replies. Turns the bot does not take part in (commands answered by the channel
itself) are stored too, so the conversation history (and an agent) sees everything."""

from dataclasses import replace

from aiogram.types import Chat, User

from channels.telegram.channel import CHANNEL, TelegramChannel, chat_id_of, conversation_id
from channels.telegram.status import shared_phone
from conversation.messages import InboundMessage, Reply
from conversation.router import ConversationRouter


def inbound(chat: Chat, user: User | None, text: str, kind: str, **metadata: object) -> InboundMessage:
    user_id = str(user.id) if user is not None else str(chat.id)
    return InboundMessage(conversation_id(chat.id), CHANNEL, user_id, text, {"kind": kind, **metadata})


async def bot_turn(channel: TelegramChannel, conversations: ConversationRouter, msg: InboundMessage) -> list[Reply]:
    """Stored by the router before anything is answered; the replies go back to the chat."""
    channel.typing(chat_id_of(msg.conversation_id))
    msg = await with_verified_phone(conversations, msg)
    sent: list[Reply] = []

    async def urgent(first: list[Reply]) -> None:  # emergency advice: before the rest of the turn
        sent.extend(first)
        await channel.send(msg.conversation_id, first)

    replies = await conversations.handle(msg, urgent=urgent)
    await channel.send(msg.conversation_id, replies)
    return [*sent, *replies]


async def with_verified_phone(conversations: ConversationRouter, msg: InboundMessage) -> InboundMessage:
    """The number the citizen shared as their own Telegram contact (this message or an earlier
    one) is the one this chat proves: the dialogue may look up work orders by it."""
    meta = msg.metadata
    if meta.get("kind") == "contact" and meta.get("own") and meta.get("phone"):
        phone = str(meta["phone"])
    else:
        phone = shared_phone(await conversations.history(msg.conversation_id))
    return replace(msg, metadata={**meta, "verified_phone": phone}) if phone else msg


async def local_turn(
    channel: TelegramChannel,
    conversations: ConversationRouter,
    msg: InboundMessage,
    replies: list[Reply],
    error_code: str | None = None,
) -> None:
    """A message the channel answers itself (status list, refusals): kept in the history both ways."""
    await conversations.record(msg.conversation_id, replies, msg, error_code)
    await channel.send(msg.conversation_id, replies)


def system(text: str) -> list[Reply]:
    return [Reply(text=text, sender="system")]
