"""Token buckets: a burst, then a steady rate. One bucket per connection, and buckets keyed by
client address (bounded in number: the idlest are forgotten first, and a forgotten bucket is a
full one, so forgetting never refuses anyone)."""

import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBucket:
    def __init__(self, burst: int, per_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.per_s, self.clock = burst, per_s, clock
        self.tokens = float(burst)
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.per_s)
        self.stamp = now

    def wait_s(self) -> float:
        """Seconds until one token is there (0: now)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_s if self.per_s > 0 else float("inf")

    def take(self) -> float:
        """Take a token: 0 when taken, else the seconds to wait (nothing is taken)."""
        wait = self.wait_s()
        if wait == 0:
            self.tokens -= 1
        return wait


class KeyedBuckets:
    def __init__(
        self, burst: int, per_s: float, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst, self.per_s, self.max_keys, self.clock = burst, per_s, max_keys, clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def get(self, key: str) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.burst, self.per_s, self.clock)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        self._buckets.move_to_end(key)
        return bucket


def take_all(*buckets: TokenBucket) -> float:
    """Take one token from every bucket, or from none: 0 when taken, else the longest wait."""
    wait = max(b.wait_s() for b in buckets)
    if wait == 0:
        for b in buckets:
            b.take()
    return wait
