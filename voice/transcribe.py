"""`hotline transcribe FILE...`: decode each audio file (any format PyAV reads), run the
configured speech recognizer, print `FILE<TAB>TEXT` per file on stdout.

Exit codes: 0 all transcribed, 1 some file could not be read or decoded (said on stderr,
the others are still transcribed), 3 speech recognition is unavailable (model missing)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from voice.asr import SpeechUnavailable, create_speech_to_text
from voice.decode import AudioDecodeError, decode_audio_async

if TYPE_CHECKING:
    from core.settings import Settings

EXIT_UNAVAILABLE = 3


async def transcribe_files(
    settings: Settings, files: list[Path], *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    stt = create_speech_to_text(settings)
    try:
        try:
            if not stt.available():
                raise SpeechUnavailable(
                    f"no {stt.name} model at {getattr(stt, 'model_path', '?')}: "
                    "run `hotline models fetch` (see `hotline models verify`)"
                )
            await stt.warm_up()
        except SpeechUnavailable as exc:
            print(f"error: speech recognition unavailable: {exc}", file=err, flush=True)
            return EXIT_UNAVAILABLE
        rc = 0
        for path in files:
            try:
                pcm = await decode_audio_async(path, sample_rate=stt.audio_format.sample_rate, max_seconds=None)
            except (AudioDecodeError, OSError) as exc:
                print(f"error: {path}: {exc}", file=err, flush=True)
                rc = 1
                continue
            text = await stt.transcribe(pcm)
            print(f"{path}\t{text}", file=out, flush=True)
        return rc
    finally:
        await stt.aclose()
