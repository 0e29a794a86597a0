"""The Content-Security-Policy in a real headless Chromium: the chat page works under it (no
violation, a full turn), the agent console and the chat page refuse to be framed by a site that
is not listed in HOTLINE_WIDGET_ORIGINS."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FRAMING_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>别的网站</title></head>
<body><iframe id="console" src="{gateway}/agent"></iframe><iframe id="chat" src="{gateway}/?embed=1"></iframe>
</body></html>"""


@pytest.fixture(scope="module")
def unlisted_site(stack):
    body = FRAMING_PAGE.format(gateway=stack.http).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # a port HOTLINE_WIDGET_ORIGINS does not list
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_chat_page_works_under_its_csp(stack, browser):
    page = browser.new_page(locale="zh-CN")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    resp = page.goto(stack.http + "/")
    assert "frame-ancestors 'self' http://127.0.0.1:" in resp.headers["content-security-policy"]
    page.wait_for_selector('#conn[data-state="open"]')
    page.fill("#input", "你好")
    page.press("#input", "Enter")
    page.wait_for_selector(".msg-bot >> text=12345市民服务热线")
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "", "the stylesheet applies"
    assert violations == []
    page.close()


def test_console_and_chat_page_refuse_an_unlisted_site(stack, browser, unlisted_site):
    page = browser.new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None)
    page.goto(unlisted_site)
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    frames = {f.name or f.url: f.url for f in page.frames[1:]}
    assert all(not url.startswith(stack.http) for url in frames.values()), frames  # error pages, not ours
    assert any("'none'" in text for text in refused) and len(refused) == 2, refused
    page.close()
