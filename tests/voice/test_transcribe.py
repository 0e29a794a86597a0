"""`hotline transcribe FILE...` as a real command, with the real Vosk runtime (the Korean
model wheel stands in for the Chinese model, selected through settings)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.voice.conftest import SPEECH_DIR
from tests.voice.test_decode import encode, wav_bytes
from tests.voice.test_vosk import ko_model_dir
from voice.audio import resample_pcm16

ROOT = Path(__file__).resolve().parents[2]


def hotline(*args: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")} | env
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=300
    )


def test_transcribe_prints_file_tab_text_for_every_format(tmp_path, speech_16k):
    clip = speech_16k["funasr_asr_example.wav"][: 16000 * 2 * 3]
    phone = tmp_path / "phone-8k.wav"
    phone.write_bytes(wav_bytes(resample_pcm16(clip, 16000, 8000), 8000))
    note = tmp_path / "note.webm"
    note.write_bytes(encode(clip, 16000, "webm", "libopus"))
    silent = tmp_path / "silent.wav"
    silent.write_bytes(wav_bytes(b"\x00\x00" * 8000, 8000))
    broken = tmp_path / "broken.ogg"
    broken.write_bytes(b"OggS but not really")
    files = [str(SPEECH_DIR / "funasr_asr_example.wav"), str(phone), str(note), str(silent), str(broken)]
    run = hotline("transcribe", *files, HOTLINE_VAR_DIR=str(tmp_path), HOTLINE_VOSK_MODEL_PATH=str(ko_model_dir()))
    assert run.returncode == 1, run.stderr  # one file could not be decoded; the others are done
    lines = run.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == files[:4]
    texts = [line.split("\t", 1)[1] for line in lines]
    assert all(texts[:3]) and texts[3] == ""  # speech gives text (Korean words here), silence none
    assert f"error: {broken}:" in run.stderr
    ok = hotline("transcribe", str(phone), HOTLINE_VAR_DIR=str(tmp_path), HOTLINE_VOSK_MODEL_PATH=str(ko_model_dir()))
    assert ok.returncode == 0 and ok.stdout == f"{phone}\t{texts[1]}\n"


def test_transcribe_without_a_model_says_how_to_install_it(tmp_path):
    run = hotline("transcribe", str(SPEECH_DIR / "funasr_asr_example.wav"), HOTLINE_VAR_DIR=str(tmp_path))
    assert run.returncode == 3 and run.stdout == ""
    assert "speech recognition unavailable" in run.stderr and "hotline models fetch" in run.stderr
