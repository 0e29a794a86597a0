"""`/start` (the bot's greeting), `/status` (my work orders), `/human` (ask for an agent), and a
short help for any other command."""

import asyncio

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from channels.telegram.channel import TelegramChannel, conversation_id
from channels.telegram.status import shared_phone, status_text, work_orders_of
from channels.telegram.turns import bot_turn, inbound, local_turn, system
from conversation.router import REQUEST_HUMAN, ConversationRouter
from tickets.crud import WorkOrderRepository

GREET_PAYLOAD = "/greet"  # the greet intent, as a button payload would send it
HELP = "可以直接用文字或语音说您的问题。常用命令：/start 开始，/status 查询我的工单，/human 转人工客服。"


def build_router() -> Router:
    router = Router(name="telegram-commands")
    router.message.filter(F.chat.type == ChatType.PRIVATE)

    @router.message(CommandStart())
    async def on_start(message: Message, channel: TelegramChannel, conversations: ConversationRouter) -> None:
        msg = inbound(message.chat, message.from_user, GREET_PAYLOAD, "command", command="/start", title="/start")
        await bot_turn(channel, conversations, msg)

    @router.message(Command("human"))
    async def on_human(message: Message, channel: TelegramChannel, conversations: ConversationRouter) -> None:
        msg = inbound(message.chat, message.from_user, REQUEST_HUMAN, "command", command="/human", title="/human")
        await bot_turn(channel, conversations, msg)

    @router.message(Command("status"))
    async def on_status(
        message: Message, channel: TelegramChannel, conversations: ConversationRouter, work_orders: WorkOrderRepository
    ) -> None:
        conv_id = conversation_id(message.chat.id)
        channel.typing(message.chat.id)
        phone = shared_phone(await conversations.history(conv_id))
        total, orders = await asyncio.to_thread(work_orders_of, work_orders, conv_id, phone)
        msg = inbound(message.chat, message.from_user, "/status", "command", command="/status", title="/status")
        await local_turn(channel, conversations, msg, system(status_text(total, orders)))

    @router.message(F.text.startswith("/"))
    async def on_unknown_command(message: Message, channel: TelegramChannel, conversations: ConversationRouter) -> None:
        command = message.text.split()[0][:40]
        msg = inbound(message.chat, message.from_user, message.text[:200], "command", command=command)
        await local_turn(channel, conversations, msg, system(HELP), error_code="unknown_command")

    return router
