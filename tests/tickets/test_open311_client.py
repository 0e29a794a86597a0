"""A GeoReport v2 client from PyPI (`georeport`) against the gateway on a real uvicorn socket, in
both formats it speaks: list services, read a definition, post a request (the client has no POST:
a plain form post, as the spec describes it), get it back, list requests."""

import pytest
import requests
from georeport import GeoReport

from app import create_app
from core.settings import Settings
from tests.helpers import free_port, served

KEY = "georeport-key-0123456789"


@pytest.fixture(scope="module")
def root_address(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("georeport")
    settings = Settings(
        database_url=f"sqlite:///{var_dir / 'hotline.db'}",
        api_keys=KEY,
        var_dir=var_dir,
        rasa_port=1,
        audiosocket_port=free_port(),
    )
    with served(create_app(settings)) as base_url:
        yield f"{base_url}/open311/v2"


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_client_round_trip(root_address, output_format):
    client = GeoReport(root_address, api_key=KEY, output_format=output_format)
    services = client.get_service_list()
    assert len(services) > 100
    service = next(s for s in services if s["group"] == "城乡建设")
    definition = client.get_service_definition(service["service_code"])
    assert definition["service_code"] == service["service_code"]

    form = {
        "api_key": client.api_key,
        "service_code": service["service_code"],
        "attribute[district]": "西城区",
        "description": f"楼道里堆满杂物，存在消防隐患（{output_format}）",
        "email": "zhang@example.com",
        "media_url": "https://img.example.com/a.jpg",
        "jurisdiction_id": "beijing",
    }
    resp = requests.post(f"{root_address}/requests.{output_format}", data=form, timeout=30)
    assert resp.status_code == 201, resp.text
    number = (
        resp.json()[0]["service_request_id"]
        if output_format == "json"
        else resp.text.split("<service_request_id>")[1].split("<")[0]
    )

    single = client.get_service_request(number)
    assert single["service_request_id"] == number and single["status"] == "open"
    assert single["media_url"] == "https://img.example.com/a.jpg"
    assert single["extended_attributes"]["district"] == "西城区"
    assert "zhang@example.com" not in str(single)

    listed = client.get_service_requests(service_code=service["service_code"], status="open")
    listed = [listed] if isinstance(listed, dict) else listed  # xmltodict: one <request> is not a list
    assert number in [r["service_request_id"] for r in listed]
    by_ids = client.get_service_requests(service_request_id=f"{number},00000000000")
    by_ids = [by_ids] if isinstance(by_ids, dict) else by_ids
    assert [r["service_request_id"] for r in by_ids] == [number]

    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_definition("999999")
    assert refused.value.response.status_code == 404
