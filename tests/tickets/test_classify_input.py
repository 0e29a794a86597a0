"""/api/classify refuses bad input with clear errors: control characters and malformed JSON are
422 without the text echoed back, an oversized body is 413 before it is parsed."""

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from places.gazetteer import Gazetteer
from tickets import classify_route
from tickets.category_catalog import CategoryCatalog

PHONE, ID_NUMBER = "13911112222", "110101199003071234"


async def no_intent(_text: str) -> None:
    return None


@pytest.fixture(scope="module")
def client():
    catalog = CategoryCatalog.load()
    app = FastAPI()
    app.state.catalog, app.state.gazetteer, app.state.category_of = catalog, Gazetteer.builtin(), lambda _t: None
    app.state.intent_of, app.state.request_type_of = no_intent, lambda _text, _intent: "complain"
    app.include_router(classify_route.router)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_control_characters_are_a_clear_422_without_echo(client, caplog):
    with caplog.at_level(logging.INFO):
        resp = client.post("/api/classify", json={"text": f"我电话{PHONE}\x00身份证{ID_NUMBER}"})
    assert resp.status_code == 422
    [error] = resp.json()["detail"]
    assert error["loc"] == ["body", "text"] and "control characters" in error["msg"]
    assert PHONE not in resp.text and ID_NUMBER not in resp.text and "input" not in error
    assert "Traceback" not in caplog.text and PHONE not in caplog.text


def test_malformed_json_is_422(client):
    json_type = {"content-type": "application/json"}
    resp = client.post("/api/classify", content='{"text": "电话13911112222'.encode(), headers=json_type)
    assert resp.status_code == 422 and resp.json()["detail"][0]["type"] == "json_invalid" and PHONE not in resp.text
    undecodable = client.post("/api/classify", content=b'{"text": "\xff"}', headers=json_type)
    assert undecodable.status_code == 400


def test_huge_bodies_are_refused_before_parsing(client):
    huge = b'{"text": "' + b"a" * (50 * 1024 * 1024) + b'"}'
    resp = client.post("/api/classify", content=huge, headers={"content-type": "application/json"})
    assert resp.status_code == 413 and len(resp.content) < 200

    def chunks():  # no Content-Length: counted while streaming
        yield b'{"text": "'
        for _ in range(200):
            yield b"a" * 65536
        yield b'"}'

    resp = client.post("/api/classify", content=chunks(), headers={"content-type": "application/json"})
    assert resp.status_code == 413 and len(resp.content) < 200


def test_good_input_still_classified(client):
    resp = client.post(
        "/api/classify", json={"text": "我要投诉 朝阳区望京西园三区楼下烧烤店油烟太大\n天天呛得没法开窗"}
    )
    assert resp.status_code == 200 and resp.json()["district"] == "朝阳区"
    too_long = client.post("/api/classify", json={"text": "字" * 5000})
    assert too_long.status_code == 422 and "字字字" not in too_long.text
