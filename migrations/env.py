"""Alembic environment: the gateway hands over an open connection (core/migrate.py); the target
metadata is every table model of the project, for `alembic check` and autogenerate."""

from alembic import context
from sqlmodel import SQLModel

from core.migrate import import_table_models, ours

import_table_models()
config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through core.migrate.upgrade(engine) (or `hotline db upgrade`)")
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    include_object=ours,
    compare_type=False,
)
with context.begin_transaction():
    context.run_migrations()
