"""Citizens' data on disk is readable by its owner only: the SQLite file with its -wal and -shm
(0600 whatever the umask), and everything `hotline up` / `serve` creates (umask 0077)."""

import os
import stat

from sqlalchemy import text

from core.db import init_db, make_engine


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_files_are_0600(tmp_path):
    old = os.umask(0o022)
    try:
        (tmp_path / "old.db-wal").write_bytes(b"")  # left over from before: tightened too
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        init_db(engine)
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE t (a)"))
            conn.commit()
            files = sorted(tmp_path.iterdir())
            assert [p.name for p in files] == ["old.db", "old.db-shm", "old.db-wal"]
            assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
        engine.dispose()
    finally:
        os.umask(old)


def test_memory_databases_create_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_engine("sqlite:///:memory:").dispose()
    assert list(tmp_path.iterdir()) == []
