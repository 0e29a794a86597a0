"""Outgoing Bot API calls: message splitting at Telegram's length limit, and retries with backoff
for flood control (429 retry_after), server errors and network errors."""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from aiogram.exceptions import (
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4096  # Telegram counts UTF-16 code units
T = TypeVar("T")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Chunks of at most `limit` UTF-16 units, cut at a line break or sentence end when one is
    near the limit, never inside a surrogate pair."""
    chunks: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut, units = 0, 0
        for i, ch in enumerate(rest):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                break
            cut = i + 1
        window = rest[:cut]
        soft = max(window.rfind(sep) for sep in ("\n", "。", "！", "？", "；", ". "))
        if soft >= cut // 2:
            cut = soft + 1
        chunks.append(rest[:cut])
        rest = rest[cut:]
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def phone_number_entities(text: str, numbers: list[str]) -> list[dict[str, int | str]]:
    """Telegram `phone_number` entities (tap to call) for every occurrence of the numbers, with
    offsets and lengths in UTF-16 units as the Bot API counts them."""
    entities = []
    for number in numbers:
        start = text.find(number)
        while start >= 0:
            before, after = text[start - 1 : start], text[start + len(number) : start + len(number) + 1]
            if not before.isdigit() and not after.isdigit():
                entities.append(
                    {"type": "phone_number", "offset": utf16_len(text[:start]), "length": utf16_len(number)}
                )
            start = text.find(number, start + len(number))
    return sorted(entities, key=lambda e: e["offset"])


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_retry_after_s: float = 120.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: 0.5, 1, 2, 4 … seconds (capped)."""
        raw = min(self.max_delay_s, self.base_delay_s * 2**attempt)
        return raw * (0.75 + random.random() / 2)


async def call_with_retry(call: Callable[[], Awaitable[T]], what: str, policy: RetryPolicy) -> T:
    """Run a Bot API call; wait and repeat on flood control, 5xx and network errors. Other API
    errors (bad request, bot blocked by the user …) are not retried and propagate."""
    attempt = 0
    while True:
        try:
            return await call()
        except TelegramEntityTooLarge:
            raise
        except TelegramRetryAfter as exc:
            wait = min(float(exc.retry_after), policy.max_retry_after_s)
            log.warning("telegram flood control on %s: retrying in %.1f s", what, wait)
        except (TelegramServerError, TelegramNetworkError) as exc:
            wait = policy.delay(attempt)
            log.warning("telegram %s failed (%s: %s): retry in %.1f s", what, type(exc).__name__, exc, wait)
        attempt += 1
        if attempt >= policy.attempts:
            raise TelegramDeliveryFailed(f"{what}: gave up after {attempt} attempts")
        await asyncio.sleep(wait)


class TelegramDeliveryFailed(Exception):
    """A Bot API call kept failing after every retry."""
