"""Customer returns: the returns the hub follows (lines authorised, warehouse and RMA number) and what the
warehouses reported receiving against them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of crossdock.store.types: a migration must not change when the code does.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "returns",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", BIG_ID, nullable=False),
        sa.Column("shopify_return_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("items", JSON_DOCUMENT, nullable=True),
        sa.Column("warehouse_id", sa.Integer(), nullable=True),
        sa.Column("rma_key", sa.String(length=22), nullable=True),
        sa.Column("approved_at", UTC_DATETIME, nullable=True),
        sa.Column("authorised_at", UTC_DATETIME, nullable=True),
        sa.Column("received_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'authorised', 'received', 'closed')",
            name=op.f("ck_returns_status"),
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_returns_account_id_accounts")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_returns_shop_id_shops")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_returns_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint(
            "shop_id", "shopify_return_id", name=op.f("uq_returns_shop_id_shopify_return_id")
        ),
        sa.UniqueConstraint("warehouse_id", "rma_key", name=op.f("uq_returns_warehouse_id_rma_key")),
    )
    op.create_index(op.f("ix_returns_order_id"), "returns", ["order_id"])
    op.create_table(
        "return_receipts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("return_id", BIG_ID, nullable=False),
        sa.Column("journal_id", BIG_ID, nullable=False),
        sa.Column("lines", JSON_DOCUMENT, nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["journal_id"],
            ["warehouse_events.id"],
            name=op.f("fk_return_receipts_journal_id_warehouse_events"),
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_receipts_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_receipts")),
        sa.UniqueConstraint("journal_id", name=op.f("uq_return_receipts_journal_id")),
    )
    op.create_index(op.f("ix_return_receipts_return_id"), "return_receipts", ["return_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_return_receipts_return_id"), table_name="return_receipts")
    op.drop_table("return_receipts")
    op.drop_index(op.f("ix_returns_order_id"), table_name="returns")
    op.drop_table("returns")
