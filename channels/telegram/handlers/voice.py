"""Voice notes (OGG/Opus): downloaded with getFile, decoded to 16 kHz PCM16, recognised by the
injected speech-to-text, and then handled like typed text. Optional spoken replies."""

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message

from channels.telegram.channel import FileTooLarge, TelegramChannel
from channels.telegram.sending import TelegramDeliveryFailed
from channels.telegram.turns import bot_turn, inbound, local_turn, system
from conversation.router import ConversationRouter
from core.log_ids import short_id

log = logging.getLogger(__name__)

MAX_VOICE_SECONDS = 120
MAX_VOICE_BYTES = 4 * 1024 * 1024
UNAVAILABLE = "抱歉，暂时无法识别语音消息，请发送文字消息。"
TOO_LONG = f"语音太长了，请分段发送，每段不超过{MAX_VOICE_SECONDS // 60}分钟；也可以发送文字消息。"
NOT_HEARD = "抱歉，没有听清您的语音。请再说一遍，或者发送文字消息。"
BROKEN = "抱歉，这条语音无法播放，请重新录制或发送文字消息。"
NOT_RECEIVED = "抱歉，这条语音没有收到，请重新发送，或者发送文字消息。"
HEARD = "（语音识别：{}）"

# (audio bytes, "ogg", sample_rate=N) -> PCM16 mono at N Hz (voice.decode.decode_upload)
Decode = Callable[..., bytes]
Speak = Callable[[str], Awaitable[bytes | None]]  # text -> OGG/Opus voice, None when unavailable


def build_router() -> Router:
    router = Router(name="telegram-voice")
    router.message.filter(F.chat.type == ChatType.PRIVATE)

    @router.message(F.voice)
    async def on_voice(
        message: Message,
        channel: TelegramChannel,
        conversations: ConversationRouter,
        transcriber: Any,
        decode_audio: Decode | None,
        speak: Speak | None,
    ) -> None:
        voice = message.voice
        details = {"duration_s": voice.duration, "file_id": voice.file_id, "mime": voice.mime_type}
        record = inbound(message.chat, message.from_user, "[语音消息]", "voice", **details)
        if transcriber is None or decode_audio is None or not transcriber.available():
            log.warning("voice note in chat %s not recognised: speech recognition is unavailable", message.chat.id)
            await local_turn(channel, conversations, record, system(UNAVAILABLE), error_code="audio_unavailable")
            return
        if voice.duration > MAX_VOICE_SECONDS:
            await local_turn(channel, conversations, record, system(TOO_LONG), error_code="audio_too_long")
            return
        channel.typing(message.chat.id)
        try:
            ogg = await channel.download(voice.file_id, MAX_VOICE_BYTES)
        except FileTooLarge as exc:
            log.warning("voice note in chat %s too large: %s", message.chat.id, exc)
            await local_turn(channel, conversations, record, system(TOO_LONG), error_code="audio_too_long")
            return
        except (TelegramDeliveryFailed, TelegramAPIError) as exc:
            log.warning("voice note in chat %s not downloaded: %s", message.chat.id, exc)
            await local_turn(channel, conversations, record, system(NOT_RECEIVED), error_code="audio_download_failed")
            return
        rate = getattr(getattr(transcriber, "audio_format", None), "sample_rate", 16000)
        try:
            pcm16 = await asyncio.to_thread(functools.partial(decode_audio, ogg, "ogg", sample_rate=rate))
        except Exception as exc:  # noqa: BLE001  (any decoder failure: the file is unusable)
            log.warning("voice note in chat %s could not be decoded: %s: %s", message.chat.id, type(exc).__name__, exc)
            await local_turn(channel, conversations, record, system(BROKEN), error_code="invalid_audio")
            return
        try:
            text = (await transcriber.transcribe(pcm16)).strip()
        except Exception as exc:  # noqa: BLE001  (model missing or broken: the citizen can still type)
            log.error("speech recognition failed for chat %s: %s: %s", message.chat.id, type(exc).__name__, exc)
            await local_turn(channel, conversations, record, system(UNAVAILABLE), error_code="asr_failed")
            return
        if not text:
            await local_turn(channel, conversations, record, system(NOT_HEARD), error_code="asr_empty")
            return
        msg = inbound(message.chat, message.from_user, text, "voice", **details)
        await channel.send(msg.conversation_id, system(HEARD.format(text)))
        replies = await bot_turn(channel, conversations, msg)
        if speak is not None:
            await _speak_replies(channel, msg.conversation_id, [r.text for r in replies if r.text], speak)

    return router


async def _speak_replies(channel: TelegramChannel, conv_id: str, texts: list[str], speak: Speak) -> None:
    """A voice note answers a voice note (the text was already sent)."""
    if not texts:
        return
    try:
        audio = await speak("\n".join(texts))
    except Exception as exc:  # noqa: BLE001  (speech is an extra; the text reply already went out)
        log.warning("voice reply for %s not synthesised: %s: %s", short_id(conv_id), type(exc).__name__, exc)
        return
    if audio:
        await channel.send_voice(conv_id, audio)
