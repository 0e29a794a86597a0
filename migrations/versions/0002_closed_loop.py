"""closed loop: handling units, unit accounts, transitions, deadlines, results and surveys

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handling_unit",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("handling_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handling_unit_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_handling_unit_level"), ["level"], unique=False)
        batch_op.create_index(batch_op.f("ix_handling_unit_district"), ["district"], unique=False)
    # Names are unique among active units: a replaced built-in unit keeps its name, inactive.
    op.create_index(
        "ux_handling_unit_active_name",
        "handling_unit",
        ["name"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )

    with op.batch_alter_table("agent_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True))

    if op.get_bind().dialect.name != "sqlite":  # SQLite does not enforce VARCHAR lengths
        op.alter_column("work_order_event", "kind", type_=sa.String(length=24), existing_nullable=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("event", sa.String(length=32), server_default="work_order.created", nullable=False)
        )
        batch_op.add_column(sa.Column("target", sa.String(length=12), server_default="tickets", nullable=False))
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))

    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True))
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("result", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("extension", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("deadline_warned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("overdue_alerted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("survey_asked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("survey_resolved", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("survey_satisfaction", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.add_column(sa.Column("survey_answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_work_order_resolved_at"), ["resolved_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_response_due_at"), ["response_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_survey_answered_at"), ["survey_answered_at"], unique=False)
        batch_op.create_index("ix_work_order_unit_status_deadline", ["unit_code", "status", "deadline"], unique=False)

    with op.batch_alter_table("work_order_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_work_order_event_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_account", schema=None) as batch_op:
        batch_op.drop_column("unit_code")
    op.drop_table("handling_unit")
    with op.batch_alter_table("work_order_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_event_created_at"))
        batch_op.drop_column("data")

    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_unit_status_deadline")
        batch_op.drop_index(batch_op.f("ix_work_order_survey_answered_at"))
        batch_op.drop_index(batch_op.f("ix_work_order_response_due_at"))
        batch_op.drop_index(batch_op.f("ix_work_order_resolved_at"))
        batch_op.drop_column("survey_answered_at")
        batch_op.drop_column("survey_satisfaction")
        batch_op.drop_column("survey_resolved")
        batch_op.drop_column("survey_asked_at")
        batch_op.drop_column("overdue_alerted_at")
        batch_op.drop_column("deadline_warned_at")
        batch_op.drop_column("extension")
        batch_op.drop_column("reopen_count")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("result")
        batch_op.drop_column("responded_at")
        batch_op.drop_column("response_due_at")
        batch_op.drop_column("dispatched_at")
        batch_op.drop_column("unit_code")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("payload")
        batch_op.drop_column("target")
        batch_op.drop_column("event")
