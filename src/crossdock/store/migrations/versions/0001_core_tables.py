"""Core tables: accounts, shops, warehouses, inbox, outbound calls, order timeline, exceptions, cursors,
executors.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 23:15:00.642621
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of crossdock.store.types: a migration must not change when the code does.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "executors",
        sa.Column("executor_id", sa.String(length=200), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("executor_id", name=op.f("pk_executors")),
    )
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("connector", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouses_code")),
    )
    op.create_table(
        "account_warehouses",
        sa.Column("account_id", sa.String(length=63), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_warehouses_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_account_warehouses_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("account_id", "warehouse_id", name=op.f("pk_account_warehouses")),
    )
    op.create_table(
        "exceptions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=True),
        sa.Column("type", sa.String(length=63), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("subject_type", sa.String(length=63), nullable=False),
        sa.Column("subject_id", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.Column("actions", JSON_DOCUMENT, nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'error', 'critical')", name=op.f("ck_exceptions_severity")
        ),
        sa.CheckConstraint("status IN ('open', 'resolved', 'ignored')", name=op.f("ck_exceptions_status")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_exceptions_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exceptions")),
    )
    op.create_index(op.f("ix_exceptions_account_id"), "exceptions", ["account_id"], unique=False)
    op.create_index(
        op.f("ix_exceptions_status_last_seen_at"), "exceptions", ["status", "last_seen_at"], unique=False
    )
    op.create_index(
        "uq_exceptions_open_subject",
        "exceptions",
        ["type", "subject_type", "subject_id", sa.text("coalesce(account_id, '')")],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )

    op.create_table(
        "inbox",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("headers", JSON_DOCUMENT, nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('received', 'processing', 'processed', 'ignored', 'failed')",
            name=op.f("ck_inbox_state"),
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_inbox_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("source", "dedupe_key", name=op.f("uq_inbox_source_dedupe_key")),
    )
    op.create_index(op.f("ix_inbox_account_id"), "inbox", ["account_id"], unique=False)
    op.create_index(op.f("ix_inbox_state_received_at"), "inbox", ["state", "received_at"], unique=False)

    op.create_table(
        "outbound_calls",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=True),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("request_summary", JSON_DOCUMENT, nullable=False),
        sa.Column("response_summary", JSON_DOCUMENT, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("job_id", sa.String(length=255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('in_flight', 'succeeded', 'retriable_error', 'fatal_error')",
            name=op.f("ck_outbound_calls_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_outbound_calls_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_calls")),
        sa.UniqueConstraint(
            "idempotency_key", "attempt", name=op.f("uq_outbound_calls_idempotency_key_attempt")
        ),
    )
    op.create_index(op.f("ix_outbound_calls_account_id"), "outbound_calls", ["account_id"], unique=False)
    op.create_index(
        op.f("ix_outbound_calls_target_started_at"), "outbound_calls", ["target", "started_at"], unique=False
    )

    op.create_table(
        "shops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_shops_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
        sa.UniqueConstraint("domain", name=op.f("uq_shops_domain")),
    )
    op.create_index(op.f("ix_shops_account_id"), "shops", ["account_id"], unique=False)

    op.create_table(
        "sync_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sync_cursors_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_cursors")),
        sa.UniqueConstraint("source", "name", name=op.f("uq_sync_cursors_source_name")),
    )
    op.create_table(
        "order_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=False),
        sa.Column("order_ref", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", JSON_DOCUMENT, nullable=False),
        sa.Column("inbox_id", BIG_ID, nullable=True),
        sa.Column("job_id", sa.String(length=255), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_order_events_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["inbox_id"], ["inbox.id"], name=op.f("fk_order_events_inbox_id_inbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index(
        op.f("ix_order_events_account_id_order_ref_occurred_at"),
        "order_events",
        ["account_id", "order_ref", "occurred_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_order_events_account_id_order_ref_occurred_at"), table_name="order_events")

    op.drop_table("order_events")
    op.drop_table("sync_cursors")
    op.drop_index(op.f("ix_shops_account_id"), table_name="shops")

    op.drop_table("shops")
    op.drop_index(op.f("ix_outbound_calls_target_started_at"), table_name="outbound_calls")
    op.drop_index(op.f("ix_outbound_calls_account_id"), table_name="outbound_calls")

    op.drop_table("outbound_calls")
    op.drop_index(op.f("ix_inbox_state_received_at"), table_name="inbox")
    op.drop_index(op.f("ix_inbox_account_id"), table_name="inbox")

    op.drop_table("inbox")
    op.drop_index("uq_exceptions_open_subject", table_name="exceptions")
    op.drop_index(op.f("ix_exceptions_status_last_seen_at"), table_name="exceptions")
    op.drop_index(op.f("ix_exceptions_account_id"), table_name="exceptions")

    op.drop_table("exceptions")
    op.drop_table("account_warehouses")
    op.drop_table("warehouses")
    op.drop_table("executors")
    op.drop_table("accounts")
