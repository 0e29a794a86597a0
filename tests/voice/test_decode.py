"""Decoding voice notes and uploads (webm/ogg Opus, wav, mp3) made from a real speech clip."""

import io
import wave

import av
import numpy as np
import pytest

from tests.voice.fake_edge import mp3_frames
from voice.audio import resample_pcm16
from voice.decode import AudioDecodeError, Mp3StreamDecoder, decode_audio, decode_upload


def encode(pcm16: bytes, rate: int, container: str, codec: str) -> bytes:
    """Encode mono PCM16 with PyAV, as a browser's MediaRecorder or a phone app would."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=48000 if codec == "libopus" else rate, layout="mono")
        stream.bit_rate = 32000  # a typical voice-note bit rate
        frame = av.AudioFrame.from_ndarray(np.frombuffer(pcm16, "<i2").reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = None
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def wav_bytes(pcm16: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(pcm16)
    return buf.getvalue()


def similarity(a: bytes, b: bytes) -> float:
    """Best normalised cross-correlation of two signals over small shifts (codec delay)."""
    x, y = (np.frombuffer(v, "<i2").astype(float) for v in (a, b))
    n = min(len(x), len(y)) - 2000
    best = 0.0
    for shift in range(0, 1000, 4):
        xs, ys = x[:n], y[shift : shift + n]
        best = max(best, float(np.dot(xs, ys) / np.sqrt(np.dot(xs, xs) * np.dot(ys, ys))))
    return best


@pytest.mark.parametrize("container,codec", [("webm", "libopus"), ("ogg", "libopus"), ("mp3", "libmp3lame")])
def test_compressed_voice_notes_decode_to_the_same_speech(speech_16k, container, codec):
    clip = speech_16k["funasr_asr_example.wav"]
    data = encode(clip, 16000, container, codec)
    assert len(data) < len(clip) / 4  # really compressed
    pcm = decode_upload(data, container if container != "mp3" else "mp3")
    assert abs(len(pcm) - len(clip)) < 16000 * 2 * 0.1  # within 100 ms
    assert similarity(clip, pcm) > 0.9


def test_wav_at_any_rate_and_raw_pcm16(speech_16k):
    clip = speech_16k["thchs30_D4_751.wav"]
    narrow = resample_pcm16(clip, 16000, 8000)
    pcm = decode_upload(wav_bytes(narrow, 8000), "wav")
    assert abs(len(pcm) - len(clip)) <= 64 and similarity(resample_pcm16(narrow, 8000, 16000), pcm) > 0.98
    assert decode_upload(clip, "pcm16") == clip
    assert len(decode_upload(narrow, "pcm16", pcm16_rate=8000)) == len(clip)
    assert len(decode_audio(wav_bytes(clip, 16000), sample_rate=8000)) == len(clip) // 2


def test_bad_uploads_are_refused_clearly(speech_16k):
    for data, fmt, match in [
        (b"", "webm", "empty"),
        (b"\x1aE\xdf\xa3 not really webm" * 10, "webm", "cannot decode"),
        (b"\x00\x01\x02", "pcm16", "even number"),
        (b"abc", "flac", "unsupported audio format"),
    ]:
        with pytest.raises(AudioDecodeError, match=match):
            decode_upload(data, fmt)
    long_wav = wav_bytes(b"\x00\x00" * 16000 * 5, 16000)
    with pytest.raises(AudioDecodeError, match="longer than 2 s"):
        decode_upload(long_wav, "wav", max_seconds=2)


def test_streaming_mp3_decoder_takes_any_cut():
    frames = b"".join(mp3_frames(1.0, 440.0))
    whole = Mp3StreamDecoder(16000)
    reference = whole.feed(frames) + whole.flush()
    for cut in (1, 97, 1500):
        dec = Mp3StreamDecoder(16000)
        out = b"".join(dec.feed(frames[i : i + cut]) for i in range(0, len(frames), cut)) + dec.flush()
        assert out == reference
    assert abs(len(reference) / 32000 - 1.0) < 0.1
    with pytest.raises(AudioDecodeError):
        dec = Mp3StreamDecoder()
        dec.feed(b"no mp3 here" * 50)
        dec.flush()
