"""Schema migrations with Alembic (scripts in migrations/): every database, new or old, is
brought to the newest revision when the gateway or a command opens it.

Databases made before Alembic (tables created by `create_all`, columns patched at start) have
tables but no `alembic_version`: the baseline revision creates only what is missing, so they
join the history where they are."""

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
ADVISORY_LOCK = 12345_0001  # gateways starting together migrate one after the other (PostgreSQL)


def import_table_models() -> None:
    """Import every module that declares tables, so that SQLModel.metadata knows them all."""
    import conversation.models  # noqa: F401
    import desk.accounts.models  # noqa: F401
    import knowledge_base.models  # noqa: F401
    import reports.models  # noqa: F401
    import tickets.models
    import tickets.units  # noqa: F401


def ours(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic `include_object`: only the project's own tables (and their indexes) are compared.
    Another program's tables in the same database, such as the Rasa tracker store's `events`,
    are never proposed for removal."""
    from sqlmodel import SQLModel

    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table is None or table in SQLModel.metadata.tables


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision` in one transaction (PostgreSQL: under an advisory lock)."""
    config = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        before = MigrationContext.configure(conn).get_current_revision()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        after = MigrationContext.configure(conn).get_current_revision()
    if before != after:
        log.info("database schema migrated from %s to %s", before or "(none)", after)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the migrations directory has no revision")
    return head
