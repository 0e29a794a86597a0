"""surges (未诉先办): the surge_alert table

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surge_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("category_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("work_orders", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    with op.batch_alter_table("surge_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surge_alert_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("surge_alert")
