"""baseline: the schema before the closed loop

Revision ID: 0001
Revises:
Create Date: 2026-12-05

Creates only the tables a database lacks: databases made before Alembic join the history here.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if _missing("agent_account"):
        op.create_table(
            "agent_account",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
            sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
            sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
            sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("agent_account", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_agent_account_username"), ["username"], unique=True)

    if _missing("conversation"):
        op.create_table(
            "conversation",
            sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
            sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
            sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
            sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
            sa.Column("handoff", sa.JSON(), nullable=True),
            sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.Column("mode_seq", sa.Integer(), server_default="0", nullable=False),
            sa.Column("agent", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
            sa.Column("queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
            sa.Column("taken_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
            sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
            sa.Column("alert", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
            sa.Column("callback", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
            sa.Column("draft", sa.JSON(), nullable=True),
            sa.Column("work_order", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
            sa.Column("resume_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("conversation", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_conversation_agent"), ["agent"], unique=False)
            batch_op.create_index(batch_op.f("ix_conversation_channel"), ["channel"], unique=False)
            batch_op.create_index(batch_op.f("ix_conversation_mode"), ["mode"], unique=False)
            batch_op.create_index(batch_op.f("ix_conversation_updated_at"), ["updated_at"], unique=False)

    if _missing("desk_event"):
        op.create_table(
            "desk_event",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
            sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
            sa.Column("agent", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
            sa.Column("wait_s", sa.Float(), nullable=True),
            sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
            sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("desk_event", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_desk_event_conversation_id"), ["conversation_id"], unique=False)
            batch_op.create_index(batch_op.f("ix_desk_event_created_at"), ["created_at"], unique=False)

    if _missing("kb_article_version"):
        op.create_table(
            "kb_article_version",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
            sa.Column("body", sa.JSON(), nullable=True),
            sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("article_id", "version", name="uq_kb_article_version"),
        )
        with op.batch_alter_table("kb_article_version", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_kb_article_version_article_id"), ["article_id"], unique=False)

    if _missing("ticket_counter"):
        op.create_table(
            "ticket_counter",
            sa.Column("day", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
            sa.Column("value", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("day"),
        )
    if _missing("work_order"):
        op.create_table(
            "work_order",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
            sa.Column("request_type", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
            sa.Column("description", sa.Text(), nullable=False),
            sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
            sa.Column("street", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
            sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
            sa.Column("lat", sa.Float(), nullable=True),
            sa.Column("lon", sa.Float(), nullable=True),
            sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("ongoing", sa.Boolean(), nullable=False),
            sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
            sa.Column("contact_phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
            sa.Column("category_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
            sa.Column("category_path", sa.JSON(), nullable=True),
            sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
            sa.Column("urgency", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
            sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
            sa.Column("emergency", sa.Boolean(), nullable=False),
            sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
            sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
            sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("work_order", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_work_order_category_code"), ["category_code"], unique=False)
            batch_op.create_index("ix_work_order_category_created", ["category_code", "created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_work_order_contact_phone"), ["contact_phone"], unique=False)
            batch_op.create_index(batch_op.f("ix_work_order_conversation_id"), ["conversation_id"], unique=False)
            batch_op.create_index(batch_op.f("ix_work_order_created_at"), ["created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_work_order_deadline"), ["deadline"], unique=False)
            batch_op.create_index(batch_op.f("ix_work_order_district"), ["district"], unique=False)
            batch_op.create_index("ix_work_order_district_created", ["district", "created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_work_order_emergency"), ["emergency"], unique=False)
            batch_op.create_index(batch_op.f("ix_work_order_number"), ["number"], unique=True)
            batch_op.create_index(batch_op.f("ix_work_order_status"), ["status"], unique=False)
            batch_op.create_index("ix_work_order_status_created", ["status", "created_at"], unique=False)

    if _missing("message"):
        op.create_table(
            "message",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
            sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
            sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("payload", sa.JSON(), nullable=True),
            sa.Column("error_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
            sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
            sa.Column("pending", sa.Boolean(), server_default=sa.false(), nullable=False),
            sa.Column("original_length", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(
                ["conversation_id"],
                ["conversation.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("message", schema=None) as batch_op:
            batch_op.create_index("ix_message_client_id", ["conversation_id", "client_id"], unique=True)
            batch_op.create_index(batch_op.f("ix_message_conversation_id"), ["conversation_id"], unique=False)
            batch_op.create_index(batch_op.f("ix_message_created_at"), ["created_at"], unique=False)

    if _missing("open311_submission"):
        op.create_table(
            "open311_submission",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("work_order_id", sa.Integer(), nullable=False),
            sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
            sa.Column("media_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
            sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
            sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
            sa.ForeignKeyConstraint(
                ["work_order_id"],
                ["work_order.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("open311_submission", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_open311_submission_work_order_id"), ["work_order_id"], unique=True)

    if _missing("outbox"):
        op.create_table(
            "outbox",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("work_order_id", sa.Integer(), nullable=False),
            sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
            sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
            sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(
                ["work_order_id"],
                ["work_order.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("idempotency_key"),
        )
        with op.batch_alter_table("outbox", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_outbox_next_attempt_at"), ["next_attempt_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)
            batch_op.create_index(batch_op.f("ix_outbox_work_order_id"), ["work_order_id"], unique=False)

    if _missing("work_order_event"):
        op.create_table(
            "work_order_event",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("work_order_id", sa.Integer(), nullable=False),
            sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
            sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
            sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
            sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
            sa.Column("note", sa.Text(), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["work_order_id"],
                ["work_order.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("work_order_event", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_work_order_event_work_order_id"), ["work_order_id"], unique=False)
    _add_desk_columns()


def downgrade() -> None:
    with op.batch_alter_table("work_order_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_event_work_order_id"))

    op.drop_table("work_order_event")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_work_order_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_next_attempt_at"))

    op.drop_table("outbox")
    with op.batch_alter_table("open311_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open311_submission_work_order_id"))

    op.drop_table("open311_submission")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_created_at"))
        batch_op.drop_index(batch_op.f("ix_message_conversation_id"))
        batch_op.drop_index("ix_message_client_id")

    op.drop_table("message")
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_status_created")
        batch_op.drop_index(batch_op.f("ix_work_order_status"))
        batch_op.drop_index(batch_op.f("ix_work_order_number"))
        batch_op.drop_index(batch_op.f("ix_work_order_emergency"))
        batch_op.drop_index("ix_work_order_district_created")
        batch_op.drop_index(batch_op.f("ix_work_order_district"))
        batch_op.drop_index(batch_op.f("ix_work_order_deadline"))
        batch_op.drop_index(batch_op.f("ix_work_order_created_at"))
        batch_op.drop_index(batch_op.f("ix_work_order_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_contact_phone"))
        batch_op.drop_index("ix_work_order_category_created")
        batch_op.drop_index(batch_op.f("ix_work_order_category_code"))

    op.drop_table("work_order")
    op.drop_table("ticket_counter")
    with op.batch_alter_table("kb_article_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_article_version_article_id"))

    op.drop_table("kb_article_version")
    with op.batch_alter_table("desk_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_event_created_at"))
        batch_op.drop_index(batch_op.f("ix_desk_event_conversation_id"))

    op.drop_table("desk_event")
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_updated_at"))
        batch_op.drop_index(batch_op.f("ix_conversation_mode"))
        batch_op.drop_index(batch_op.f("ix_conversation_channel"))
        batch_op.drop_index(batch_op.f("ix_conversation_agent"))

    op.drop_table("conversation")
    with op.batch_alter_table("agent_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_account_username"))

    op.drop_table("agent_account")


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


# Columns that databases from before the agent desk lack (formerly added at start by
# conversation.models.add_missing_columns); all nullable or with a server default.
DESK_COLUMNS = {
    "conversation": [
        sa.Column("mode_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("agent", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("taken_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.Column("alert", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("callback", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("draft", sa.JSON(), nullable=True),
        sa.Column("work_order", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("resume_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    ],
    "message": [
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("pending", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("original_length", sa.Integer(), nullable=True),
    ],
}
DESK_INDEXES = {
    "conversation": [("ix_conversation_agent", ["agent"], False)],
    "message": [("ix_message_client_id", ["conversation_id", "client_id"], True)],
}


def _add_desk_columns() -> None:
    inspector = sa.inspect(op.get_bind())
    for table, columns in DESK_COLUMNS.items():
        present = {c["name"] for c in inspector.get_columns(table)}
        indexes = {i["name"] for i in inspector.get_indexes(table)}
        for column in columns:
            if column.name not in present:
                op.add_column(table, column)
        for name, cols, unique in DESK_INDEXES[table]:
            if name not in indexes:
                op.create_index(name, table, cols, unique=unique)
