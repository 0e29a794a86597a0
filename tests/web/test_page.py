"""The chat page in headless Chromium against a scripted gateway (Playwright routing): rendering of
every message kind, the keyboard, 长辈模式, typing, voice recording (webm and the WAV fallback) and
reading replies aloud. The real-stack versions are in tests/e2e/test_widget_*.py."""

import base64
import struct

import pytest

from tests.helpers import launch_chromium as launch
from tests.web.browser import FakeGateway, speech_like_wav, tiny_wav

pytestmark = pytest.mark.browser

WORK_ORDER = {
    "number": "26112100042",
    "status": "已受理",
    "deadline": "2026-11-22T10:00:00+08:00",
    "request_type": "complain",
    "category": "城乡建设 / 噪音扰民",
    "district": "朝阳区",
}
KB = {
    "article_id": "residence-permit", "title": "居住证办理",
    "source": {"name": "《北京市实施〈居住证暂行条例〉办法》", "office": "北京市公安局", "confirm": "拨打12345或到派出所咨询"},
    "effective_from": "2016-10-01", "last_reviewed": "2026-10-15",
}  # fmt: skip


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    wav = speech_like_wav(tmp_path_factory.mktemp("audio") / "speech.wav")
    with sync_playwright() as pw:
        b = launch(pw, fake_audio=wav)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 420, "height": 820}, locale="zh-CN")
    p = context.new_page()
    p.dialogs = []
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))
    yield p
    context.close()


def bot(text: str, **extra) -> dict:
    return {"type": "message", "sender": "bot", "text": text, "buttons": [], **extra}


def test_work_order_card_and_kb_source(page):
    gw = FakeGateway(page)
    gw.reply = lambda f, gw: gw.push(bot("已为您登记工单。", data={"work_order": WORK_ORDER}))
    gw.open()
    page.fill("#input", "对")
    page.press("#input", "Enter")
    card = page.locator(".msg-bot .wo-card")
    card.wait_for()
    assert card.locator(".wo-number").inner_text() == "26112100042"
    assert card.locator(".wo-status").inner_text() == "已受理"
    assert "11月22日 10:00前" in card.locator(".wo-deadline").inner_text()
    assert "投诉工单" in card.inner_text() and "朝阳区" in card.inner_text()

    gw.reply = lambda f, gw: gw.push(bot("工单状态如下。", data={"work_order": {"number": "26112100043"}}))
    page.fill("#input", "查一下")
    page.press("#input", "Enter")
    page.wait_for_function("document.querySelectorAll('.wo-card').length === 2")
    second = page.locator(".wo-card").nth(1)
    assert second.locator(".wo-number").inner_text() == "26112100043"
    assert second.locator(".wo-status").count() == 0 and second.locator(".wo-deadline").count() == 0

    gw.reply = lambda f, gw: gw.push(bot("您的工单：", data={"work_order": {"number": "1", "status": "in_progress"}}))
    page.fill("#input", "再查一下")
    page.press("#input", "Enter")
    page.wait_for_function("document.querySelectorAll('.wo-card').length === 3")
    assert page.locator(".wo-card").nth(2).locator(".wo-status").inner_text() == "办理中"

    gw.reply = lambda f, gw: gw.push(bot("办理居住证需要……", data={"kb": KB}))
    page.fill("#input", "居住证怎么办")
    page.press("#input", "Enter")
    source = page.locator(".msg-bot .kb-source")
    source.wait_for()
    text = source.inner_text()
    assert "北京市公安局" in text and "2016-10-01" in text and "2026-10-15" in text and "拨打12345" in text


def test_markup_in_any_text_is_shown_as_text(page):
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    gw = FakeGateway(page)
    gw.reply = lambda f, gw: gw.push(
        bot(
            evil,
            buttons=[{"title": evil, "payload": "/x"}],
            data={"work_order": {"number": evil, "status": evil}, "kb": {"title": evil, "source": {"name": evil}}},
        )
    )
    gw.open()
    page.fill("#input", evil)
    page.press("#input", "Enter")
    page.locator(".msg-bot .chip").wait_for()
    gw.push({"type": "error", "code": "x", "message": evil})
    gw.push({"type": "message", "sender": "agent", "text": evil, "buttons": []})
    page.locator(".msg-agent").wait_for()
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.locator("img, script:not([src])").count() == 0
    assert page.locator(".msg-citizen .msg-text").last.inner_text() == evil
    assert page.locator(".msg-bot .msg-text").last.inner_text() == evil
    assert page.locator(".chip").inner_text() == evil and page.locator(".wo-number").inner_text() == evil


def test_title_bar_modes_agent_label_and_system_notes(page):
    gw = FakeGateway(page)
    gw.open()
    assert page.inner_text(".title") == "12345 市民服务热线"
    assert page.inner_text("#mode") == "智能客服"
    gw.push({"type": "message", "sender": "system", "text": "正在为您转接人工客服，请稍候…", "buttons": []})
    gw.push({"type": "status", "mode": "queued"})
    page.wait_for_selector('#mode[data-mode="queued"]')
    assert page.inner_text("#mode") == "排队中"
    gw.push({"type": "status", "mode": "agent"})
    gw.push({"type": "message", "sender": "agent", "text": "您好，我是人工客服小李。", "buttons": []})
    page.locator(".msg-agent").wait_for()
    assert page.inner_text("#mode") == "人工客服"
    assert page.locator(".msg-agent .msg-name").inner_text() == "人工客服"
    assert page.locator(".msg-agent .avatar-agent").count() == 1
    assert page.locator(".msg-system .avatar").count() == 0


def test_time_separators_only_after_five_minutes(page):
    gw = FakeGateway(page)
    gw.history = [
        {"sender": "citizen", "text": "第一句", "buttons": [], "ts": "2026-11-20T01:00:00Z"},
        {"sender": "bot", "text": "两分钟后", "buttons": [], "ts": "2026-11-20T01:02:00Z"},
        {"sender": "citizen", "text": "十分钟后", "buttons": [], "ts": "2026-11-20T01:12:00Z"},
        {
            "sender": "bot",
            "text": "马上",
            "buttons": [{"title": "好的", "payload": "/affirm"}],
            "ts": "2026-11-20T01:12:30Z",
        },
    ]
    page.add_init_script(
        "localStorage.setItem('hotline.conversation_id', 'web:00000000-0000-4000-8000-000000000001');"
        "localStorage.setItem('hotline.resume_token', 'token-of-the-conversation')"
    )
    gw.open()
    page.wait_for_selector(".msg-bot >> text=马上")
    assert page.locator(".time-sep").count() == 2
    order = page.eval_on_selector_all(".messages > *", "els => els.map(e => e.className.split(' ')[0])")
    assert order == ["time-sep", "msg", "msg", "time-sep", "msg", "msg"]
    # A live message now, long after the last one, gets its own separator.
    gw.push(bot("现在"))
    page.wait_for_selector(".msg-bot >> text=现在")
    assert page.locator(".time-sep").count() == 3


def test_keyboard_only_chip_and_enter(page):
    gw = FakeGateway(page)
    gw.reply = lambda f, gw: gw.push(
        bot(
            "请选择：",
            buttons=[{"title": "咨询政策", "payload": "/consult"}, {"title": "反映问题", "payload": "/complain"}],
        )
    )
    gw.open()
    page.focus("#input")
    page.keyboard.type("你好")
    page.keyboard.press("Enter")
    page.locator(".chip").first.wait_for()
    page.focus("#input")
    for _ in range(12):  # walk backwards from the composer to the second chip
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.textContent") == "反映问题":
            break
    assert page.evaluate("document.activeElement.className") == "chip"
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('.msg-citizen').length === 2")
    assert gw.received[-1] == {"type": "button", "payload": "/complain", "title": "反映问题"}
    assert page.locator(".msg-citizen .msg-text").last.inner_text() == "反映问题"
    assert page.get_attribute("#messages", "aria-live") == "polite"


def test_typing_indicator_while_waiting(page):
    gw = FakeGateway(page)
    gw.reply = lambda f, gw: None  # the answer comes later
    gw.open()
    page.fill("#input", "在吗")
    page.press("#input", "Enter")
    page.wait_for_selector("#typing .typing-dots")
    gw.push(bot("在的"))
    page.wait_for_selector("#typing", state="detached")
    assert page.locator(".msg-bot .msg-text").last.inner_text() == "在的"


def test_elder_mode_is_larger_and_remembered(page):
    gw = FakeGateway(page)
    gw.open()
    gw.push(bot("您好"))
    page.locator(".msg-bot .msg-text").wait_for()

    def size(selector: str) -> float:
        return page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)")

    normal, normal_chip_h = size(".msg-bot .msg-text"), page.eval_on_selector("#send", "e => e.offsetHeight")
    page.click("#elder-toggle")
    assert page.get_attribute("#elder-toggle", "aria-pressed") == "true"
    assert size(".msg-bot .msg-text") >= normal * 1.3
    assert page.eval_on_selector("#send", "e => e.offsetHeight") > normal_chip_h
    page.reload()
    page.wait_for_selector('#conn[data-state="open"]')
    assert page.evaluate("document.documentElement.classList.contains('elder')")
    assert page.evaluate("localStorage.getItem('hotline.elder_mode')") == "1"


def _hold_to_talk(page, ms: int) -> None:
    page.click("#voice-toggle")
    page.focus("#talk")
    page.keyboard.down(" ")
    page.wait_for_selector("#recording:not([hidden]) >> text=松开空格键发送")
    page.wait_for_timeout(ms)
    page.keyboard.up(" ")


def _audio_reply(frame, gw):
    if frame["type"] == "audio":
        gw.push({"type": "transcript", "text": "我要投诉", "duration_ms": 1500})
        gw.push(bot("请具体说一下"))


def test_voice_message_as_webm(page):
    gw = FakeGateway(page)
    gw.reply = _audio_reply
    gw.open()
    _hold_to_talk(page, 1500)
    page.wait_for_selector(".msg-voice .voice-transcript >> text=我要投诉")
    frame = gw.received[-1]
    assert frame["type"] == "audio" and frame["format"] == "webm"
    assert base64.b64decode(frame["data"])[:4] == b"\x1a\x45\xdf\xa3"  # EBML header
    duration = page.locator(".msg-voice .voice-duration").inner_text()
    assert duration in ("1″", "2″")
    page.wait_for_selector(".msg-bot >> text=请具体说一下")


def test_voice_message_falls_back_to_wav_without_media_recorder(page):
    page.add_init_script("delete window.MediaRecorder")
    gw = FakeGateway(page)
    gw.reply = _audio_reply
    gw.open()
    _hold_to_talk(page, 1200)
    page.wait_for_selector(".msg-voice .voice-transcript >> text=我要投诉")
    frame = gw.received[-1]
    wav = base64.b64decode(frame["data"])
    assert frame["format"] == "wav" and wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    channels, rate = struct.unpack("<HI", wav[22:28])
    assert (channels, rate) == (1, 16000)
    seconds = (len(wav) - 44) / 32000
    assert 0.9 < seconds < 2.0
    samples = struct.unpack(f"<{(len(wav) - 44) // 2}h", wav[44:])
    assert max(abs(s) for s in samples) > 1000, "the fake microphone's sound was recorded"


def test_voice_error_marks_the_bubble(page):
    gw = FakeGateway(page)
    gw.reply = lambda f, gw: gw.push(
        {"type": "error", "code": "audio_unavailable", "message": "暂时无法识别语音消息，请输入文字。", "detail": "x"}
    )
    gw.open()
    _hold_to_talk(page, 900)
    page.wait_for_selector(".msg-voice.msg-failed")
    assert "未能识别" in page.locator(".voice-transcript").inner_text()
    assert "请输入文字" in page.locator(".error-notice").inner_text()


def test_too_short_press_sends_nothing(page):
    gw = FakeGateway(page)
    gw.open()
    _hold_to_talk(page, 100)
    page.wait_for_selector(".error-notice >> text=说话时间太短")
    assert [f for f in gw.received if f["type"] == "audio"] == []


def test_read_aloud_uses_the_gateway_then_falls_back(page):
    gw = FakeGateway(page, tts=tiny_wav())
    gw.open()
    gw.push(bot("您好，请问有什么可以帮您？"))
    page.click(".msg-bot .speak")
    page.wait_for_function("() => document.querySelector('.msg-bot .speak').getAttribute('aria-pressed') === 'false'")
    assert len(gw.tts_requests) == 1 and "rate=normal" in gw.tts_requests[0]
    assert page.evaluate("window.hotlineChat.speechMode()") == "server"

    gw.tts = None  # the endpoint disappears: the browser's own speech synthesis takes over
    page.click("#elder-toggle")
    page.click(".msg-bot .speak")
    page.wait_for_function("window.hotlineChat.speechMode() === 'browser'")
    assert "rate=slow" in gw.tts_requests[-1]
