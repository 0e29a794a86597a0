"""Database engine for the gateway: SQLite under var/ by default, any SQLAlchemy URL otherwise."""

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, create_engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///").partition("?")[0])
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name not in ("", ":memory:"):
            make_private(path)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_private(path: Path) -> None:
    """The SQLite file readable by this user only (0600); SQLite creates its -wal and -shm files
    with the database file's mode, and existing ones are tightened too."""
    path.touch(mode=0o600, exist_ok=True)
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists():
            part.chmod(0o600)


def init_db(engine: Engine) -> None:
    """Create missing tables for every table model imported so far."""
    SQLModel.metadata.create_all(engine)
