"""Work order numbers: date + daily sequence, digits only so they can be read over the phone
(e.g. 26112100042 -> "261121 00042"). Unique under concurrency: the sequence is an atomic
upsert-increment of one counter row per day, committed at once in its own short transaction
(numbers may skip, never repeat; the unique index on work_order.number is the last guard)."""

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import col

from tickets.models import TicketCounter

BEIJING = ZoneInfo("Asia/Shanghai")
SEQUENCE_DIGITS = 5


def next_number(engine: Engine, now: datetime) -> str:
    day = now.astimezone(BEIJING).strftime("%y%m%d")
    dialect = engine.dialect.name
    inserts: dict[str, Callable[[type[TicketCounter]], postgresql.Insert | sqlite.Insert]] = {
        "postgresql": postgresql.insert,
        "sqlite": sqlite.insert,
    }
    insert = inserts.get(dialect)
    if insert is None:
        raise NotImplementedError(f"work order numbering needs PostgreSQL or SQLite, not {dialect}")
    counter = col(TicketCounter.value)
    stmt = (
        insert(TicketCounter)
        .values(day=day, value=1)
        .on_conflict_do_update(index_elements=[col(TicketCounter.day)], set_={"value": counter + 1})
        .returning(counter)
    )
    with engine.begin() as conn:
        if dialect == "postgresql":  # a lost increment after a crash is caught by the unique index
            conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
        value = conn.execute(stmt).scalar_one()
    return f"{day}{value:0{SEQUENCE_DIGITS}d}"


def spoken_form(number: str) -> str:
    """How an agent or the TTS reads a number: date part and sequence apart."""
    return f"{number[:6]} {number[6:]}"
