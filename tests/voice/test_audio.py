import warnings

import numpy as np
import pytest

from tests.voice.conftest import dominant_frequency, sine
from voice.audio import (
    MULAW_8K,
    PCM16_8K,
    PCM16_16K,
    AudioFormat,
    StreamConverter,
    StreamResampler,
    alaw_to_pcm16,
    chunk,
    convert,
    mulaw_to_pcm16,
    pcm16_to_alaw,
    pcm16_to_mulaw,
    resample_pcm16,
    rms_dbfs,
)


def pcm(*values: int) -> bytes:
    return np.array(values, dtype="<i2").tobytes()


def samples(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.int64)


# --- G.711 against the standard's table values ---------------------------------------------


def test_mulaw_decoding_known_values():
    # G.711 mu-law: 0xFF and 0x7F are +0/-0, 0x80/0x00 the largest magnitudes (+-32124),
    # 0xF0 is the first step of the smallest segment.
    assert samples(mulaw_to_pcm16(bytes([0xFF, 0x7F, 0x80, 0x00, 0xF0, 0x70, 0xEF]))).tolist() == [
        0,
        0,
        32124,
        -32124,
        120,
        -120,
        132,
    ]


def test_alaw_decoding_known_values():
    # G.711 A-law (even bits inverted with 0x55): 0xD5/0x55 are +8/-8, 0xAA/0x2A +-32256.
    assert samples(alaw_to_pcm16(bytes([0xD5, 0x55, 0xAA, 0x2A, 0xD4, 0xC5]))).tolist() == [
        8,
        -8,
        32256,
        -32256,
        24,
        264,
    ]


def test_encoding_known_values():
    assert pcm16_to_mulaw(pcm(0, -1, 32767, -32768, 120)) == bytes(
        [0xFF, 0x7E, 0x80, 0x00, 0xF0]
    )  # -1 is -8 after 14-bit flooring
    assert pcm16_to_alaw(pcm(0, -1, 32767, -32768)) == bytes([0xD5, 0x55, 0xAA, 0x2A])


@pytest.mark.parametrize("encode,decode", [(pcm16_to_mulaw, mulaw_to_pcm16), (pcm16_to_alaw, alaw_to_pcm16)])
def test_every_code_round_trips_and_linear_error_is_bounded(encode, decode):
    codes = bytes(range(256))
    decoded = decode(codes)
    # A decoded level encodes back to the same code (except the duplicate mu-law zero 0x7F).
    again = encode(decoded)
    assert sum(a != b for a, b in zip(codes, again, strict=False)) <= 1
    # Quantisation error of all 65536 inputs stays within half a step of the segment (<= 1024).
    everything = np.arange(-32768, 32768, dtype="<i2").tobytes()
    err = np.abs(samples(decode(encode(everything))) - samples(everything))
    assert err.max() <= 1024
    small = np.abs(samples(everything)) < 256
    assert err[small].max() <= 16  # fine steps near zero


def test_g711_matches_cpython_audioop_when_available():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop", reason="audioop was removed in Python 3.13")
    everything = np.arange(-32768, 32768, dtype="<i2").tobytes()
    codes = bytes(range(256))
    assert pcm16_to_mulaw(everything) == audioop.lin2ulaw(everything, 2)
    assert pcm16_to_alaw(everything) == audioop.lin2alaw(everything, 2)
    assert mulaw_to_pcm16(codes) == audioop.ulaw2lin(codes, 2)
    assert alaw_to_pcm16(codes) == audioop.alaw2lin(codes, 2)


def test_odd_length_pcm_is_refused():
    with pytest.raises(ValueError):
        pcm16_to_mulaw(b"\x00\x01\x02")


# --- resampling ------------------------------------------------------------------------------


@pytest.mark.parametrize("src,dst", [(8000, 16000), (16000, 8000), (24000, 16000), (22050, 16000), (16000, 24000)])
def test_resampled_sine_keeps_its_frequency_and_length_ratio(src, dst):
    tone = sine(440.0, 1.0, src)
    out = resample_pcm16(tone, src, dst)
    n_in, n_out = len(tone) // 2, len(out) // 2
    assert n_out == -(-n_in * dst // src)
    assert abs(dominant_frequency(out, dst) - 440.0) <= 2.0
    # amplitude is kept (pass-band gain 1) away from the edges
    mid = samples(out)[n_out // 4 : 3 * n_out // 4]
    assert 7700 <= mid.max() <= 8300


def test_downsampling_removes_what_the_new_rate_cannot_carry():
    # 6 kHz cannot exist at 8 kHz: it must be filtered, not folded back to 2 kHz.
    tone = sine(6000.0, 1.0, 16000)
    out = resample_pcm16(tone, 16000, 8000)
    assert rms_dbfs(out[4000:-4000]) < rms_dbfs(tone) - 60


def test_resampling_agrees_with_scipy_reference():
    scipy_signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(1)
    x = rng.normal(0, 3000, 8000)
    x = scipy_signal.lfilter(scipy_signal.firwin(101, 3000, fs=8000), 1, x)  # inside both pass-bands
    data = x.astype("<i2").tobytes()
    ours = samples(resample_pcm16(data, 8000, 16000)).astype(float)
    ref = scipy_signal.resample_poly(samples(data).astype(float), 2, 1)
    err = ours[200:-200] - ref[200:-200]
    assert np.sqrt(np.mean(err**2)) < 0.02 * np.sqrt(np.mean(ref**2))


@pytest.mark.parametrize(
    "src,dst,chunk_ms", [(8000, 16000, 20), (16000, 8000, 20), (24000, 16000, 7), (22050, 8000, 20)]
)
def test_streaming_equals_batch(src, dst, chunk_ms):
    rng = np.random.default_rng(2)
    signal = (rng.normal(0, 2000, src * 2)).astype("<i2").tobytes()
    step = src * chunk_ms // 1000 * 2
    r = StreamResampler(src, dst)
    streamed = b"".join(r.process(c) for c in chunk(signal, step, pad=False)) + r.flush()
    batch = resample_pcm16(signal, src, dst)
    assert len(streamed) == len(batch)
    assert np.abs(samples(streamed) - samples(batch)).max() <= 1  # float rounding only


def test_streaming_has_no_clicks_at_chunk_borders():
    tone = sine(300.0, 0.5, 8000, amplitude=10000)
    r = StreamResampler(8000, 16000)
    out = samples(b"".join(r.process(c) for c in chunk(tone, 320, pad=False)) + r.flush()).astype(float)
    # the largest sample-to-sample jump of a clean 300 Hz sine at 16 kHz is 2*pi*300/16000*A
    jumps = np.abs(np.diff(out[100:-100]))
    assert jumps.max() < 2 * np.pi * 300 / 16000 * 10000 * 1.05
    assert r.lookahead_ms < 5


def test_same_rate_is_identity():
    data = pcm(1, 2, 3)
    assert resample_pcm16(data, 8000, 8000) == data
    assert StreamResampler(8000, 8000).process(data) == data


# --- formats, conversion, framing, levels ----------------------------------------------------


def test_audio_format_sizes():
    assert PCM16_8K.bytes_per_second == 16000 and PCM16_8K.frame_bytes(20) == 320
    assert MULAW_8K.frame_bytes(20) == 160 and PCM16_16K.frame_bytes(20) == 640
    assert AudioFormat(16000, "pcm16", channels=2).frame_bytes(10) == 640
    with pytest.raises(ValueError):
        AudioFormat(8000, "mp3")


def test_convert_mulaw_8k_to_pcm_16k_and_back():
    tone = sine(1000.0, 0.5, 8000, amplitude=12000)
    ulaw = pcm16_to_mulaw(tone)
    wide = convert(ulaw, MULAW_8K, PCM16_16K)
    assert len(wide) == 2 * len(tone)
    assert abs(dominant_frequency(wide, 16000) - 1000) <= 2
    back = convert(wide, PCM16_16K, MULAW_8K)
    assert len(back) == len(ulaw)
    err = samples(mulaw_to_pcm16(back))[100:-100] - samples(tone)[100:-100]
    assert np.sqrt(np.mean(err.astype(float) ** 2)) < 300  # companding + filtering noise only


def test_convert_stereo_to_mono():
    stereo = np.array([100, 300, -50, -150], dtype="<i2").tobytes()
    mono = convert(stereo, AudioFormat(8000, "pcm16", 2), PCM16_8K)
    assert samples(mono).tolist() == [200, -100]


def test_stream_converter_matches_batch_convert():
    tone = sine(700.0, 0.4, 16000)
    conv = StreamConverter(PCM16_16K, MULAW_8K)
    streamed = b"".join(conv.process(c) for c in chunk(tone, 640, pad=False)) + conv.flush()
    batch = convert(tone, PCM16_16K, MULAW_8K)
    diff = np.abs(samples(mulaw_to_pcm16(streamed)) - samples(mulaw_to_pcm16(batch)))
    assert len(streamed) == len(batch) and diff.max() <= 64  # at most one G.711 step apart


def test_chunk_pads_the_last_piece_unless_asked_not_to():
    assert chunk(b"abcdefg", 3) == [b"abc", b"def", b"g\x00\x00"]
    assert chunk(b"abcdefg", 3, pad=False) == [b"abc", b"def", b"g"]
    assert chunk(b"", 3) == []


def test_rms_dbfs():
    assert rms_dbfs(b"") == rms_dbfs(pcm(0, 0)) == -100.0
    assert abs(rms_dbfs(pcm(32767, -32767)) - 0.0) < 0.01
    # a full-scale sine is -3 dBFS, and 20x smaller is 26 dB lower
    assert abs(rms_dbfs(sine(1000, 0.1, 8000, amplitude=32767)) + 3.01) < 0.05
    assert abs(rms_dbfs(sine(1000, 0.1, 8000, amplitude=32767 / 20)) + 29.03) < 0.1
