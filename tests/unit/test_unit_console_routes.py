"""The unit console's page and static files, on a bare app (no stack): the page loads only
same-origin modules (the gateway's CSP allows nothing else) and every module it imports exists."""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.agent.routes import STATIC_DIR as AGENT_STATIC
from channels.unit.routes import STATIC_DIR, include_unit_console


def test_page_and_static_files_are_served():
    app = FastAPI()
    include_unit_console(app)
    client = TestClient(app)
    page = client.get("/unit")
    assert page.status_code == 200 and "承办单位办理台" in page.text
    assert not re.search(r"https?://", page.text)  # no CDN
    for path in re.findall(r'(?:src|href)="(/unit/static/[^"]+)"', page.text):
        assert client.get(path).status_code == 200, path
    assert "javascript" in client.get("/unit/static/unit.js").headers["content-type"]


def test_imported_modules_exist():
    source = (STATIC_DIR / "unit.js").read_text(encoding="utf-8")
    imports = re.findall(r"from '([^']+)'", source)
    assert imports, "unit.js imports the shared helpers"
    for spec in imports:
        assert spec.startswith("/agent/static/"), spec
        assert (AGENT_STATIC / spec.removeprefix("/agent/static/")).is_file(), spec
