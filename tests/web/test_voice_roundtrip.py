"""What Chromium records is what the gateway can decode: audio frames captured from the page
(MediaRecorder webm/Opus, and the WebAudio WAV fallback) go through the real VoiceMessages with
the real PyAV decoder; the scripted recognizer only "hears" audio that is not silence."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from channels.web.voice_messages import VoiceMessages
from tests.helpers import launch_chromium as launch
from tests.web.browser import FakeGateway, speech_like_wav
from voice.asr.scripted_provider import ScriptedSpeechToText
from voice.decode import decode_upload

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    wav = speech_like_wav(tmp_path_factory.mktemp("audio") / "speech.wav")
    with sync_playwright() as pw:
        b = launch(pw, fake_audio=wav)
        yield b
        b.close()


def recorded_frame(browser, hold_ms: int, without_media_recorder: bool) -> dict:
    ctx = browser.new_context(viewport={"width": 420, "height": 800}, locale="zh-CN")
    page = ctx.new_page()
    if without_media_recorder:
        page.add_init_script("delete window.MediaRecorder")
    gw = FakeGateway(page)
    gw.reply = lambda f, gw: gw.push({"type": "transcript", "text": "…", "duration_ms": hold_ms})
    gw.open()
    page.click("#voice-toggle")
    page.focus("#talk")
    page.keyboard.down(" ")
    page.wait_for_selector("#recording:not([hidden]) >> text=松开空格键发送")
    page.wait_for_timeout(hold_ms)
    page.keyboard.up(" ")
    page.wait_for_function("document.querySelector('.voice-transcript:not(.voice-pending)') !== null")
    ctx.close()
    [frame] = [f for f in gw.received if f["type"] == "audio"]
    return frame


@pytest.mark.parametrize(("without_media_recorder", "fmt"), [(False, "webm"), (True, "wav")])
def test_browser_recording_is_decoded_and_heard(browser, without_media_recorder, fmt):
    frame = recorded_frame(browser, 2000, without_media_recorder)
    assert frame["format"] == fmt
    speech = ScriptedSpeechToText(["你好"])
    voice = VoiceMessages(speech, decode_upload, max_bytes=3 * 1024 * 1024)
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        heard = pool.submit(asyncio.run, voice.recognise(frame["data"], frame["format"])).result()
    assert heard.text == "你好", "decoded audio is loud enough to be heard"
    assert 1500 <= heard.duration_ms <= 2800
