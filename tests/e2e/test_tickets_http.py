"""The ticket APIs over real HTTP on the running gateway, with the key it generated itself."""

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_open311_round_trip_with_the_generated_key(stack):
    key = (stack.var_dir / "secrets" / "api_key").read_text().strip()
    services = httpx.get(f"{stack.http}/open311/v2/services.json").json()
    code = next(s["service_code"] for s in services if s["group"] == "城乡建设")
    form = {
        "api_key": key,
        "service_code": code,
        "description": "<b>楼道</b>里堆满杂物，存在消防隐患",
        "attribute[district]": "西城区",
        "phone": "010-66123456",
    }
    created = httpx.post(f"{stack.http}/open311/v2/requests.json", data=form)
    assert created.status_code == 201, created.text
    number = created.json()[0]["service_request_id"]

    [req] = httpx.get(f"{stack.http}/open311/v2/requests/{number}.json").json()
    assert req["description"] == "<b>楼道</b>里堆满杂物，存在消防隐患"
    assert req["extended_attributes"]["district"] == "西城区"

    listed = httpx.get(
        f"{stack.http}/api/tickets", params={"district": "西城区"}, headers={"Authorization": f"Bearer {key}"}
    ).json()
    assert number in [t["number"] for t in listed["items"]]
    assert httpx.post(f"{stack.http}/open311/v2/requests.json", data={**form, "api_key": "x" * 20}).status_code == 403


def test_classify_with_the_served_nlu(stack):
    body = httpx.post(
        f"{stack.http}/api/classify", json={"text": "我要举报 海淀区清河那边有个小作坊 晚上偷偷往河里排污水"}
    ).json()
    assert body["request_type"] == "report"
    assert body["district"] == "海淀区" and body["category"][0] == "环境保护"
