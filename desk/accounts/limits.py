"""Login rate limits, counted on the event bus (so all gateways share them): failed logins per
username + client address, and all attempts per client address."""

from dataclasses import dataclass
from typing import Protocol


class Counter(Protocol):
    async def hit(self, key: str, window_s: int) -> int: ...

    async def peek(self, key: str) -> int: ...

    async def clear(self, key: str) -> None: ...


@dataclass(frozen=True)
class LoginLimits:
    failures: int = 5  # wrong passwords per username + address ...
    failure_window_s: int = 15 * 60  # ... within this window
    attempts: int = 30  # any login attempt per address ...
    attempt_window_s: int = 5 * 60  # ... within this window


class LoginLimiter:
    def __init__(self, counter: Counter, limits: LoginLimits = LoginLimits()) -> None:
        self.counter, self.limits = counter, limits

    @staticmethod
    def _failure_key(username: str, address: str) -> str:
        return f"login-fail:{username.strip().lower()[:40]}|{address}"

    async def admit(self, username: str, address: str) -> int | None:
        """None if this attempt may go ahead, else the seconds to wait (the attempt is refused)."""
        if await self.counter.peek(self._failure_key(username, address)) >= self.limits.failures:
            return self.limits.failure_window_s
        if await self.counter.hit(f"login-any:{address}", self.limits.attempt_window_s) > self.limits.attempts:
            return self.limits.attempt_window_s
        return None

    async def failed(self, username: str, address: str) -> None:
        await self.counter.hit(self._failure_key(username, address), self.limits.failure_window_s)

    async def succeeded(self, username: str, address: str) -> None:
        await self.counter.clear(self._failure_key(username, address))
