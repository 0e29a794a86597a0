"""widget.js on a host page of another origin, against the scripted gateway: attributes, lazy
iframe, open/close from both sides, and only the hotline's own iframe may close the panel."""

import pytest

from tests.web.browser import FakeGateway

pytestmark = pytest.mark.browser

GATEWAY = "http://localhost:8123"
HOST = "http://localhost:8200"
PAGE = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>host</title></head>
<body><h1>某街道办事处</h1>
<script src="{GATEWAY}/static/widget.js" data-hotline="{GATEWAY}" data-label="在线咨询" data-position="left"></script>
</body></html>"""


@pytest.fixture()
def host(browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    page = ctx.new_page()
    gw = FakeGateway(page, base=GATEWAY)
    page.route(HOST + "/", lambda route: route.fulfill(status=200, body=PAGE, headers={"Content-Type": "text/html"}))
    page.goto(HOST + "/")
    yield page, gw
    ctx.close()


def test_attributes_and_lazy_iframe(host):
    page, gw = host
    launcher = page.locator("#hotline-widget .launcher")
    assert launcher.inner_text() == "在线咨询"
    box = launcher.bounding_box()
    assert box["x"] < 100, "data-position=left"
    assert page.locator("#hotline-widget iframe").count() == 0 and gw.urls == [], "nothing loads before a click"
    assert page.evaluate("window.hotlineWidget.origin") == GATEWAY

    page.evaluate("window.hotlineWidget.open()")
    frame = page.frame_locator("#hotline-widget iframe")
    frame.locator('#conn[data-state="open"]').wait_for()
    assert page.get_attribute("#hotline-widget iframe", "src") == GATEWAY + "/?embed=1"
    assert page.get_attribute("#hotline-widget iframe", "allow") == "microphone; autoplay"
    assert frame.locator("#close-widget").is_visible()
    page.evaluate("window.hotlineWidget.close()")
    page.locator("#hotline-widget .panel").wait_for(state="hidden")
    page.evaluate("window.hotlineWidget.open()")
    assert page.locator("#hotline-widget iframe").count() == 1 and len(gw.urls) == 1, "the chat is kept"


def test_only_the_hotline_frame_can_close_the_panel(host):
    page, _gw = host
    page.locator("#hotline-widget .launcher").click()
    frame = page.frame_locator("#hotline-widget iframe")
    frame.locator('#conn[data-state="open"]').wait_for()
    page.evaluate("window.postMessage({type: 'hotline:close'}, '*')")  # the host page itself
    page.wait_for_timeout(300)
    assert page.locator("#hotline-widget .panel").is_visible()
    frame.locator("#close-widget").click()
    page.locator("#hotline-widget .panel").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "hotline-widget", "focus goes back to the button"


def test_nothing_is_posted_into_the_iframe_before_it_has_loaded(browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    page = ctx.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    FakeGateway(page, base=GATEWAY)
    page.route(HOST + "/", lambda route: route.fulfill(status=200, body=PAGE, headers={"Content-Type": "text/html"}))
    page.goto(HOST + "/")
    page.evaluate("window.hotlineWidget.open()")
    frame = page.frame_locator("#hotline-widget iframe")
    frame.locator('#conn[data-state="open"]').wait_for()
    page.wait_for_timeout(300)
    assert not [m for m in console if "postMessage" in m], console
    # Once loaded, opening again still focuses the chat's input from the host page.
    page.evaluate("window.hotlineWidget.close()")
    page.evaluate("window.hotlineWidget.open()")
    frame.locator("#input:focus").wait_for(timeout=3_000)
    ctx.close()
