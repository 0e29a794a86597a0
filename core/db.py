"""Database engine for the gateway: SQLite under var/ by default, any SQLAlchemy URL otherwise."""

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///").partition("?")[0])
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name not in ("", ":memory:"):
            make_private(path)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def saved_id(row: Any) -> int:
    """The primary key of a row read from or flushed to the database (SQLModel types the column
    `int | None` because a new row has none until it is flushed)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: it was never flushed")
    return row.id


def make_private(path: Path) -> None:
    """The SQLite file readable by this user only (0600); SQLite creates its -wal and -shm files
    with the database file's mode, and existing ones are tightened too."""
    path.touch(mode=0o600, exist_ok=True)
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists():
            part.chmod(0o600)


def init_db(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic migrations, see core/migrate.py)."""
    from core.migrate import upgrade

    upgrade(engine)


def reset_db(engine: Engine) -> None:
    """Drop every table of the project and the migration history, then migrate afresh (tests and
    benchmarks on a shared PostgreSQL database)."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from core.migrate import import_table_models

    import_table_models()
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    init_db(engine)
