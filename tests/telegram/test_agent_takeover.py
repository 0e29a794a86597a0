"""Agent takeover over Telegram: a real `hotline serve` process with the Telegram channel pointed at
a local Bot API server; the citizen asks for a person with /human, an agent takes the conversation
through the desk API and writes, and the words arrive as sendMessage; the citizen's next message
goes to the agent, not to the bot; release hands back to the bot."""

import asyncio

import pytest

from conversation.store import ConversationStore
from core.db import make_engine
from tests.agent.live import AgentClient, add_agent, start_gateway
from tests.telegram.conftest import TOKEN
from tests.telegram.fake_bot_api import FakeBotApi

CHAT = 60606
USER = {"id": CHAT, "is_bot": False, "first_name": "市民"}


def message(message_id: int, text: str) -> dict:
    content = {
        "message_id": message_id,
        "date": 1700000000,
        "chat": {"id": CHAT, "type": "private"},
        "from": USER,
        "text": text,
    }
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return content


async def until_sent(fake: FakeBotApi, text: str, timeout: float = 10) -> list:
    """The sendMessage calls whose text starts with `text`, once there is one."""
    async with asyncio.timeout(timeout):
        while not (found := [c for c in fake.of("sendMessage") if c.params["text"].startswith(text)]):
            await asyncio.sleep(0.05)
    return found


@pytest.fixture()
async def fake():
    server = await FakeBotApi(TOKEN).start()
    yield server
    await server.stop()


async def test_an_agent_takes_a_telegram_conversation_and_writes_to_the_citizen(tmp_path, fake):
    gateway = await asyncio.to_thread(
        start_gateway, tmp_path, HOTLINE_TELEGRAM_TOKEN=TOKEN, HOTLINE_TELEGRAM_API_URL=fake.url
    )
    agent = None
    try:
        await fake.wait_for("getUpdates", timeout=30)
        await fake.push(message=message(1, "/human"))
        [queued] = await fake.wait_for("sendMessage", timeout=20)
        assert "人工" in queued.params["text"]

        await asyncio.to_thread(add_agent, gateway.env, "alice")
        agent = await AgentClient.login(gateway.http, "alice")
        conv = f"tg:{CHAT}"
        assert conv in [c["conversation_id"] for c in (await agent.get("/api/agent/queue")).json()["items"]]
        assert (await agent.post(agent.conv(conv, "take"))).status_code == 200
        await until_sent(fake, "人工客服已接入")
        assert (
            await agent.post(agent.conv(conv, "messages"), json={"text": "您好，我是人工客服，请讲。"})
        ).status_code == 200
        [words] = await until_sent(fake, "人工客服：您好，我是人工客服，请讲。")
        assert int(words.params["chat_id"]) == CHAT

        before = len(fake.of("sendMessage"))
        await fake.push(message=message(2, "我家楼下烧烤店太吵了"))
        db = make_engine(f"sqlite:///{tmp_path / 'hotline.db'}")
        store = ConversationStore(db)
        async with asyncio.timeout(10):
            while "我家楼下烧烤店太吵了" not in [m.text for m in store.history(conv)]:
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        assert len(fake.of("sendMessage")) == before, "in agent mode the bot does not answer"
        detail = (await agent.get(agent.conv(conv))).json()
        assert "我家楼下烧烤店太吵了" in str(detail), "the agent sees the citizen's message"

        assert (await agent.post(agent.conv(conv, "release"))).status_code == 200
        await until_sent(fake, "已转回智能客服")
        db.dispose()
    finally:
        if agent is not None:
            await agent.close()
        await asyncio.to_thread(gateway.stop)
