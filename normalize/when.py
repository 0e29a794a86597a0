"""When something happened, from what a citizen says: "昨天晚上十点", "上周三下午", "三天前",
"这个月初" → a timestamp (Beijing time) with its precision; "一直都这样" → ongoing; and a vague
period that is still going on — "最近一个月", "这几天", "上周开始", "半年多了" — → ongoing since
about when it began (precision "period")."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from normalize.numerals import small_number, to_halfwidth

BEIJING = ZoneInfo("Asia/Shanghai")
_NUM = r"[0-9零〇一二两三四五六七八九十]{1,3}"

# A period up to now: "最近一个月", "近两周", "这几天", "一个多月了", "好几天了".
_RECENT_SPAN = re.compile(rf"(?:最近|近|这|过去)({_NUM}|几|两|半)个?多?(天|日|礼拜|星期|周|月|年)")
_SPAN_SO_FAR = re.compile(rf"(?<![前后])({_NUM}|好几|几|半)个?多?(天|礼拜|星期|周|月|年)(?:多)?(?:了|以来|来|左右了)")
# A start that lasts: "上周开始", "从上个月起", "去年以来", "前几天开始".
_SINCE = re.compile(
    r"(上个?(?:周|礼拜|星期|月)|这个?(?:周|礼拜|星期|月)|本(?:周|月)|去年|今年|前几天|前两天|年初)"
    r"(?:初|底|末)?(?:就)?(?:开始|起|以来|到现在)"
)
# A vague time of one event: "前几天", "前两天", "前阵子".
_FEW_DAYS_AGO = {"前几天": 3, "前两天": 2, "前阵子": 14, "前段时间": 14}
# Ongoing with no start said: "这段时间", "最近", "近来".
_LATELY = re.compile(r"最近|近来|近期|这段时间|这阵子|这些天|这几天|这两天|连续几天")
_TENURE = re.compile(r"住|搬来|工作|上班|干了|买房|开了")
_SPAN_DAYS = {"天": 1, "日": 1, "礼拜": 7, "星期": 7, "周": 7, "月": 30, "年": 365}
_START_OF = {"上周": -7, "上礼拜": -7, "上星期": -7, "这周": 0, "这礼拜": 0, "这星期": 0, "本周": 0}

ONGOING = re.compile(
    r"一直|总是|老是|天天|每天|每晚|每天晚上|经常|长期|常年|好几个月了|好多年了|至今|到现在都|反复|三天两头"
)
_DAYS = {"大前天": -3, "前天": -2, "前儿": -2, "昨天": -1, "昨儿": -1, "昨晚": -1, "今天": 0, "今儿": 0, "今早": 0,
         "今晚": 0, "刚才": 0, "刚刚": 0}  # fmt: skip
# "11月15号", "15号那天", "15号晚上" are dates; a bare "1号" is usually a house number.
_MONTH_DAY = re.compile(rf"({_NUM})月({_NUM})[号日]")
_DAY_SAID_AS_DATE = re.compile(rf"({_NUM})[号日](?=那天|当天|晚上|早上|上午|下午|中午|凌晨|夜里)")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
# Part of the day: (default hour, hours that are PM when said as 1..12)
_PERIODS = [
    ("凌晨", 3, False), ("半夜", 0, False), ("早上", 8, False), ("早晨", 8, False), ("清早", 7, False),
    ("上午", 10, False), ("中午", 12, True), ("下午", 15, True), ("傍晚", 18, True), ("晚上", 21, True),
    ("夜里", 23, True), ("晚", 21, True), ("早", 8, False),
]  # fmt: skip


@dataclass(frozen=True)
class When:
    at: datetime | None  # Beijing time
    ongoing: bool = False
    precision: str | None = None  # minute | hour | day | month


def parse_when(text: str, now: datetime) -> When | None:
    """None when the text says nothing about time."""
    text = to_halfwidth(text)
    now = now.astimezone(BEIJING)
    if (since := _since(text, now)) is not None:
        return When(since, ongoing=True, precision="period")
    if ONGOING.search(text) or _LATELY.search(text):
        return When(at=None, ongoing=True)
    if few := next((days for word, days in _FEW_DAYS_AGO.items() if word in text), None):
        return When(_noon(now - timedelta(days=few)), precision="day")
    day = _day(text, now)
    clock = _clock(text)
    if day is None and clock is None:
        return _relative(text, now)
    base = day if day is not None else now
    if clock is None:
        return When(base.replace(hour=12, minute=0, second=0, microsecond=0), precision="day")
    hour, minute, exact = clock
    at = base.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if day is None and at > now:  # "晚上十点" said in the morning means last night
        at -= timedelta(days=1)
    return When(at, precision="minute" if exact else "hour")


def _day(text: str, now: datetime) -> datetime | None:
    for word, offset in _DAYS.items():
        if word in text:
            return now + timedelta(days=offset)
    if m := re.search(r"(上|这|本)(?:个)?(?:周|礼拜|星期)([一二三四五六日天])", text):
        week_start = now - timedelta(days=now.weekday()) + timedelta(weeks=-1 if m.group(1) == "上" else 0)
        return week_start + timedelta(days=_WEEKDAYS[m.group(2)])
    month, day_of_month = None, None
    if m := _MONTH_DAY.search(text):
        month, day_of_month = small_number(m.group(1)), small_number(m.group(2))
    elif m := _DAY_SAID_AS_DATE.search(text):
        day_of_month = small_number(m.group(1))
    if day_of_month and 1 <= day_of_month <= 31:
        ref = now
        if month and 1 <= month <= 12:
            ref = now.replace(day=1, month=month)
            if ref > now:
                ref = ref.replace(year=now.year - 1)
        elif day_of_month > now.day:
            ref = now.replace(day=1) - timedelta(days=1)  # "25号那天" said on the 21st: last month
        try:
            return ref.replace(day=day_of_month)
        except ValueError:
            return None
    return None


def _clock(text: str) -> tuple[int, int, bool] | None:
    m = re.search(rf"({_NUM})点(?:(半)|({_NUM})分?|(多|左右|钟))?", text)
    period = next(((h, pm) for word, h, pm in _PERIODS if word in text), None)
    if m is None:
        return (period[0], 0, False) if period else None
    hour = small_number(m.group(1))
    if hour is None or hour > 24:
        return None
    minute = 30 if m.group(2) else (small_number(m.group(3)) or 0) if m.group(3) else 0
    if period and period[1] and hour < 12:
        hour += 12
    if period and not period[1] and hour == 12:
        hour = 0
    exact = bool(m.group(2) or m.group(3)) and not m.group(4)
    return hour % 24, min(minute, 59), exact


def _relative(text: str, now: datetime) -> When | None:
    if m := re.search(rf"({_NUM}|半)个?(分钟|小时|钟头|天|礼拜|星期|周|月)(?:以)?前", text):
        n = 0.5 if m.group(1) == "半" else small_number(m.group(1))
        if n is None:
            return None
        unit = m.group(2)
        delta = {
            "分钟": timedelta(minutes=n),
            "小时": timedelta(hours=n),
            "钟头": timedelta(hours=n),
            "天": timedelta(days=n),
            "月": timedelta(days=30 * n),
        }.get(unit, timedelta(weeks=n))
        precision = "minute" if unit == "分钟" else "hour" if unit in ("小时", "钟头") else "day"
        return When(now - delta, precision=precision)
    if m := re.search(r"(上个?月|这个?月|本月)(初|中旬|中|底|末)?", text):
        month = now if m.group(1)[0] in "这本" else now.replace(day=1) - timedelta(days=1)
        day = {"初": 3, "中旬": 15, "中": 15, "底": 27, "末": 27}.get(m.group(2) or "", 15)
        at = min(now, month.replace(day=day, hour=12, minute=0, second=0, microsecond=0))
        return When(at, precision="month")
    return None


def _since(text: str, now: datetime) -> datetime | None:
    """When a period still going on began: "最近一个月" → a month ago, "上周开始" → last Monday."""
    m = _RECENT_SPAN.search(text) or _SPAN_SO_FAR.search(text)
    if m and not _TENURE.search(text[max(0, m.start() - 4) : m.start()]):  # "住了三年了" is not the problem's age
        count = {"几": 3, "好几": 3, "两": 2, "半": 0.5}.get(m.group(1)) or small_number(m.group(1))
        if count:
            return _noon(now - timedelta(days=count * _SPAN_DAYS[m.group(2)]))
    if m := _SINCE.search(text):
        start = m.group(1)
        if start in _FEW_DAYS_AGO:
            return _noon(now - timedelta(days=_FEW_DAYS_AGO[start]))
        if (week := _START_OF.get(start.replace("个", ""))) is not None:
            return _noon(now - timedelta(days=now.weekday() - week))
        if "月" in start:
            first = now.replace(day=1)
            return _noon(first if start[0] in "这本" else (first - timedelta(days=1)).replace(day=1))
        year = now.year - 1 if start == "去年" else now.year
        return _noon(now.replace(year=year, month=1, day=1))
    return None


def _noon(at: datetime) -> datetime:
    return at.replace(hour=12, minute=0, second=0, microsecond=0)
