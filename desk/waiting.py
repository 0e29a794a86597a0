"""What a queued citizen is told: agents' working hours, their place in the queue and a wait
estimate (from the pace of recent takes, or the configured average handle time)."""

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
RECENT = timedelta(minutes=30)  # takes counted for the pace of the queue
MIN_TAKES = 3  # fewer takes than this: use the average handle time instead


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time | None  # None: until midnight ("24:00")

    @classmethod
    def parse(cls, spec: str) -> "WorkingHours":
        m = re.fullmatch(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", spec.strip())
        if not m:
            raise ValueError(f"working hours must look like 08:00-20:00, not {spec!r}")
        h1, m1, h2, m2 = map(int, m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"invalid working hours {spec!r}")
        return cls(time(h1, m1), None if h2 == 24 else time(h2, m2))

    @property
    def always(self) -> bool:
        return self.start == time(0, 0) and self.end is None

    def open_at(self, now: datetime) -> bool:
        local = now.astimezone(BEIJING).time()
        if self.end is None:
            return local >= self.start
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # a night shift across midnight

    def label(self) -> str:
        end = "24:00" if self.end is None else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}至{end}"


def estimate_minutes(
    ahead: int, take_times: list[datetime], now: datetime, avg_handle_s: int, agents_online: int
) -> int:
    """Minutes until the citizen with `ahead` conversations before them is taken.

    With enough recent takes the queue's own pace is used (takes per minute over the recent
    window); otherwise every online agent is assumed to finish one conversation per average
    handle time."""
    recent = [t for t in take_times if now - t <= RECENT]
    if len(recent) >= MIN_TAKES:
        span_min = max((now - min(recent)).total_seconds() / 60, 1.0)
        per_minute = len(recent) / span_min
        minutes = (ahead + 1) / per_minute
    else:
        minutes = (ahead + 1) * avg_handle_s / 60 / max(agents_online, 1)
    return max(1, math.ceil(minutes))


def position_text(ahead: int, minutes: int) -> str:
    if ahead <= 0:
        return f"您是下一位，预计等待约{minutes}分钟。"
    return f"您前面还有{ahead}位，预计等待约{minutes}分钟。"
