"""Hot issues (每月一题) over the work orders or over a history CSV, as DESIGN's "Hot issues"
defines them: `{"issues": [{"rank", "title", "heat", "count", "first", "last", "place",
"message_ids": [...]}]}` (reports/issue_mining.py finds and ranks them).

Each issue also carries `category` (the most frequent category path, joined by " / "),
`district`, `people` (distinct senders), `support` (likes, or repeat messages of one sender),
`days` (distinct days) and `keywords`. For work orders `message_ids` are work-order numbers, a
sender is the masked phone number's hash or the conversation (never output), the place is the
one named in the address or description, else the order's street; `first`/`last` are UTC
ISO-8601 with Z. For a CSV `first`/`last` are the CSV's own times, ISO-8601 as given."""

import csv
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from core.clock import iso_utc
from reports.issue_mining import Message, mine
from reports.service import beijing_today, day_start
from tickets.models import WorkOrder

WO = WorkOrder.__table__
DEFAULT_DAYS = 30


def period(start: date | None, end: date | None) -> tuple[date, date]:
    """The dates asked for; by default the last DEFAULT_DAYS Beijing dates up to today."""
    end = end or beijing_today()
    return start or end - timedelta(days=DEFAULT_DAYS - 1), end


def _person(phone: str | None, conversation: str | None) -> str | None:
    """A pseudonymous sender key (the phone is hashed in memory, never output)."""
    raw = phone or conversation
    return hashlib.sha256(raw.encode()).hexdigest()[:16] if raw else None


def order_messages(engine: Engine, start: date, end: date) -> list[Message]:
    """The work orders created on Beijing dates start..end (inclusive) as messages."""
    query = (
        select(
            WO.c.number,
            WO.c.description,
            WO.c.address,
            WO.c.street,
            WO.c.district,
            WO.c.category_path,
            WO.c.contact_phone,
            WO.c.conversation_id,
            WO.c.created_at,
        )
        .where(WO.c.created_at >= day_start(start), WO.c.created_at < day_start(end + timedelta(days=1)))
        .order_by(WO.c.created_at)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    messages = []
    for row in rows:
        # The description first: the issue's title is its medoid's first sentence.
        text = "。".join(part for part in (row.description, row.address) if part)
        category = " / ".join(row.category_path) if row.category_path else None
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)  # SQLite
        person = _person(row.contact_phone, row.conversation_id)
        messages.append(
            Message(
                id=row.number,
                text=text,
                time=created,
                person=person,
                category=category,
                district=row.district,
                place=row.street,
            )
        )
    return messages


def _report(issues: list[dict], time_format) -> dict[str, Any]:
    for issue in issues:
        issue["first"], issue["last"] = time_format(issue["first"]), time_format(issue["last"])
    return {"issues": issues}


def hot_issues_from_orders(engine: Engine, start: date, end: date, top: int = 10) -> dict[str, Any]:
    """The top hot issues among the work orders created on Beijing dates start..end (inclusive)."""
    if end < start:
        raise ValueError("from must not be after to")
    messages = order_messages(engine, start, end)
    report = _report(mine(messages, top=top, end=day_start(end + timedelta(days=1))), iso_utc)
    return {"from": start.isoformat(), "to": end.isoformat(), "messages": len(messages), **report}


class RememberedHotIssues:
    """`hot_issues_from_orders` for the API and the dashboard: a period is mined again only when
    its orders changed (their count, newest id or latest update), so a page refreshing every
    minute costs one small query instead of a mining run. Thread-safe; keeps `size` reports."""

    def __init__(self, engine: Engine, size: int = 16) -> None:
        self.engine, self.size = engine, size
        self._reports: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, start: date, end: date, top: int = 10) -> dict[str, Any]:
        key = (start, end, top, self._fingerprint(start, end))
        with self._lock:
            if key in self._reports:
                self._reports.move_to_end(key)
                return self._reports[key]
        report = hot_issues_from_orders(self.engine, start, end, top)
        with self._lock:
            self._reports[key] = report
            while len(self._reports) > self.size:
                self._reports.popitem(last=False)
        return report

    def _fingerprint(self, start: date, end: date) -> tuple:
        query = select(func.count(), func.max(WO.c.id), func.max(WO.c.updated_at)).where(
            WO.c.created_at >= day_start(start), WO.c.created_at < day_start(end + timedelta(days=1))
        )
        with self.engine.connect() as conn:
            return tuple(conn.execute(query).one())


def _parse_time(value: str) -> datetime:
    value = value.strip().replace("/", "-")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return datetime.strptime(value, "%Y-%m-%d %H:%M")


def csv_messages(
    path: Path, text_columns: Sequence[str], time_column: str, id_column: str, likes_column: str | None = None
) -> list[Message]:
    """Messages of a history CSV (UTF-8, with a header row). Raises ValueError naming a missing
    column or an unreadable time."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        wanted = [*text_columns, time_column, id_column, *([likes_column] if likes_column else [])]
        missing = [c for c in wanted if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: no column {', '.join(missing)} (columns: {', '.join(reader.fieldnames or [])})")
        messages = []
        for line, row in enumerate(reader, start=2):
            try:
                when = _parse_time(row[time_column])
            except ValueError:
                raise ValueError(f"{path}:{line}: not a time: {row[time_column]!r}") from None
            likes = int(float(row[likes_column] or 0)) if likes_column else 0
            text = "。".join(row[c].strip() for c in text_columns if row[c] and row[c].strip())
            sender = f"id:{row[id_column]}"  # a CSV names no sender: each message is its own
            messages.append(Message(id=row[id_column], text=text, time=when, person=sender, likes=likes))
    return messages


def hot_issues_from_csv(
    path: Path,
    text_columns: Sequence[str],
    time_column: str,
    id_column: str,
    likes_column: str | None = None,
    start: date | None = None,
    end: date | None = None,
    top: int = 10,
) -> dict[str, Any]:
    """The top hot issues of a history CSV, optionally only its messages dated start..end."""
    messages = [
        m
        for m in csv_messages(path, text_columns, time_column, id_column, likes_column)
        if (start is None or m.time.date() >= start) and (end is None or m.time.date() <= end)
    ]
    report = _report(mine(messages, top=top), lambda t: t.isoformat(sep=" "))
    return {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "messages": len(messages),
        **report,
    }


def render_text(report: dict[str, Any], ids: int = 8) -> str:
    """The issues as people read them (Chinese labels)."""
    lines = [
        f"热点问题（每月一题）{report.get('from') or ''} – {report.get('to') or ''}，共 {report['messages']} 条诉求"
    ]
    if not report["issues"]:
        lines.append("（无：没有同一地点同一问题的多条诉求）")
    for issue in report["issues"]:
        shown = ", ".join(issue["message_ids"][:ids]) + (" …" if len(issue["message_ids"]) > ids else "")
        lines.append(f"{issue['rank']:>2}. {issue['title']}")
        lines.append(
            f"    热度 {issue['heat']}  诉求 {issue['count']} 条  人数 {issue['people']}  地点 {issue['place']}"
            f"  类别 {issue.get('category') or '-'}  区 {issue.get('district') or '-'}"
        )
        lines.append(f"    时间 {issue['first']} – {issue['last']}  编号 {shown}")
    return "\n".join(lines) + "\n"
