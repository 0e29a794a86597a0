"""Builds the Telegram channel: the aiogram Dispatcher with every handler router, the services the
handlers get by name (dispatcher workflow data), the Bot client and its API server."""

import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer

from channels.telegram.channel import TelegramChannel
from channels.telegram.handlers import buttons, commands, messages, voice
from channels.telegram.handlers.errors import on_error
from conversation.router import ConversationRouter
from core.settings import Settings
from tickets.crud import WorkOrderRepository

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"


def build_dispatcher(
    *,
    conversations: ConversationRouter,
    work_orders: WorkOrderRepository,
    transcriber: Any = None,
    decode_audio: voice.Decode | None = None,
    speak: voice.Speak | None = None,
    locate: messages.Locate | None = None,
    max_text_chars: int = 2000,
) -> Dispatcher:
    """Handlers receive these services by parameter name; `channel` is added by TelegramChannel."""
    dp = Dispatcher(
        disable_fsm=True,
        conversations=conversations,
        work_orders=work_orders,
        transcriber=transcriber,
        decode_audio=decode_audio,
        speak=speak,
        locate=locate,
        max_text_chars=max_text_chars,
    )
    dp.include_routers(commands.build_router(), voice.build_router(), messages.build_router(), buttons.build_router())
    dp.errors.register(on_error)
    return dp


def make_bot(token: str, api_url: str | None = None) -> Bot:
    api = TelegramAPIServer.from_base(api_url) if api_url else PRODUCTION
    return Bot(token=token, session=AiohttpSession(api=api))


def create_channel(settings: Settings, dispatcher: Dispatcher) -> TelegramChannel:
    if not settings.telegram_token:
        raise ValueError("HOTLINE_TELEGRAM_TOKEN is not set")
    webhook = settings.telegram_mode == "webhook"
    if webhook and not settings.telegram_webhook_url:
        raise ValueError(
            "HOTLINE_TELEGRAM_MODE=webhook needs HOTLINE_TELEGRAM_WEBHOOK_URL (https://your.host/telegram/webhook)"
        )
    return TelegramChannel(
        make_bot(settings.telegram_token, settings.telegram_api_url),
        dispatcher,
        mode=settings.telegram_mode,
        webhook_url=settings.telegram_webhook_url if webhook else None,
        webhook_secret=settings.telegram_secret if webhook else None,
    )


OFF = {"ok": True, "enabled": False, "reason": "no bot token"}


def channel_from_settings(
    settings: Settings, *, conversations: ConversationRouter, work_orders: WorkOrderRepository, **services: Any
) -> TelegramChannel | None:
    """The configured channel, or None (logged) when no bot token is set."""
    if not settings.telegram_token:
        log.info("telegram channel off: HOTLINE_TELEGRAM_TOKEN is not set")
        return None
    dp = build_dispatcher(
        conversations=conversations, work_orders=work_orders, max_text_chars=settings.max_text_chars, **services
    )
    return create_channel(settings, dp)


def health(channel: TelegramChannel | None) -> dict[str, Any]:
    return channel.health() if channel is not None else dict(OFF)
