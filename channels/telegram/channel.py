"""TelegramChannel: receives updates (long polling or webhook), feeds them to the aiogram
dispatcher, and delivers replies as plain-text messages with inline keyboards."""

import asyncio
import io
import logging
from collections import defaultdict
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.enums import ChatAction
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetFile, GetUpdates
from aiogram.types import BufferedInputFile, MessageEntity, Update

from channels.telegram.keyboards import PayloadMap, keyboard, reply_text
from channels.telegram.sending import (
    RetryPolicy,
    TelegramDeliveryFailed,
    call_with_retry,
    phone_number_entities,
    split_text,
)
from conversation.messages import Reply
from core.log_ids import short_id

log = logging.getLogger(__name__)

CHANNEL = "telegram"
PREFIX = "tg:"


def conversation_id(chat_id: int) -> str:
    return f"{PREFIX}{chat_id}"


def chat_id_of(conv_id: str) -> int:
    if not conv_id.startswith(PREFIX):
        raise ValueError(f"not a Telegram conversation id: {conv_id!r}")
    return int(conv_id.removeprefix(PREFIX))


class FileTooLarge(Exception):
    pass


class TelegramChannel:
    name = CHANNEL

    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        mode: str = "polling",
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        polling_timeout: int = 25,
        retry: RetryPolicy | None = None,
        payloads: PayloadMap | None = None,
    ) -> None:
        if mode not in ("polling", "webhook"):
            raise ValueError(f"unknown Telegram mode {mode!r}")
        if mode == "webhook" and not (webhook_url and webhook_secret):
            raise ValueError("webhook mode needs a webhook URL and a secret token")
        self.bot, self.dispatcher, self.mode = bot, dispatcher, mode
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret
        self.polling_timeout = polling_timeout
        self.retry = retry or RetryPolicy()
        self.payloads = payloads or PayloadMap()
        self._task: asyncio.Task | None = None
        self._state: dict[str, Any] = {"ok": False, "enabled": True, "mode": mode, "state": "stopped"}
        dispatcher["channel"] = self

    def use_voice(self, transcriber: Any, decode_audio: Any, speak: Any = None) -> None:
        """Voice notes: a SpeechToText (`available()`, `async transcribe(pcm16)`), a decoder like
        voice.decode.decode_upload, and optionally `async speak(text) -> OGG/Opus bytes | None`."""
        self.dispatcher["transcriber"] = transcriber
        self.dispatcher["decode_audio"] = decode_audio
        self.dispatcher["speak"] = speak

    # --- lifecycle ---

    async def start(self) -> None:
        """Connect in the background (the gateway does not wait for Telegram to be reachable)."""
        if self._task is None:
            self._state["state"] = "starting"
            self._task = asyncio.create_task(self._run(), name="telegram-channel")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._state.update(ok=False, state="stopped")
        await self.bot.session.close()

    def health(self) -> dict[str, Any]:
        return dict(self._state)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """For callers that need the channel up (tests, the CLI)."""
        async with asyncio.timeout(timeout):
            while self._state["state"] not in ("polling", "webhook"):
                if self._task is not None and self._task.done():
                    raise RuntimeError(f"telegram channel stopped: {self._state.get('error')}")
                await asyncio.sleep(0.02)

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                me = await self.bot.get_me()
                if self.mode == "webhook":
                    await self.bot.set_webhook(
                        url=self.webhook_url,
                        secret_token=self.webhook_secret,
                        allowed_updates=self.dispatcher.resolve_used_update_types(),
                    )
                else:
                    await self.bot.delete_webhook(drop_pending_updates=False)
                break
            except TelegramUnauthorizedError:
                log.error("telegram rejected the bot token (HOTLINE_TELEGRAM_TOKEN); the channel stays off")
                self._state.update(ok=False, state="failed", error="unauthorized")
                return
            except (TelegramAPIError, OSError) as exc:
                delay = self.retry.delay(attempt)
                attempt += 1
                self._state.update(ok=False, state="connecting", error=type(exc).__name__)
                log.warning("telegram not reachable (%s: %s); retry in %.1f s", type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)
        self._state.update(ok=True, state=self.mode, bot=me.username, error=None)
        log.info("telegram channel up: @%s via %s", me.username, self.mode)
        if self.mode == "polling":
            await self._poll()

    async def _poll(self) -> None:
        """Long polling. A batch of updates is confirmed (next offset) only after every update in
        it was handled, so a crash never drops a citizen message. Chats run concurrently; one
        chat's updates run in order."""
        offset: int | None = None
        allowed = self.dispatcher.resolve_used_update_types()
        attempt = 0
        while True:
            method = GetUpdates(offset=offset, timeout=self.polling_timeout, allowed_updates=allowed)
            try:
                updates = await self.bot(method, request_timeout=self.polling_timeout + 15)
            except (TelegramAPIError, OSError) as exc:
                delay = self.retry.delay(attempt)
                attempt += 1
                kind = (
                    "conflict (another poller or a webhook)"
                    if isinstance(exc, TelegramConflictError)
                    else type(exc).__name__
                )
                self._state.update(ok=False, error=type(exc).__name__)
                log.warning("telegram getUpdates failed: %s; retry in %.1f s", kind, delay)
                await asyncio.sleep(delay)
                continue
            if attempt:
                log.info("telegram polling recovered after %d failed attempts", attempt)
            attempt = 0
            self._state.update(ok=True, error=None)
            if updates:
                await self.process_batch(updates)
                offset = updates[-1].update_id + 1

    async def process_batch(self, updates: list[Update]) -> None:
        by_chat: defaultdict[int | None, list[Update]] = defaultdict(list)
        for update in updates:
            by_chat[chat_of_update(update)].append(update)

        async def in_order(chat_updates: list[Update]) -> None:
            for update in chat_updates:
                await self.process_update(update)

        await asyncio.gather(*(in_order(u) for u in by_chat.values()))

    async def process_update(self, update: Update) -> None:
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:
            log.exception("telegram update %s could not be handled", update.update_id)

    async def feed_webhook(self, body: dict[str, Any]) -> None:
        await self.process_update(Update.model_validate(body, context={"bot": self.bot}))

    # --- outgoing ---

    async def send(self, conversation_id: str, replies: list[Reply]) -> None:
        chat_id = chat_id_of(conversation_id)
        for reply in replies:
            text = reply_text(reply)
            if not text:
                continue
            chunks = split_text(text)
            markup = keyboard(reply.buttons, self.payloads)
            numbers = [n["number"] for n in (reply.data.get("emergency") or {}).get("numbers", ())]
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                entities = [MessageEntity(**e) for e in phone_number_entities(chunk, numbers)] or None

                async def call(
                    chunk: str = chunk, last: bool = last, markup: Any = markup, entities: Any = entities
                ) -> Any:
                    return await self.bot.send_message(
                        chat_id=chat_id,
                        text=chunk,
                        parse_mode=None,
                        entities=entities,
                        reply_markup=markup if last else None,
                    )

                if not await self._deliver(call, "sendMessage", conversation_id):
                    return

    async def send_voice(self, conversation_id: str, ogg_opus: bytes, duration_s: int | None = None) -> bool:
        chat_id = chat_id_of(conversation_id)
        voice = BufferedInputFile(ogg_opus, filename="reply.ogg")
        return await self._deliver(
            lambda: self.bot.send_voice(chat_id=chat_id, voice=voice, duration=duration_s), "sendVoice", conversation_id
        )

    async def _deliver(self, call: Any, what: str, conversation_id: str) -> bool:
        """Replies are already stored by the router: a failed delivery is logged, not raised."""
        try:
            await call_with_retry(call, what, self.retry)
            return True
        except TelegramDeliveryFailed as exc:
            log.error("telegram delivery to %s failed: %s", short_id(conversation_id), exc)
        except TelegramAPIError as exc:
            log.error("telegram %s to %s refused: %s: %s", what, short_id(conversation_id), type(exc).__name__, exc)
        return False

    def typing(self, chat_id: int) -> None:
        """Show "typing…" while a turn runs (best effort, never delays the turn)."""
        task = asyncio.create_task(self._typing(chat_id))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def _typing(self, chat_id: int) -> None:
        try:
            await self.bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
        except TelegramAPIError as exc:
            log.debug("sendChatAction failed: %s", exc)

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:
        try:
            await call_with_retry(
                lambda: self.bot.answer_callback_query(callback_query_id=callback_id, text=text),
                "answerCallbackQuery",
                RetryPolicy(attempts=3, base_delay_s=0.3),
            )
        except (TelegramDeliveryFailed, TelegramAPIError) as exc:
            log.warning("answerCallbackQuery failed: %s", exc)  # the button only keeps spinning a while

    async def download(self, file_id: str, max_bytes: int) -> bytes:
        """A file sent by a citizen (getFile, then the file URL)."""
        file = await call_with_retry(lambda: self.bot.get_file(file_id), "getFile", self.retry)
        if file.file_size is not None and file.file_size > max_bytes:
            raise FileTooLarge(f"{file.file_size} bytes > {max_bytes}")
        if not file.file_path:
            raise FileTooLarge("telegram gave no file path (file too big for the Bot API)")

        async def fetch() -> bytes:
            buf = io.BytesIO()
            try:
                await self.bot.download_file(file.file_path, destination=buf, timeout=60)
            except (aiohttp.ClientError, TimeoutError) as exc:  # its text holds the URL, and so the token
                status = getattr(exc, "status", "")
                message, method = f"download failed: {type(exc).__name__} {status}", GetFile(file_id=file_id)
                if isinstance(status, int) and status < 500:  # gone or refused: retrying will not help
                    raise TelegramAPIError(method=method, message=message) from None
                raise TelegramNetworkError(method=method, message=message) from None
            return buf.getvalue()

        data = await call_with_retry(fetch, "file download", self.retry)
        if len(data) > max_bytes:
            raise FileTooLarge(f"{len(data)} bytes > {max_bytes}")
        return data


def chat_of_update(update: Update) -> int | None:
    try:
        event = update.event
    except LookupError:  # an update type this aiogram does not know
        return None
    chat = getattr(event, "chat", None)
    if chat is None and getattr(event, "message", None) is not None:
        chat = event.message.chat
    if chat is None and getattr(event, "from_user", None) is not None:
        return event.from_user.id
    return chat.id if chat is not None else None
