"""Speech synthesis: real espeak-ng, the real edge-tts client against a local server speaking
its protocol (tests/voice/fake_edge.py), the fallback chain and the prompt cache."""

import asyncio
import os
import shutil
import time

import pytest

from core.settings import Settings
from tests.voice.conftest import dominant_frequency
from tests.voice.fake_edge import MS_PER_CHAR, FakeEdge
from voice.audio import rms_dbfs
from voice.tts import SynthesisError, create_text_to_speech
from voice.tts.cache import TtsCache
from voice.tts.edge_tts_provider import EdgeTextToSpeech
from voice.tts.espeak_provider import EspeakTextToSpeech
from voice.tts.fallback import FallbackTextToSpeech

GREETING = "您好，这里是市民服务热线，请问有什么可以帮您？"
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng is not installed (scripts/install-system-packages.sh installs it)",
)


async def timed(tts, text: str, rate: str = "+0%") -> tuple[bytes, float, float]:
    """(audio, seconds to first chunk, seconds to the end)."""
    t0 = time.perf_counter()
    first, chunks = None, []
    async for pcm in tts.synthesize(text, rate=rate):
        first = first if first is not None else time.perf_counter() - t0
        chunks.append(pcm)
    return b"".join(chunks), first if first is not None else -1.0, time.perf_counter() - t0


def seconds(pcm: bytes, rate: int = 16000) -> float:
    return len(pcm) / 2 / rate


def espeak_children() -> list[int]:
    me = str(os.getpid())
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if "(espeak-ng)" in stat and stat.split(") ", 1)[1].split()[1] == me:
            found.append(int(pid))
    return found


@pytest.fixture
async def edge(tmp_path):
    async with FakeEdge(tmp_path / "edge.sock") as fake:
        yield fake


# --- espeak-ng ----------------------------------------------------------------------------------


@needs_espeak
async def test_espeak_synthesizes_mandarin_quickly_and_slower_for_elders():
    tts = EspeakTextToSpeech()
    normal, first, total = await timed(tts, GREETING)
    assert 2.0 < seconds(normal) < 15 and rms_dbfs(normal) > -35
    assert first < 1.0, f"first audio after {first:.2f} s"
    slow, _, _ = await timed(tts, GREETING, rate="-25%")
    assert seconds(slow) > 1.2 * seconds(normal)
    print(f"\nespeak-ng: first audio {first * 1000:.0f} ms, {seconds(normal):.1f} s of audio in {total * 1000:.0f} ms")


@needs_espeak
async def test_espeak_stops_when_the_caller_barges_in(tmp_path):
    tts = EspeakTextToSpeech()
    stream = tts.synthesize(GREETING * 20)
    assert await anext(stream)
    await stream.aclose()
    assert espeak_children() == []
    # also through the fallback chain (edge unreachable -> espeak speaking -> caller barges in)
    chain = FallbackTextToSpeech(EdgeTextToSpeech(endpoint=f"unix:{tmp_path / 'none.sock'}"), tts)
    stream = chain.synthesize(GREETING * 20)
    assert await anext(stream) and chain.last_source == "espeak"
    await stream.aclose()
    assert espeak_children() == []


async def test_espeak_errors_are_synthesis_errors():
    with pytest.raises(SynthesisError, match="espeak-ng"):
        await EspeakTextToSpeech(binary="/nonexistent/espeak-ng").synthesize_all("你好")
    with pytest.raises(ValueError):
        await EspeakTextToSpeech().synthesize_all("你好", rate="fast")
    assert await EspeakTextToSpeech().synthesize_all("  ") == b""


# --- edge-tts (real client, local server) --------------------------------------------------------


async def test_edge_streams_decoded_audio_of_the_requested_voice_and_rate(edge):
    edge.chunk_delay_s = 0.03
    tts = EdgeTextToSpeech(endpoint=edge.endpoint)
    audio, first, total = await timed(tts, GREETING)
    assert abs(seconds(audio) - len(GREETING) * MS_PER_CHAR / 1000) < 0.15
    assert abs(dominant_frequency(audio, 16000) - 200) < 5
    assert first < total / 2, "the first audio must come before the whole reply is synthesized"
    slow, _, _ = await timed(tts, "请您慢慢说", rate="-25%")
    assert abs(dominant_frequency(slow, 16000) - 150) < 5
    assert [r["rate"] for r in edge.requests] == [0, -25]
    assert "XiaoxiaoNeural" in edge.requests[0]["voice"] and edge.requests[0]["text"] == GREETING


@pytest.mark.parametrize("mode", ["hang", "refuse", "garbage"])
async def test_edge_failures_become_synthesis_errors_quickly(edge, mode):
    edge.mode = mode
    tts = EdgeTextToSpeech(endpoint=edge.endpoint, first_audio_timeout_s=0.5)
    t0 = time.perf_counter()
    with pytest.raises(SynthesisError, match="edge-tts"):
        await tts.synthesize_all("你好")
    assert time.perf_counter() - t0 < 1.5


async def test_edge_unreachable_endpoint(tmp_path):
    tts = EdgeTextToSpeech(endpoint=f"unix:{tmp_path / 'nobody.sock'}")
    with pytest.raises(SynthesisError, match="edge-tts failed"):
        await tts.synthesize_all("你好")
    with pytest.raises(ValueError):
        EdgeTextToSpeech(endpoint="http://example.invalid/")


# --- fallback chain and cache --------------------------------------------------------------------


@needs_espeak
async def test_edge_time_out_falls_back_to_espeak_then_skips_edge_for_a_while(edge, tmp_path):
    edge.mode = "hang"
    tts = FallbackTextToSpeech(
        EdgeTextToSpeech(endpoint=edge.endpoint, first_audio_timeout_s=0.5),
        EspeakTextToSpeech(),
        cache=TtsCache(tmp_path / "cache"),
    )
    audio, first, _ = await timed(tts, GREETING)
    assert tts.last_source == "espeak" and seconds(audio) > 2
    assert 0.5 <= first < 1.5
    audio2, first2, _ = await timed(tts, "好的")  # edge is in its cool-down: no second wait
    assert tts.last_source == "espeak" and audio2 and first2 < 0.4
    assert len(edge.requests) == 1
    assert not any((tmp_path / "cache").rglob("*.pcm")), "espeak audio is not cached as the edge voice"


async def test_edge_failing_mid_sentence_ends_the_sentence_without_repeating_it(edge):
    edge.mode = "hang_after_first"
    espeak = EspeakTextToSpeech()
    tts = FallbackTextToSpeech(EdgeTextToSpeech(endpoint=edge.endpoint, chunk_timeout_s=0.5), espeak)
    audio = await tts.synthesize_all(GREETING)
    assert 0 < seconds(audio) < len(GREETING) * MS_PER_CHAR / 1000 / 2
    assert tts.last_source == "edge"


async def test_cached_prompts_are_served_even_when_the_service_is_gone(tmp_path):
    cache = TtsCache(tmp_path / "cache")
    async with FakeEdge(tmp_path / "edge.sock") as fake:
        tts = FallbackTextToSpeech(EdgeTextToSpeech(endpoint=fake.endpoint, first_audio_timeout_s=0.5), cache=cache)
        online = await tts.synthesize_all(GREETING)
        assert tts.last_source == "edge" and len(fake.requests) == 1
    # the server is gone now; the prompt still plays, identical, from the disk cache
    offline, first, _ = await timed(tts, GREETING)
    assert offline == online and tts.last_source == "cache" and first < 0.1
    assert cache.hits == 1
    files = list((tmp_path / "cache").rglob("*"))
    assert [f for f in files if f.is_file()] and not [f for f in files if f.name.startswith(".tmp-")]
    # another rate is another prompt: not in the cache, and edge is unreachable -> error
    with pytest.raises(SynthesisError):
        await tts.synthesize_all(GREETING, rate="-25%")


def test_cache_keys_and_atomic_writes(tmp_path):
    from voice.audio import PCM16_8K, PCM16_16K

    k = TtsCache.key("edge", "v", "+0%", "你好", PCM16_16K)
    assert k != TtsCache.key("edge", "v", "-25%", "你好", PCM16_16K)
    assert k != TtsCache.key("edge", "v", "+0%", "你好", PCM16_8K)
    assert k != TtsCache.key("espeak", "v", "+0%", "你好", PCM16_16K)
    cache = TtsCache(tmp_path)
    assert cache.get(k) is None
    cache.put(k, b"\x01\x02")
    assert cache.get(k) == b"\x01\x02" and (cache.hits, cache.misses) == (1, 1)
    (tmp_path / k[:2]).chmod(0o500)  # read-only: storing fails quietly, the call goes on
    try:
        cache.put(TtsCache.key("edge", "v", "+0%", "再见", PCM16_16K)[:2] + k[2:], b"x")
    finally:
        (tmp_path / k[:2]).chmod(0o700)


async def test_factory_builds_the_configured_chain(tmp_path, edge):
    tts = create_text_to_speech(Settings(var_dir=tmp_path, edge_tts_endpoint=edge.endpoint))
    assert isinstance(tts, FallbackTextToSpeech) and tts.primary.voice == "zh-CN-XiaoxiaoNeural"
    assert await tts.synthesize_all("你好") and tts.last_source == "edge"
    assert list((tmp_path / "tts-cache").rglob("*.pcm"))
    assert create_text_to_speech(Settings(var_dir=tmp_path, tts_provider="espeak")).name == "espeak"
    await asyncio.sleep(0)
