"""Fast Telegram handler tests: the real dispatcher, handlers, router and SQLite store; the Bot API
session is a recording fake and the dialogue engine a script."""

import itertools
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import Update

import tickets.models  # noqa: F401  (registers the work-order tables)
from channels.telegram.channel import TelegramChannel
from channels.telegram.sending import RetryPolicy
from channels.telegram.wiring import build_dispatcher
from conversation.messages import Button, InboundMessage, Reply
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.metrics import Metrics
from tickets.crud import WorkOrderRepository

CHAT = 4242
TOKEN = "123456:TEST-token"


class ScriptedEngine:
    """Answers from a script and records what reached it (with its metadata)."""

    def __init__(self) -> None:
        self.seen: list[InboundMessage] = []
        self.script: dict[str, list[Reply] | Exception] = {}

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        self.seen.append(msg)
        answer = self.script.get(msg.text, [Reply(f"收到：{msg.text}")])
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def health(self) -> dict:
        return {"ok": True}


class RecordingSession(BaseSession):
    """Answers Bot API calls like Telegram would and records them; `fail` queues exceptions."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod] = []
        self.fail: dict[str, list[Exception]] = {}
        self.files: dict[str, bytes] = {}
        self._ids = itertools.count(1000)

    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None) -> Any:
        name = method.__api_method__
        self.calls.append(method)
        if self.fail.get(name):
            raise self.fail[name].pop(0)
        result: Any = True
        if name in ("sendMessage", "sendVoice"):
            result = {
                "message_id": next(self._ids),
                "date": 0,
                "chat": {"id": method.chat_id, "type": "private"},
                "text": getattr(method, "text", None),
            }
        elif name == "getFile":
            path = f"voice/{method.file_id}.oga"
            result = {
                "file_id": method.file_id,
                "file_unique_id": "u",
                "file_size": len(self.files.get(path, b"")),
                "file_path": path,
            }
        elif name == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "12345", "username": "hotline_bot"}
        response = method.__returning__
        return response.model_validate(result, context={"bot": bot}) if hasattr(response, "model_validate") else result

    async def stream_content(
        self, url: str, headers=None, timeout: int = 30, chunk_size: int = 65536, raise_for_status: bool = True
    ) -> AsyncGenerator[bytes, None]:
        yield self.files[url.split("/", 5)[-1]]  # .../file/bot<token>/<path>

    async def close(self) -> None:
        return None

    def sent(self, name: str = "sendMessage") -> list[TelegramMethod]:
        return [c for c in self.calls if c.__api_method__ == name]

    def texts(self) -> list[str]:
        return [c.text for c in self.sent()]


class Harness:
    def __init__(self, tmp_path, bot: Bot | None = None, **channel_options: Any) -> None:
        self.db = make_engine(f"sqlite:///{tmp_path / 'tg.db'}")
        init_db(self.db)
        self.store = ConversationStore(self.db)
        self.engine = ScriptedEngine()
        self.router = ConversationRouter(self.store, self.engine, Metrics())
        self.work_orders = WorkOrderRepository(self.db)
        self.session = RecordingSession()
        self.bot = bot or Bot(token=TOKEN, session=self.session)
        self.services: dict[str, Any] = {}
        self.channel_options = {"retry": RetryPolicy(attempts=4, base_delay_s=0.01), **channel_options}
        self._updates = itertools.count(1)
        self._messages = itertools.count(1)
        self.build()

    def build(self, **services: Any) -> None:
        self.services.update(services)
        self.dp = build_dispatcher(conversations=self.router, work_orders=self.work_orders, **self.services)
        self.channel = TelegramChannel(self.bot, self.dp, **self.channel_options)

    def provide(self, **services: Any) -> None:
        """Change services of the running dispatcher (handlers get them by name)."""
        for name, value in services.items():
            self.dp[name] = value

    async def feed(self, **event: Any) -> None:
        update = Update.model_validate({"update_id": next(self._updates), **event}, context={"bot": self.bot})
        await self.channel.process_update(update)

    def message(self, chat: int = CHAT, user: int | None = None, **content: Any) -> dict:
        return {
            "message_id": next(self._messages),
            "date": 1700000000,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": user or chat, "is_bot": False, "first_name": "市民"},
            **content,
        }

    async def say(self, text: str, chat: int = CHAT) -> None:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        await self.feed(message=self.message(chat, **content))

    async def press(self, data: str, keyboard: Any = None, chat: int = CHAT) -> None:
        message = self.message(chat, text="请选择：")
        if keyboard is not None:
            message["reply_markup"] = keyboard.model_dump(exclude_none=True)
        await self.feed(
            callback_query={
                "id": f"cb{next(self._updates)}",
                "chat_instance": "ci",
                "data": data,
                "from": {"id": chat, "is_bot": False, "first_name": "市民"},
                "message": message,
            }
        )

    def history(self, chat: int = CHAT) -> list[tuple[str, str, str]]:
        return [(r.direction, r.sender, r.text) for r in self.store.history(f"tg:{chat}")]


@pytest.fixture()
def tg(tmp_path) -> Harness:
    h = Harness(tmp_path)
    yield h
    h.db.dispose()


BUTTONS = (Button("对", "/affirm"), Button("不对", "/deny"))
