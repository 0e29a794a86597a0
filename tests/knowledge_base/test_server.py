"""The whole gateway app on a real uvicorn socket: search and admin over real HTTP, and a file
edit picked up by the app's own watcher (started in its lifespan) without a restart."""

import asyncio
import time

import httpx
import uvicorn
import yaml

from app import create_app
from core.settings import Settings
from tests.helpers import free_port
from tests.knowledge_base.conftest import ARTICLES

KEY = "kb-server-key-0123456789"


async def test_search_admin_and_file_edit_over_a_real_socket(tmp_path, articles_dir, vector_cache_dir):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'kb.db'}",
        api_keys=KEY,
        var_dir=tmp_path,
        rasa_port=1,
        kb_articles_dir=articles_dir,
        kb_cache_dir=vector_cache_dir,
        kb_watch=True,
        audiosocket_port=free_port(),
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(60):
            while not server.started:
                await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            found = (await http.post("/api/kb/search", json={"text": "低保怎么申请"})).json()
            assert found["decision"] == "answer" and found["results"][0]["id"] == "low-income-assistance"

            auth = {"Authorization": f"Bearer {KEY}"}
            body = {**ARTICLES[3], "keywords": ["低保", "社会救助", "救助申请"]}
            assert (
                await http.put("/api/kb/articles/low-income-assistance", json=body, headers=auth)
            ).status_code == 200
            versions = (await http.get("/api/kb/articles/low-income-assistance/versions", headers=auth)).json()
            assert [v["action"] for v in versions["versions"]] == ["update"]

            path = articles_dir / "transit" / "transit-card.yml"
            article = yaml.safe_load(path.read_text(encoding="utf-8"))
            article["questions"].append("学生卡毕业了怎么注销")
            article["keywords"].append("学生卡注销")
            path.write_text(yaml.safe_dump(article, allow_unicode=True), encoding="utf-8")
            deadline = time.monotonic() + 20
            while True:
                top = (await http.post("/api/kb/search", json={"text": "学生卡毕业了怎么注销"})).json()["results"]
                if top and top[0]["id"] == "transit-card" and "学生卡注销" in top[0]["keywords"]:
                    break
                assert time.monotonic() < deadline, "the edited file was not served"
                await asyncio.sleep(0.2)
            keyed = {"Authorization": f"Bearer {KEY}"}  # /healthz details need the key
            health = (await http.get("/healthz", headers=keyed)).json()["components"]["knowledge_base"]
            assert health["ok"] and health["articles"] == len(ARTICLES) - 2
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)
