"""Schema migrations (Alembic): a new database gets exactly the models' schema; a database made
by the previous release (tables created before Alembic, no version table) is adopted and
migrated with its work orders kept, which then find their handling unit by name."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from core.db import init_db, make_engine
from core.migrate import current_revision, head_revision, import_table_models, ours, upgrade
from followup.wiring import UnitDirectory
from tickets.category_catalog import CategoryCatalog
from tickets.units import UnitRegistry

# What the previous release wrote for a work order (its columns only).
OLD_ORDER = """INSERT INTO work_order (number, request_type, description, district, street, ongoing, category_path,
  department, urgency, deadline, emergency, status, channel, created_at, updated_at)
  VALUES ('26112100042', 'complain', '望京西园三区楼下烧烤店半夜扰民', '朝阳区', '望京街道', 0, '[]',
  '望京街道办事处', '15d', '2026-12-08 00:00:00', 0, 'accepted', 'web', '2026-11-21 03:00:00', '2026-11-21 03:00:00')"""


def schema_differences(db) -> list:
    import_table_models()
    with db.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"include_object": ours}), SQLModel.metadata)
    # SQLite does not keep VARCHAR lengths, so a widened column is no difference there.
    return [d for d in diffs if not (db.dialect.name == "sqlite" and isinstance(d, list) and d[0][0] == "modify_type")]


def test_a_new_database_gets_the_models_schema(db):
    assert current_revision(db) == head_revision()
    assert schema_differences(db) == []


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the previous release's database is SQLite here")
def test_the_previous_release_database_is_adopted_and_its_orders_find_their_unit(tmp_path):
    db = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db, "0001")  # the tables as the previous release created them …
    with db.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # … without any migration history
        conn.execute(text(OLD_ORDER))
    init_db(db)
    assert current_revision(db) == head_revision()
    assert {"unit_code", "survey_resolved", "reopen_count"} <= {
        c["name"] for c in inspect(db).get_columns("work_order")
    }
    assert schema_differences(db) == []
    registry = UnitRegistry(db)
    registry.ensure_builtin()
    directory = UnitDirectory(registry, CategoryCatalog.load())
    assert directory.adopt_existing_orders() == 1
    assert directory.adopt_existing_orders() == 0
    with db.connect() as conn:
        unit_code, status, reopened = conn.execute(
            text("SELECT unit_code, status, reopen_count FROM work_order WHERE number = '26112100042'")
        ).one()
    assert registry.get(unit_code).name == "望京街道办事处" and (status, reopened) == ("accepted", 0)


def test_another_programs_tables_are_left_alone(tmp_path):
    db = make_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    init_db(db)
    with db.begin() as conn:  # what Rasa's SQL tracker store creates in a shared database
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL)"))
        conn.execute(text("CREATE INDEX ix_events_sender_id ON events (sender_id)"))
    assert schema_differences(db) == []
    with db.connect() as conn:  # without the filter, autogenerate would drop it
        assert any(
            d[0] == "remove_table"
            for d in compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            if isinstance(d, tuple)
        )
