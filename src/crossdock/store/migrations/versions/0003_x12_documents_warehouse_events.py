"""X12 control numbers and outbound documents, the warehouse event journal.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of crossdock.store.types: a migration must not change when the code does.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "x12_control_numbers",
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("last_interchange", sa.BigInteger(), nullable=False),
        sa.Column("last_group", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_x12_control_numbers_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("warehouse_id", name=op.f("pk_x12_control_numbers")),
    )
    op.create_table(
        "x12_outbound_documents",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("set_code", sa.String(length=3), nullable=False),
        sa.Column("subject_key", sa.String(length=255), nullable=True),
        sa.Column("purpose", sa.String(length=10), nullable=True),
        sa.Column("interchange_control", sa.BigInteger(), nullable=False),
        sa.Column("group_control", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("uploaded_at", UTC_DATETIME, nullable=True),
        sa.Column("upload_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("ack_status", sa.String(length=30), nullable=True),
        sa.Column("ack_detail", JSON_DOCUMENT, nullable=True),
        sa.Column("acknowledged_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_x12_outbound_documents_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_x12_outbound_documents_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_x12_outbound_documents")),
        sa.UniqueConstraint(
            "warehouse_id",
            "idempotency_key",
            name=op.f("uq_x12_outbound_documents_warehouse_id_idempotency_key"),
        ),
        sa.UniqueConstraint(
            "warehouse_id",
            "interchange_control",
            name=op.f("uq_x12_outbound_documents_warehouse_id_interchange_control"),
        ),
    )
    op.create_index(
        op.f("ix_x12_outbound_documents_warehouse_id_group_control"),
        "x12_outbound_documents",
        ["warehouse_id", "group_control"],
    )
    op.create_index(
        op.f("ix_x12_outbound_documents_ack_status_uploaded_at"),
        "x12_outbound_documents",
        ["ack_status", "uploaded_at"],
    )
    op.create_table(
        "warehouse_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", BIG_ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("order_key", sa.String(length=255), nullable=True),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("source_kind", sa.String(length=50), nullable=False),
        sa.Column("source_reference", sa.String(length=255), nullable=False),
        sa.Column("data", JSON_DOCUMENT, nullable=False),
        sa.Column("occurred_at", UTC_DATETIME, nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["inbox_id"], ["inbox.id"], name=op.f("fk_warehouse_events_inbox_id_inbox")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_warehouse_events_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse_events")),
        sa.UniqueConstraint("inbox_id", "position", name=op.f("uq_warehouse_events_inbox_id_position")),
    )
    op.create_index(
        op.f("ix_warehouse_events_warehouse_id_order_key"), "warehouse_events", ["warehouse_id", "order_key"]
    )
    op.create_index(
        op.f("ix_warehouse_events_warehouse_id_kind_occurred_at"),
        "warehouse_events",
        ["warehouse_id", "kind", "occurred_at"],
    )


def downgrade() -> None:
    op.drop_table("warehouse_events")
    op.drop_table("x12_outbound_documents")
    op.drop_table("x12_control_numbers")
