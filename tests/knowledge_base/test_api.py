"""The knowledge-base HTTP API through the real gateway app (lifespan, SQLite database, e5 model)."""

import pytest
from fastapi.testclient import TestClient

from app import create_app
from core.settings import Settings
from tests.helpers import free_port
from tests.knowledge_base.conftest import ARTICLES

KEY = "kb-test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}", "X-Actor": "editor wang"}


@pytest.fixture()
def client(tmp_path, articles_dir, vector_cache_dir):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'kb.db'}",
        api_keys=KEY,
        var_dir=tmp_path,
        rasa_port=1,
        kb_articles_dir=articles_dir,
        kb_cache_dir=vector_cache_dir,
        kb_watch=False,
        audiosocket_port=free_port(),
    )
    with TestClient(create_app(settings)) as c:
        yield c


def search(client, text, **extra):
    resp = client.post("/api/kb/search", json={"text": text, **extra})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_search_answers_with_source_and_dates(client):
    body = search(client, "暂住证怎么办理？")
    assert body["decision"] == "answer" and body["facet"] is None and body["took_ms"] >= 0
    top = body["results"][0]
    assert top["id"] == "residence-permit-apply" and top["topic"] == "residence"
    assert top["source"] == {**ARTICLES[0]["source"], "article": None} and top["last_reviewed"] == "2026-11-01"
    assert top["effective_from"] is None and top["effective_until"] is None
    assert top["answer_short"] and top["answer"] and 0 < top["score"] <= 1
    assert top["details"]["materials"].startswith("1. 本人身份证")
    assert len(body["results"]) <= 3


def test_follow_up_and_top_k(client):
    body = search(client, "那要带什么材料？", context_article="residence-permit-apply")
    assert (body["decision"], body["facet"]) == ("answer", "materials")
    assert [r["id"] for r in body["results"]] == ["residence-permit-apply"]
    assert len(search(client, "公积金怎么提取", top_k=1)["results"]) == 1


def test_nothing_fits(client):
    body = search(client, "火星上能种土豆吗")
    assert (body["decision"], body["facet"], body["results"]) == ("none", None, [])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": ""}, "text must not be empty"),
        ({"text": "   "}, "text must not be empty"),
        ({"text": "长" * 501}, "at most 500 characters"),
        ({}, "Field required"),
        ({"text": "低保", "top_k": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_search_input_is_422_in_english(client, body, message):
    resp = client.post("/api/kb/search", json=body)
    assert resp.status_code == 422 and message in resp.text


def test_admin_api_needs_a_key(client):
    for method, path in [
        ("GET", "/api/kb/articles/heating-not-warm"),
        ("PUT", "/api/kb/articles/x"),
        ("DELETE", "/api/kb/articles/heating-not-warm"),
        ("GET", "/api/kb/articles/heating-not-warm/versions"),
    ]:
        for headers in ({}, {"Authorization": "Bearer wrong-key-0123456789"}, {"Authorization": KEY}):
            resp = client.request(method, path, headers=headers, json=ARTICLES[0])
            assert resp.status_code == 401, (method, path, headers)


def test_update_add_retire_with_versions(client):
    assert client.get("/api/kb/articles/heating-not-warm", headers=AUTH).json()["origin"] == "file"
    changed = {
        **ARTICLES[2],
        "questions": [*ARTICLES[2]["questions"], "地暖冰凉怎么回事"],
        "keywords": ["地暖冰凉"],
        "answer": "地暖冰凉时先检查分水器阀门是否打开。" + ARTICLES[2]["answer"],
    }
    resp = client.put("/api/kb/articles/heating-not-warm", headers=AUTH, json=changed)
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 1 and resp.json()["action"] == "update"
    assert search(client, "地暖冰凉怎么回事")["results"][0]["id"] == "heating-not-warm"

    new = {
        **ARTICLES[3],
        "id": "elderly-meal-subsidy",
        "title": "老年餐补贴",
        "questions": ["老年餐有补贴吗"],
        "keywords": ["老年餐", "助餐"],
        "answer": "60岁以上老人在社区养老助餐点就餐可享受补贴。",
        "answer_short": "60岁以上老人在社区助餐点就餐可享受补贴。",
    }
    del new["id"]  # the path names it
    resp = client.put("/api/kb/articles/elderly-meal-subsidy", headers=AUTH, json=new)
    assert resp.status_code == 200 and resp.json()["action"] == "add"
    found = search(client, "老年餐有没有补贴")
    assert found["decision"] == "answer" and found["results"][0]["id"] == "elderly-meal-subsidy"
    assert client.delete("/api/kb/articles/elderly-meal-subsidy", headers=AUTH).status_code == 200
    retired = client.get("/api/kb/articles/elderly-meal-subsidy", headers=AUTH).json()
    assert (retired["status"], retired["origin"], retired["title"]) == ("retired", "admin", "老年餐补贴")
    assert all(r["id"] != "elderly-meal-subsidy" for r in search(client, "老年餐有没有补贴")["results"])

    resp = client.delete("/api/kb/articles/heating-not-warm", headers=AUTH)
    assert resp.status_code == 200 and resp.json()["version"] == 2
    assert all(r["id"] != "heating-not-warm" for r in search(client, "暖气不热怎么办")["results"])
    assert client.delete("/api/kb/articles/heating-not-warm", headers=AUTH).status_code == 409
    got = client.get("/api/kb/articles/heating-not-warm", headers=AUTH).json()
    assert (got["status"], got["served"], got["origin"]) == ("retired", False, "admin")

    history = client.get("/api/kb/articles/heating-not-warm/versions", headers=AUTH).json()["versions"]
    assert [(v["version"], v["action"]) for v in history] == [(1, "update"), (2, "retire")]
    assert history[0]["actor"].startswith("editor wang (key:") and history[0]["created_at"].endswith("Z")
    assert history[0]["article"]["keywords"] == ["地暖冰凉"] and history[1]["article"] is None

    resp = client.put("/api/kb/articles/heating-not-warm", headers=AUTH, json=ARTICLES[2])  # back in service
    assert resp.json()["status"] == "served" and resp.json()["version"] == 3
    assert search(client, "暖气不热怎么办")["results"][0]["id"] == "heating-not-warm"


def test_who_handles_it_is_referred_to_the_unit_with_the_article_beside(client):
    body = search(client, "暖气不热找谁")
    assert body["decision"] == "refer" and body["results"] == [], body
    assert body["referral"]["unit_name"] == "北京市热力集团" and "96069" in body["referral"]["contact"]
    assert body["related"] == [{"id": "heating-not-warm", "title": "暖气不热怎么办"}]
    plain = search(client, "暖气不热怎么办")
    assert plain["decision"] == "answer" and plain["referral"] is None, "only a who-question is referred"


def test_admin_errors(client):
    assert client.get("/api/kb/articles/nope", headers=AUTH).status_code == 404
    assert client.delete("/api/kb/articles/nope", headers=AUTH).status_code == 404
    assert client.get("/api/kb/articles/nope/versions", headers=AUTH).status_code == 404
    resp = client.put("/api/kb/articles/other-id", headers=AUTH, json=ARTICLES[0])
    assert resp.status_code == 422 and "differs from the path id" in resp.text
    resp = client.put("/api/kb/articles/no-answer", headers=AUTH, json={**ARTICLES[0], "id": "no-answer", "answer": ""})
    assert resp.status_code == 422 and "answer" in resp.json()["detail"]
    expired = client.get("/api/kb/articles/heating-subsidy-2020", headers=AUTH).json()
    assert (expired["status"], expired["served"]) == ("expired", False)
    assert client.get("/api/kb/articles/future-parking-rule", headers=AUTH).json()["status"] == "not_yet_effective"


def test_healthz_shows_the_knowledge_base(client):
    assert client.get("/healthz").json()["components"]["knowledge_base"] == {"ok": True}  # details need the key
    kb = client.get("/healthz", headers=AUTH).json()["components"]["knowledge_base"]
    assert kb["ok"] and kb["articles"] == len(ARTICLES) - 2 and kb["dense"] and kb["bad_files"] == 0
