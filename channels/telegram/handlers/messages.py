"""Citizen messages: text (to the dialogue), a shared contact (fills the callback phone), a shared
location (fills the district when it can be resolved), and anything else (a polite refusal)."""

import logging
from collections.abc import Callable

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import Message

from channels.telegram.channel import TelegramChannel
from channels.telegram.turns import bot_turn, inbound, local_turn, system
from conversation.router import ConversationRouter
from normalize.phone import normalize_phone
from normalize.text import has_control_characters

log = logging.getLogger(__name__)

Locate = Callable[[float, float], str | None]  # (lat, lon) -> district name, or None

BAD_CHARACTERS = "消息中含有无法识别的字符，请重新输入。"
BAD_CONTACT = "这个号码无法作为回访电话。请直接输入11位手机号，或者带区号的座机号码。"
ASK_ADDRESS = "已收到您的位置。请再用文字说一下所在的区和街道或小区，比如“朝阳区望京街道望京西园三区”，方便准确派单。"
UNSUPPORTED = "目前可以处理文字、语音、位置和联系人消息。请用文字或语音描述您的问题。"


def build_router() -> Router:
    router = Router(name="telegram-messages")
    router.message.filter(F.chat.type == ChatType.PRIVATE)

    @router.message(F.text)
    async def on_text(
        message: Message, channel: TelegramChannel, conversations: ConversationRouter, max_text_chars: int
    ) -> None:
        text = message.text.strip()
        msg = inbound(message.chat, message.from_user, text, "text", message_id=message.message_id)
        if len(text) > max_text_chars:
            reply = f"消息太长了，请精简到{max_text_chars}字以内再发送。"
            await local_turn(channel, conversations, msg, system(reply), error_code="text_too_long")
        elif has_control_characters(text):
            await local_turn(channel, conversations, msg, system(BAD_CHARACTERS), error_code="control_characters")
        else:
            await bot_turn(channel, conversations, msg)

    @router.message(F.contact)
    async def on_contact(message: Message, channel: TelegramChannel, conversations: ConversationRouter) -> None:
        contact = message.contact
        own = contact.user_id is not None and message.from_user is not None and contact.user_id == message.from_user.id
        phone = normalize_phone(contact.phone_number).number
        if phone is None:
            msg = inbound(message.chat, message.from_user, "[联系人]", "contact", own=own)
            await local_turn(channel, conversations, msg, system(BAD_CONTACT), error_code="invalid_contact")
            return
        # Said as a sentence, the number reaches the intake form the way a typed one does: the
        # router's extractor recognises it and passes it to the engine as metadata.
        msg = inbound(message.chat, message.from_user, f"我的电话是{phone}", "contact", phone=phone, own=own)
        await bot_turn(channel, conversations, msg)

    @router.message(F.location)
    async def on_location(
        message: Message, channel: TelegramChannel, conversations: ConversationRouter, locate: Locate | None
    ) -> None:
        lat, lon = message.location.latitude, message.location.longitude
        district = locate(lat, lon) if locate is not None else None
        where = {"lat": round(lat, 6), "lon": round(lon, 6)}
        if district:
            msg = inbound(message.chat, message.from_user, f"我在{district}", "location", district=district, **where)
            await bot_turn(channel, conversations, msg)
        else:
            msg = inbound(message.chat, message.from_user, f"[位置] {lat:.5f},{lon:.5f}", "location", **where)
            await local_turn(channel, conversations, msg, system(ASK_ADDRESS))

    @router.message()
    async def on_other(message: Message, channel: TelegramChannel, conversations: ConversationRouter) -> None:
        kind = str(message.content_type)
        log.info("unsupported telegram content %s in chat %s", kind, message.chat.id)
        msg = inbound(message.chat, message.from_user, f"[{kind}]", kind)
        await local_turn(channel, conversations, msg, system(UNSUPPORTED), error_code="unsupported_content")

    return router
