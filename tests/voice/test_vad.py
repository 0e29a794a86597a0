"""VAD and end-of-turn detection on real Mandarin speech downsampled to 8 kHz (as a phone line
carries it), with added noise, and on noise alone. Note: the THCHS-30 clips already carry
babble noise under the speech; the FunASR clip is clean with a short silence before it."""

import numpy as np
import pytest

from voice.audio import chunk, resample_pcm16
from voice.vad import VadEvent, VoiceActivityDetector, periodicity

RATE = 8000
FRAME = 320  # 20 ms of PCM16 at 8 kHz


def run(vad: VoiceActivityDetector, pcm: bytes, pauses: bool = False) -> list[VadEvent]:
    events = [e for f in chunk(pcm, FRAME) if (e := vad.process(f))]
    return events if pauses else [e for e in events if e.kind != "speech_pause"]


def to_pcm(x: np.ndarray) -> bytes:
    return np.clip(x, -32768, 32767).astype("<i2").tobytes()


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def white_noise(seconds: float, dbfs: float, seed: int = 0) -> np.ndarray:
    n = np.random.default_rng(seed).normal(0, 1, int(seconds * RATE))
    return n / np.sqrt(np.mean(n**2)) * 32768 * 10 ** (dbfs / 20)


def with_noise(pcm: bytes, snr_db: float, seed: int = 0) -> bytes:
    x = samples(pcm)
    speech_db = 20 * np.log10(np.sqrt(np.mean(x**2)) / 32768)
    return to_pcm(x + white_noise(len(x) / RATE, speech_db - snr_db, seed))


@pytest.fixture(scope="module")
def clips_8k(speech_16k) -> dict[str, bytes]:
    return {name: resample_pcm16(pcm, 16000, RATE) for name, pcm in speech_16k.items()}


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(seconds * RATE)


def pairs(events: list[VadEvent]) -> list[tuple[int, int]]:
    kinds = [e.kind for e in events]
    assert kinds == ["speech_start", "speech_end"] * (len(kinds) // 2), kinds
    return [(events[i].edge_ms, events[i + 1].edge_ms) for i in range(0, len(events), 2)]


def test_clean_speech_gives_one_turn_with_accurate_edges(clips_8k):
    clip = clips_8k["funasr_asr_example.wav"]
    lead = 1.0
    events = run(VoiceActivityDetector(), silence(lead) + clip + silence(1.5))
    ((start, end),) = pairs(events)
    # speech in the clip runs from ~0.9 s to ~5.2 s (energy contour of the clean clip)
    assert 1000 * lead + 700 <= start <= 1000 * lead + 1100
    assert 1000 * lead + 5000 <= end <= 1000 * lead + 5600
    # end of turn is declared ~800 ms after the last voiced frame, not later
    assert 750 <= events[1].t_ms - events[1].edge_ms <= 860
    assert events[0].t_ms - events[0].edge_ms <= 300  # speech_start within 300 ms


@pytest.mark.parametrize("snr_db", [20, 10])
def test_speech_in_white_noise_is_found_and_noise_alone_is_not(clips_8k, snr_db):
    for i, (name, clip) in enumerate(sorted(clips_8k.items())):
        lead_s, tail_s = 2.0, 2.0
        # noise from the first frame on (a real line is never digitally silent)
        pcm = with_noise(silence(lead_s) + clip + silence(tail_s), snr_db, seed=i)
        events = run(VoiceActivityDetector(), pcm)
        turns = pairs(events)
        clip_ms = len(clip) // 2 * 1000 // RATE
        assert turns, f"{name}: no speech found at {snr_db} dB SNR"
        assert turns[0][0] >= 1000 * lead_s - 100, f"{name}: false start in the noise lead-in"
        assert turns[0][0] <= 1000 * lead_s + 1500, f"{name}: speech found too late"
        assert turns[-1][1] <= 1000 * lead_s + clip_ms + 300, f"{name}: turn outlived the speech"
        assert events[-1].t_ms <= 1000 * lead_s + clip_ms + 1200  # the turn ends in the tail
        voiced_ms = sum(e - s for s, e in turns)
        assert voiced_ms >= 0.6 * clip_ms, f"{name}: only {voiced_ms} ms of {clip_ms} ms found"
        assert len(turns) <= 3, f"{name}: turn cut into {len(turns)} pieces"


def test_two_sentences_with_a_long_pause_are_two_turns(clips_8k):
    a, b = clips_8k["funasr_asr_example.wav"], clips_8k["thchs30_D4_751.wav"]
    events = run(VoiceActivityDetector(), with_noise(a + silence(2.0) + b + silence(1.5), 25))
    assert len(pairs(events)) >= 2
    first_end = events[1]
    assert first_end.kind == "speech_end" and first_end.t_ms <= len(a) // 2 * 1000 // RATE + 1500


def test_end_silence_is_configurable(clips_8k):
    pcm = silence(0.5) + clips_8k["thchs30_D4_754.wav"] + silence(1.5)  # has a comma pause
    patient = run(VoiceActivityDetector(end_silence_ms=1200), pcm)
    hasty = run(VoiceActivityDetector(end_silence_ms=300), pcm)
    assert len(hasty) > len(patient)  # short pauses between phrases end a hasty turn
    assert patient[-1].t_ms - patient[-1].edge_ms >= 1200


@pytest.mark.parametrize("dbfs", [-60, -40, -25, -15])
def test_stationary_noise_never_starts_speech(dbfs):
    rng = np.random.default_rng(7)
    t = np.arange(15 * RATE) / RATE
    hum = sum(np.sin(2 * np.pi * 50 * k * t + k) / k for k in range(1, 12))
    noises = {
        "white": white_noise(15, dbfs),
        "hum+hiss": hum / np.sqrt(np.mean(hum**2)) * 32768 * 10 ** (dbfs / 20) + white_noise(15, dbfs - 30),
        "traffic": white_noise(15, dbfs) * 10 ** (3 * np.sin(2 * np.pi * 0.3 * t) / 20),
        "brown": np.convolve(rng.normal(0, 1, len(t)).cumsum(), [1, -0.995], "same") * 10 ** (dbfs / 20) * 300,
    }
    for name, noise in noises.items():
        assert run(VoiceActivityDetector(), to_pcm(noise)) == [], name


def test_digital_silence_and_a_click_start_nothing():
    vad = VoiceActivityDetector()
    assert run(vad, silence(3)) == []
    click = to_pcm(white_noise(0.06, -6))  # a 60 ms knock on the handset
    assert run(vad, click + silence(2)) == []


def test_a_pause_is_reported_once_and_end_turn_ends_the_turn_there(clips_8k):
    clip = clips_8k["funasr_asr_example.wav"]
    events = run(VoiceActivityDetector(), silence(1.0) + clip + silence(1.5), pauses=True)
    kinds = [e.kind for e in events]
    assert kinds[0] == "speech_start" and kinds[-2:] == ["speech_pause", "speech_end"]
    pause, end = events[-2], events[-1]
    assert end.t_ms - pause.t_ms == 300  # 500 ms of silence, then 800 ms
    assert pause.edge_ms == end.edge_ms

    vad = VoiceActivityDetector()
    frames = list(chunk(silence(1.0) + clip + silence(1.5), FRAME))
    for i, frame in enumerate(frames):
        if (event := vad.process(frame)) and event.kind == "speech_pause" and i * 20 > 5000:
            ended = vad.end_turn()
            break
    assert ended.kind == "speech_end" and ended.t_ms == event.t_ms and ended.edge_ms == event.edge_ms
    assert not vad.in_speech
    assert run(vad, b"".join(frames[i + 1 :]), pauses=True) == []  # the rest of the silence: nothing


def test_no_pause_events_when_switched_off(clips_8k):
    events = run(VoiceActivityDetector(pause_ms=0), clips_8k["funasr_asr_example.wav"] + silence(1.5), pauses=True)
    assert "speech_pause" not in [e.kind for e in events]


def test_a_turn_that_never_pauses_is_cut_at_max_turn():
    tone = 8000 * np.sin(2 * np.pi * 180 * np.arange(6 * RATE) / RATE)  # a held vowel
    events = run(VoiceActivityDetector(max_turn_ms=3000), to_pcm(white_noise(1, -60)) + to_pcm(tone))
    assert [e.kind for e in events][:2] == ["speech_start", "speech_end"]
    assert 3000 <= events[1].t_ms - events[0].edge_ms <= 3100


def test_reset_restarts_the_clock_and_8k_16k_rates_work(clips_8k, speech_16k):
    vad = VoiceActivityDetector()
    run(vad, clips_8k["funasr_asr_example.wav"])
    vad.reset()
    assert vad.t_ms == 0 and not vad.in_speech
    wide = VoiceActivityDetector(sample_rate=16000)
    events = [e for f in chunk(speech_16k["funasr_asr_example.wav"] + b"\0" * 32000, 640) if (e := wide.process(f))]
    assert [e.kind for e in events][:1] == ["speech_start"]


def test_periodicity_separates_voiced_speech_from_noise():
    t = np.arange(320) / RATE
    assert periodicity(np.sin(2 * np.pi * 150 * t), RATE) > 0.95
    assert periodicity(white_noise(0.04, -20), RATE) < 0.4
    assert periodicity(np.zeros(320), RATE) == 0.0


def test_odd_frame_is_refused():
    with pytest.raises(ValueError):
        VoiceActivityDetector().process(b"\x00")
