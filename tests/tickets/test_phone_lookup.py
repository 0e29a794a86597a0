"""`/api/tickets?phone=` answers only with the gateway's proof of a number a channel verified
(caller ID, own Telegram contact): the API key alone, a forged or an expired proof get 403."""

import time

import pytest
from fastapi.testclient import TestClient

from app import create_app
from core.phone_proof import PhoneProof
from core.settings import Settings
from tests.tickets.conftest import work_order_data

KEY = "test-key-0123456789abcdef"
SECRET = "Zq8vN3xLr5Tw1Ky7Pb2Hm6Jd4Fs9Gc0Ae"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture()
def client(db, tmp_path):
    settings = Settings(
        database_url=db.url.render_as_string(hide_password=False),
        api_keys=KEY,
        var_dir=tmp_path,
        rasa_port=1,
        agent_token_secret=SECRET,
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_proof_round_trip():
    proofs = PhoneProof(SECRET, ttl_s=60)
    proof = proofs.issue("13812345678", now=1000)
    assert proofs.verify("13812345678", proof, now=1059)
    assert not proofs.verify("13812345678", proof, now=1061)  # expired
    assert not proofs.verify("13900000000", proof, now=1000)  # another number
    assert not PhoneProof("another-secret-of-32-characters!!", ttl_s=60).verify("13812345678", proof, now=1000)
    assert not proofs.verify("13812345678", None) and not proofs.verify("13812345678", "x.y")


def test_phone_lookup_needs_a_valid_proof(client, repo):
    mine = repo.create(work_order_data(contact_phone="13812345678"), "test")
    repo.create(work_order_data(contact_phone="13900000000"), "test")
    proofs = PhoneProof(SECRET)

    def lookup(**params):
        return client.get("/api/tickets", params={"phone": "13812345678", **params}, headers=AUTH)

    assert lookup().status_code == 403
    assert lookup(phone_proof="4102444800.deadbeef").status_code == 403
    assert lookup(phone_proof=proofs.issue("13900000000")).status_code == 403
    assert lookup(phone_proof=proofs.issue("13812345678", now=time.time() - 3600)).status_code == 403
    resp = lookup(phone_proof=proofs.issue("13812345678"))
    assert resp.status_code == 200 and [o["number"] for o in resp.json()["items"]] == [mine.number]


def test_huge_pages_are_refused_not_overflowed(client):
    assert client.get("/api/tickets", params={"page": 10**30}, headers=AUTH).status_code == 422
    assert client.get("/api/tickets", params={"page": 100_001}, headers=AUTH).status_code == 422
    assert client.get("/api/tickets", params={"page": 100_000, "page_size": 200}, headers=AUTH).status_code == 200
