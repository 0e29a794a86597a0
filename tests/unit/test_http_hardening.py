"""Security headers on every response (a CSP per page: the chat page frameable only by the
configured widget origins, everything else by no one) and /healthz details only with the API key."""

import pytest
from fastapi.testclient import TestClient

from app import create_app
from core.security_headers import widget_origins
from core.settings import Settings
from tests.helpers import free_port

KEY = "hardening-key-0123456789"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    dead = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("hardening"),
        rasa_url=dead,
        action_server_url=dead,
        api_keys=KEY,
        engine_timeout_s=2,
        kb_dense=False,
        kb_watch=False,
        widget_origins="https://www.example.gov.cn, http://127.0.0.1:8123",
    )
    with TestClient(create_app(settings)) as c:
        yield c


def csp(resp) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in resp.headers["content-security-policy"].split("; ")}


def test_the_chat_page_is_frameable_only_by_the_widget_origins(client):
    resp = client.get("/")
    policy = csp(resp)
    assert policy["frame-ancestors"] == "'self' https://www.example.gov.cn http://127.0.0.1:8123"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'" and policy["object-src"] == "'none'"
    assert resp.headers["x-content-type-options"] == "nosniff" and resp.headers["referrer-policy"] == "same-origin"
    assert "x-frame-options" not in resp.headers


@pytest.mark.parametrize("path", ["/agent", "/healthz", "/static/chat.js", "/api/tickets", "/no-such-page"])
def test_every_other_response_refuses_framing(client, path):
    resp = client.get(path)
    assert csp(resp)["frame-ancestors"] == "'none'" and resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_pages_have_no_inline_scripts_or_styles(client):
    for path in ("/", "/agent"):
        html = client.get(path).text
        assert "<style" not in html and " style=" not in html and " onclick=" not in html
        assert all("src=" in tag for tag in html.split("<script")[1:]), "only external scripts"


def test_widget_origins_are_checked():
    assert widget_origins(None) == ("'self'",)
    assert widget_origins("https://a.example.cn/,http://b:81") == ("'self'", "https://a.example.cn", "http://b:81")
    for bad in ("*", "https://a.cn; script-src *", "javascript:alert(1)", "a.example.cn"):
        with pytest.raises(ValueError, match="HOTLINE_WIDGET_ORIGINS"):
            widget_origins(bad)


def test_healthz_details_only_with_the_api_key(client):
    public = client.get("/healthz").json()
    assert set(public) == {"status", "components"} and public["status"] == "degraded"
    assert public["components"]["rasa"] == {"ok": False} and public["components"]["database"] == {"ok": True}
    assert all(set(c) == {"ok"} for c in public["components"].values())
    assert "127.0.0.1" not in str(public)
    wrong = client.get("/healthz", headers={"Authorization": "Bearer wrong-key-0123456789"}).json()
    assert wrong == public
    detailed = client.get("/healthz", headers={"Authorization": f"Bearer {KEY}"}).json()
    assert detailed["components"]["action_server"]["url"].startswith("http://127.0.0.1:")
    assert detailed["components"]["database"]["dialect"] == "sqlite"
