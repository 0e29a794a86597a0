"""Voice messages through the widget in real Chromium, the microphone fed from a WAV file by
Chromium's fake audio capture: MediaRecorder (webm/opus) → `audio` frame → the real gateway
decodes it (PyAV) and recognises it → transcript shown in the voice bubble → the real Rasa answers.

Speech recognition: the test stack has no Vosk Chinese model (it cannot be downloaded here), so a
second real gateway process is started beside the stack with the scripted recognizer
(HOTLINE_SPEECH_PROVIDER=scripted, which "hears" configured transcripts for loud audio), sharing
the stack's Rasa and action server. The stack's own gateway shows the unavailable path."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.loop_helpers import tickets_of
from tests.helpers import free_port, launch_chromium as launch, wait_http
from tests.web.browser import ARTIFACTS, speech_like_wav

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SPOKEN = "我要投诉 朝阳区望京西园三区楼下烧烤店天天半夜吵得睡不着 我姓王 电话幺三八一二三四五六七八"
REAL_CLIP = ROOT.parent / "shared" / "data" / "speech" / "thchs30_D4_750.wav"


@pytest.fixture(scope="module")
def microphone(tmp_path_factory) -> Path:
    """What the fake microphone plays: a real Mandarin clip when shared data is there."""
    return REAL_CLIP if REAL_CLIP.exists() else speech_like_wav(tmp_path_factory.mktemp("mic") / "speech.wav", 6.0)


@pytest.fixture(scope="module")
def browser(microphone):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = launch(pw, fake_audio=microphone)
        yield b
        b.close()


@pytest.fixture(scope="module")
def voice_gateway(stack, tmp_path_factory):
    """A second gateway (`hotline serve`) with the scripted recognizer, on the stack's Rasa."""
    var_dir = tmp_path_factory.mktemp("voice-gateway")
    transcripts = var_dir / "transcripts.json"
    transcripts.write_text(json.dumps([SPOKEN, "对"], ensure_ascii=False), encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in stack.env.items() if not k.startswith("HOTLINE_")}
    env.update(
        HOTLINE_PORT=str(port),
        HOTLINE_AUDIOSOCKET_PORT=str(free_port()),
        HOTLINE_VAR_DIR=str(var_dir),
        HOTLINE_RASA_URL=stack.rasa,
        HOTLINE_RASA_TOKEN=stack.secret("rasa_token"),
        HOTLINE_ACTION_SERVER_URL=stack.actions,
        HOTLINE_SPEECH_PROVIDER="scripted",
        HOTLINE_SCRIPTED_TRANSCRIPTS=str(transcripts),
    )
    log = open(var_dir / "serve.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", 120, proc=proc)
    except Exception:
        proc.kill()
        print((var_dir / "serve.log").read_text(errors="replace")[-4000:])
        raise
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def open_chat(browser, url: str):
    ctx = browser.new_context(viewport={"width": 420, "height": 860}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(url + "/")
    page.wait_for_selector('#conn[data-state="open"]')
    page.click("#voice-toggle")
    page.locator("#talk").wait_for()
    return ctx, page


def hold_with_mouse(page, ms: int) -> None:
    box = page.locator("#talk").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_selector("#recording:not([hidden]) >> text=松开发送")
    page.wait_for_timeout(ms)
    page.mouse.up()


def test_voice_complaint_is_recognised_and_answered(browser, voice_gateway, stack):
    ctx, page = open_chat(browser, voice_gateway)
    hold_with_mouse(page, 3000)
    bubble = page.locator(".msg-voice").last
    bubble.locator(".voice-transcript", has_text="望京西园").wait_for(timeout=30_000)
    assert bubble.locator(".voice-transcript").inner_text() == SPOKEN
    seconds = int(bubble.locator(".voice-duration").inner_text().rstrip("″"))
    assert 2 <= seconds <= 4
    page.wait_for_selector(".msg-bot >> text=核对", timeout=30_000)
    assert "138****5678" in page.locator(".msg-bot").last.inner_text()
    page.screenshot(path=str(ARTIFACTS / "widget-voice.png"))

    # The answer by voice too (held with the Space key this time): the work order is created.
    page.focus("#talk")
    page.keyboard.down(" ")
    page.wait_for_selector("#recording:not([hidden]) >> text=松开空格键发送")
    page.wait_for_timeout(1500)
    page.keyboard.up(" ")
    page.wait_for_selector(".msg-bot >> text=已为您登记工单", timeout=30_000)
    conversation_id = page.evaluate("window.hotlineChat.conversationId()")
    [order] = tickets_of(stack, conversation_id)
    assert page.locator(".wo-card .wo-number").inner_text() == order["number"]
    assert order["district"] == "朝阳区" and order["contact_phone"] == "13812345678"

    # Stored like typed messages: the resumed conversation shows the recognised texts.
    page.reload()
    page.wait_for_selector(".msg-bot >> text=已为您登记工单")
    assert page.locator(".msg-citizen .msg-text").all_inner_texts() == [SPOKEN, "对"]
    ctx.close()


def test_without_speech_recognition_the_citizen_is_told_and_nothing_is_stored(browser, stack):
    ctx, page = open_chat(browser, stack.http)
    hold_with_mouse(page, 1200)
    page.wait_for_selector(".msg-voice.msg-failed", timeout=30_000)
    assert "暂时无法识别语音消息" in page.locator(".error-notice").last.inner_text()
    page.click("#voice-toggle")  # back to the keyboard: typing still works
    page.fill("#input", "你好")
    page.press("#input", "Enter")
    page.wait_for_selector(".msg-bot >> text=12345", timeout=30_000)
    page.reload()
    page.wait_for_selector(".msg-bot >> text=12345")
    assert page.locator(".msg-citizen .msg-text").all_inner_texts() == ["你好"], "no half-done voice message"
    ctx.close()
