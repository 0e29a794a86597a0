"""Speech synthesis: the TextToSpeech interface (base.py), edge-tts (online neural voices),
espeak-ng (offline), a disk cache of synthesized prompts and the fallback chain that keeps a
call from going silent; `create_text_to_speech(settings)` builds the configured chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voice.tts.base import SynthesisError, TextToSpeech

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["SynthesisError", "TextToSpeech", "create_text_to_speech"]


def create_text_to_speech(settings: Settings) -> TextToSpeech:
    """HOTLINE_TTS_PROVIDER: fallback (edge-tts, cached, espeak-ng when it fails), edge, espeak."""
    from voice.tts.cache import TtsCache
    from voice.tts.edge_tts_provider import EdgeTextToSpeech
    from voice.tts.espeak_provider import EspeakTextToSpeech
    from voice.tts.fallback import FallbackTextToSpeech

    espeak = EspeakTextToSpeech(voice=settings.espeak_voice)
    if settings.tts_provider == "espeak":
        return espeak
    edge = EdgeTextToSpeech(
        settings.tts_voice,
        endpoint=settings.edge_tts_endpoint,
        proxy=settings.edge_tts_proxy,
        first_audio_timeout_s=settings.tts_timeout_s,
    )
    cache = TtsCache(settings.tts_cache_dir)
    return FallbackTextToSpeech(edge, espeak if settings.tts_provider == "fallback" else None, cache=cache)
