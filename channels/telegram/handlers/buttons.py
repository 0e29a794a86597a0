"""Inline-button presses: the button's payload goes to the dialogue as the web's button frames do."""

import logging

from aiogram import Router
from aiogram.types import CallbackQuery

from channels.telegram.channel import TelegramChannel, conversation_id
from channels.telegram.keyboards import button_title, find_in_history
from channels.telegram.turns import bot_turn, inbound
from conversation.router import ConversationRouter
from core.log_ids import short_id

log = logging.getLogger(__name__)

EXPIRED = "这个按钮已失效，请直接输入您的问题。"


def build_router() -> Router:
    router = Router(name="telegram-buttons")

    @router.callback_query()
    async def on_button(query: CallbackQuery, channel: TelegramChannel, conversations: ConversationRouter) -> None:
        message = query.message
        if message is None or message.chat.type != "private" or not query.data:
            await channel.answer_callback(query.id)
            return
        conv_id = conversation_id(message.chat.id)
        payload = channel.payloads.lookup(query.data)
        if payload is None:  # a shortened payload this process did not issue: look in the stored replies
            rows = await conversations.history(conv_id)
            payload = find_in_history(
                query.data, [(r.payload or {}).get("buttons", []) for r in rows if r.direction == "out"]
            )
        if payload is None:
            log.info("unknown button key in %s", short_id(conv_id))
            await channel.answer_callback(query.id, EXPIRED)
            return
        await channel.answer_callback(query.id)
        markup = getattr(message, "reply_markup", None)
        title = button_title(markup, query.data)
        metadata = {"title": title} if title else {}
        await bot_turn(channel, conversations, inbound(message.chat, query.from_user, payload, "button", **metadata))

    return router
