"""The citizen chat page in a real headless Chromium: bubbles, a clickable bot button, markup
shown as text, and reconnect/resume after a reload."""

import pytest

from tests.helpers import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_chat_page_conversation(stack, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 420, "height": 800}, locale="zh-CN")
    page.goto(stack.http + "/")
    page.wait_for_selector('#conn[data-state="open"]')

    page.fill("#input", "你好")
    page.press("#input", "Enter")
    page.wait_for_selector(".msg-bot >> text=12345市民服务热线")
    assert page.locator(".msg-citizen .msg-text").last.inner_text() == "你好"

    page.locator("button.chip", has_text="反映问题").last.click()  # the greeting has one too
    page.wait_for_selector(".msg-bot >> text=具体说一下")

    page.fill("#input", "<img src=x onerror=\"document.body.dataset.xss='1'\">楼下太吵")
    page.click("#send")
    page.wait_for_function("() => document.querySelectorAll('.msg-bot').length >= 4")
    assert page.evaluate("document.body.dataset.xss") is None
    assert page.locator(".msg-citizen .msg-text").last.inner_text().startswith("<img")
    page.screenshot(path=str(ARTIFACTS / "chat-page.png"), full_page=True)

    conversation_id = page.evaluate("window.hotlineChat.conversationId()")
    page.reload()
    page.wait_for_selector('#conn[data-state="open"]')
    page.wait_for_function("() => document.querySelectorAll('.msg-citizen').length >= 3")
    assert page.evaluate("window.hotlineChat.conversationId()") == conversation_id
    page.screenshot(path=str(ARTIFACTS / "chat-page-resumed.png"), full_page=True)

    # The socket drops (server side closes it): the page reconnects to the same conversation.
    page.evaluate("window.hotlineChat.socket().close()")
    page.wait_for_selector('#conn[data-state="open"]')
    page.fill("#input", "算了 不办了")
    page.press("#input", "Enter")
    page.wait_for_selector(".msg-bot >> text=已取消")
    assert page.evaluate("window.hotlineChat.conversationId()") == conversation_id
    page.close()
