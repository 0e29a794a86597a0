"""On the real stack (`hotline up`): citizens' data files are the service user's only (0600), and
/healthz tells the public only whether each component is ok."""

import stat

import httpx
import pytest

from tests.helpers import ChatClient

pytestmark = pytest.mark.e2e


async def test_data_files_and_logs_are_private(stack):
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    await chat.say("你好，我电话是13812345678")  # the database and the logs now hold a citizen's words
    await chat.close()
    files = [
        stack.var_dir / "hotline.db",
        *stack.var_dir.glob("hotline.db-*"),
        *(stack.var_dir / "log").glob("*.log"),
        *(stack.var_dir / "rasa").glob("tracker.db*"),
    ]
    assert any(p.name == "hotline.db-wal" for p in files) and any(p.suffix == ".log" for p in files)
    modes = {str(p.relative_to(stack.var_dir)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert modes == dict.fromkeys(modes, "0o600")


def test_public_healthz_has_no_details(stack):
    public = httpx.get(f"{stack.http}/healthz").json()
    assert public["status"] == "ok" and all(c == {"ok": True} for c in public["components"].values())
    key = (stack.var_dir / "secrets" / "api_key").read_text().strip()
    detailed = httpx.get(f"{stack.http}/healthz", headers={"Authorization": f"Bearer {key}"}).json()
    assert detailed["components"]["action_server"]["url"].startswith("http://127.0.0.1:")
