"""Embedding: a page of another site (served from a different local port) adds the widget with one
<script> tag; the floating button opens the hotline's chat in an iframe that talks to the real
stack. The host page's CSS cannot restyle the button (shadow root)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.web.browser import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

HOST_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>北京市某区人民政府</title>
<style>
  body {{ font-family: serif; background: #fafafa; }}
  button {{ background: red !important; font-size: 40px !important; border: 5px solid blue !important; }}
</style></head>
<body>
  <h1>北京市某区人民政府</h1>
  <p>政务公开 · 办事服务 · 互动交流</p>
  <button id="host-button">网站自己的按钮</button>
  <script src="{gateway}/static/widget.js" data-hotline="{gateway}" async></script>
</body></html>
"""


@pytest.fixture(scope="module")
def host_site(stack):
    body = HOST_PAGE.format(gateway=stack.http).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    # The port HOTLINE_WIDGET_ORIGINS lists: only listed sites may frame the chat page.
    port = int(stack.env["HOTLINE_WIDGET_ORIGINS"].rsplit(":", 1)[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_widget_embedded_in_another_site(browser, host_site, stack):
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(host_site)
    assert not host_site.startswith(stack.http)
    launcher = page.locator("#hotline-widget .launcher")
    launcher.wait_for()
    assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(7, 193, 96)"
    assert page.locator("#host-button").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 0, 0)"
    assert launcher.get_attribute("aria-expanded") == "false"

    launcher.click()
    assert launcher.get_attribute("aria-expanded") == "true"
    chat = page.frame_locator("#hotline-widget iframe")
    chat.locator('#conn[data-state="open"]').wait_for()
    frame = next(f for f in page.frames if f.url.startswith(stack.http))
    assert frame.url.startswith(stack.http + "/?embed=1")
    chat.locator("#input").fill("你好")
    chat.locator("#input").press("Enter")
    chat.locator(".msg-bot >> text=12345").first.wait_for(timeout=30_000)
    chat.locator(".msg-bot button.chip", has_text="反映问题").last.click()  # the greeting has one too
    chat.locator(".msg-bot >> text=具体说一下").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "widget-embedded.png"))

    chat.locator("#close-widget").click()
    page.locator("#hotline-widget .panel").wait_for(state="hidden")
    assert launcher.get_attribute("aria-expanded") == "false"
    launcher.click()
    chat.locator(".msg-bot >> text=具体说一下").wait_for()  # same conversation, still there
    page.keyboard.press("Escape")  # focus is inside the chat: the iframe asks the host to close
    page.locator("#hotline-widget .panel").wait_for(state="hidden")
    ctx.close()


def test_embedded_widget_is_full_screen_on_a_phone(browser, host_site):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    page = ctx.new_page()
    page.goto(host_site)
    page.locator("#hotline-widget .launcher").tap()
    panel = page.locator("#hotline-widget .panel")
    panel.wait_for()
    box = panel.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
    chat = page.frame_locator("#hotline-widget iframe")
    chat.locator('#conn[data-state="open"]').wait_for()
    assert chat.locator("#close-widget").is_visible(), "a way back to the site on a full-screen panel"
    page.screenshot(path=str(ARTIFACTS / "widget-embedded-mobile.png"))
    chat.locator("#close-widget").tap()
    panel.wait_for(state="hidden")
    ctx.close()
