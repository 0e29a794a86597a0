"""Open311 as GeoReport v2 says: errors as `[{code, description}]` (XML `<errors>`) on its own
routes only, `.xml` beside `.json`, comma lists, the 90-day default window, the POST fields the spec
allows kept (personal ones never public), and per-address and size limits on POST."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import create_app
from core.clock import utcnow
from core.settings import Settings
from tickets.category_catalog import CategoryCatalog
from tickets.crud import WorkOrderRepository
from tickets.models import Open311Submission, WorkOrder

KEY = "test-key-0123456789abcdef"
CATALOG = CategoryCatalog.load()
STREET, CITY = (next(c for c in CATALOG if c.scope == s) for s in ("street", "city"))


def make_client(db, tmp_path, **overrides):
    settings = Settings(
        database_url=db.url.render_as_string(hide_password=False),
        api_keys=KEY,
        var_dir=tmp_path,
        rasa_port=1,
        **overrides,
    )
    return TestClient(create_app(settings))


@pytest.fixture()
def client(db, tmp_path):
    with make_client(db, tmp_path) as c:
        yield c


def post(client, fmt="json", **fields):
    form = {
        "api_key": KEY,
        "service_code": STREET.code,
        "description": "小区门口的路灯坏了一个月了",
        "attribute[district]": "海淀区",
        "attribute[street]": "中关村街道",
    }
    form.update(fields)
    return client.post(f"/open311/v2/requests.{fmt}", data=form)


def assert_error(resp, status):
    assert resp.status_code == status, resp.text
    [err] = resp.json()
    assert err["code"] == status and err["description"] and set(err) == {"code", "description"}


def test_errors_are_georeport_errors_on_open311_only(client):
    assert_error(client.get("/open311/v2/requests.json", params={"start_date": "yesterday"}), 400)
    assert_error(client.get("/open311/v2/requests.json", params={"status": "pending"}), 400)
    assert_error(post(client, api_key="wrong"), 403)
    assert_error(post(client, description=None), 400)  # a required field missing
    assert_error(post(client, email="not-an-address"), 400)
    assert_error(post(client, media_url="javascript:alert(1)"), 400)
    assert_error(client.get("/open311/v2/services/999999.json"), 404)
    assert_error(client.get("/open311/v2/services.txt"), 404)
    assert_error(client.get("/open311/v2/nothing-here.json"), 404)
    bad = client.get("/open311/v2/requests.xml", params={"end_date": "x"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/xml")
    error = ET.fromstring(bad.content)
    assert error.tag == "errors" and error.find("error/code").text == "400" and error.find("error/description").text
    # the rest of the gateway keeps FastAPI's own errors
    assert "detail" in client.get("/api/tickets", params={"page": 0}, headers={"Authorization": f"Bearer {KEY}"}).json()


def test_xml_for_every_operation(client):
    services = ET.fromstring(client.get("/open311/v2/services.xml").content)
    assert services.tag == "services" and len(services.findall("service")) == len(CATALOG.by_code)
    assert services.find("service/service_code").text and services.find("service/metadata").text == "true"
    definition = ET.fromstring(client.get(f"/open311/v2/services/{STREET.code}.xml").content)
    assert definition.tag == "service_definition" and definition.find("service_code").text == STREET.code
    assert {a.find("code").text for a in definition.findall("attributes/attribute")} >= {"district", "street"}
    assert "朝阳区" in [v.find("key").text for v in definition.findall("attributes/attribute/values/value")]

    created = post(client, "xml", account_id="acct-7")
    assert created.status_code == 201 and created.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(created.content)
    assert root.tag == "service_requests" and root.find("request/account_id").text == "acct-7"
    number = root.find("request/service_request_id").text
    [single] = ET.fromstring(client.get(f"/open311/v2/requests/{number}.xml").content).findall("request")
    assert single.find("service_request_id").text == number and single.find("status").text == "open"
    assert single.find("extended_attributes/district").text == "海淀区"
    listed = ET.fromstring(client.get("/open311/v2/requests.xml").content)
    assert [r.find("service_request_id").text for r in listed.findall("request")] == [number]


def test_comma_lists_of_ids_and_service_codes(client):
    first = post(client).json()[0]["service_request_id"]
    second = post(client, service_code=CITY.code).json()[0]["service_request_id"]
    codes = client.get("/open311/v2/requests.json", params={"service_code": f"{STREET.code},{CITY.code}"}).json()
    assert {r["service_request_id"] for r in codes} == {first, second}
    one = client.get("/open311/v2/requests.json", params={"service_code": f"{CITY.code},999999"}).json()
    assert [r["service_request_id"] for r in one] == [second]
    ids = client.get("/open311/v2/requests.json", params={"service_request_id": f"{first}, {second},00000000000"})
    assert {r["service_request_id"] for r in ids.json()} == {first, second}
    both = client.get("/open311/v2/requests.json", params={"status": "closed,open"}).json()
    assert len(both) == 2


def test_spec_fields_are_kept_and_personal_ones_never_public(client, db):
    fields = {
        "email": "li.ming@example.com",
        "media_url": "https://img.example.com/lamp.jpg",
        "phone": "13812345678",
        "device_id": "device-42",
        "account_id": "acct-42",
        "first_name": "明",
        "last_name": "李",
    }
    created = post(client, **fields)
    assert created.status_code == 201, created.text
    assert created.json()[0]["account_id"] == "acct-42"
    number = created.json()[0]["service_request_id"]
    [req] = client.get(f"/open311/v2/requests/{number}.json").json()
    assert req["media_url"] == "https://img.example.com/lamp.jpg"
    assert req["extended_attributes"]["contact_email"] == "l***@example.com"
    assert req["extended_attributes"]["contact_phone"] == "138****5678"
    for body in (client.get("/open311/v2/requests.json").text, client.get("/open311/v2/requests.xml").text):
        for secret in ("li.ming@example.com", "13812345678", "device-42", "李明"):
            assert secret not in body
    with Session(db) as session:
        order = session.exec(select(WorkOrder).where(WorkOrder.number == number)).one()
        extra = session.exec(select(Open311Submission)).one()
    assert order.contact_name == "李明" and order.contact_phone == "13812345678"
    assert (extra.work_order_id, extra.email, extra.device_id) == (order.id, "li.ming@example.com", "device-42")


def test_list_defaults_to_the_last_90_days(client, db):
    old = post(client).json()[0]["service_request_id"]
    recent = post(client).json()[0]["service_request_id"]
    with Session(db) as session:
        order = session.exec(select(WorkOrder).where(WorkOrder.number == old)).one()
        order.created_at = utcnow() - timedelta(days=120)
        session.add(order)
        session.commit()
    listed = [r["service_request_id"] for r in client.get("/open311/v2/requests.json").json()]
    assert listed == [recent]
    since = (utcnow() - timedelta(days=150)).isoformat()
    older = client.get("/open311/v2/requests.json", params={"start_date": since}).json()
    assert {r["service_request_id"] for r in older} == {old, recent}
    until = (utcnow() - timedelta(days=100)).isoformat()
    assert [
        r["service_request_id"] for r in client.get("/open311/v2/requests.json", params={"end_date": until}).json()
    ] == [old]
    assert client.get("/open311/v2/requests.json", params={"end_date": "0001-01-01T00:00:00Z"}).json() == []
    assert (
        client.get("/open311/v2/requests.json", params={"service_request_id": old}).json()[0]["service_request_id"]
        == old
    )


def test_post_is_limited_per_address_and_in_size(db, tmp_path):
    with make_client(db, tmp_path, open311_post_burst=2, open311_post_per_s=0.01) as client:
        assert [post(client).status_code for _ in range(2)] == [201, 201]
        limited = post(client)
        assert_error(limited, 429)
        assert int(limited.headers["Retry-After"]) >= 1
        assert client.get("/open311/v2/requests.json").status_code == 200  # reading is not limited
        assert len(client.get("/open311/v2/requests.json").json()) == 2
    with make_client(db, tmp_path) as client:
        huge = post(client, description="字" * 40_000)
        assert_error(huge, 413)
        assert "字字字" not in huge.text


def test_classify_is_limited_per_address(db, tmp_path):
    with make_client(db, tmp_path, classify_burst=1, classify_per_s=0.01) as client:
        text = {"text": "朝阳区望京西园三区楼下烧烤店油烟太大"}
        assert client.post("/api/classify", json=text).status_code == 200
        limited = client.post("/api/classify", json=text)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert "detail" in limited.json()


def test_repository_keeps_the_submission_in_the_orders_transaction(repo):
    from tests.tickets.conftest import work_order_data

    order = repo.create(work_order_data(), "open311", Open311Submission(email="a@b.cn", media_url=None))
    assert repo.submissions([order.id])[order.id].email == "a@b.cn"
    assert repo.submissions([]) == {} and isinstance(repo, WorkOrderRepository)
