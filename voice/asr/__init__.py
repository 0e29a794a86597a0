"""Speech recognition: the SpeechToText interface (base.py), the Vosk provider and a scripted
provider for tests and demos; `create_speech_to_text(settings)` picks the configured one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voice.asr.base import RecognitionStream, SpeechToText, SpeechUnavailable

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["RecognitionStream", "SpeechToText", "SpeechUnavailable", "create_speech_to_text"]


def create_speech_to_text(settings: Settings) -> SpeechToText:
    """The configured recognizer (HOTLINE_SPEECH_PROVIDER); nothing is loaded yet."""
    if settings.speech_provider == "scripted":
        from voice.asr.scripted_provider import ScriptedSpeechToText

        if settings.scripted_transcripts is None:
            raise ValueError("HOTLINE_SPEECH_PROVIDER=scripted needs HOTLINE_SCRIPTED_TRANSCRIPTS (a JSON file)")
        return ScriptedSpeechToText.from_file(settings.scripted_transcripts)
    from voice.asr.vosk_provider import VoskSpeechToText

    return VoskSpeechToText(settings.vosk_model_dir)
