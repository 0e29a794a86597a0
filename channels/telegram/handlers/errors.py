"""The one place where handler failures end: logged in English, an apology to the citizen."""

import logging

from aiogram.types import ErrorEvent

from channels.telegram.channel import TelegramChannel, chat_of_update, conversation_id
from channels.telegram.turns import system

log = logging.getLogger(__name__)

APOLOGY = "抱歉，处理您的消息时出了点问题，请稍后再试；也可以发送 /human 转人工客服。"


async def on_error(event: ErrorEvent, channel: TelegramChannel) -> bool:
    exc = event.exception
    chat_id = chat_of_update(event.update)
    log.error(
        "telegram update %s failed in chat %s: %s: %s",
        event.update.update_id,
        chat_id,
        type(exc).__name__,
        exc,
        exc_info=exc,
    )
    if chat_id is not None:
        await channel.send(conversation_id(chat_id), system(APOLOGY))
    return True
