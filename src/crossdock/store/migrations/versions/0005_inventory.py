"""Inventory: stock positions and their ledger, reservations of dispatched orders, Shopify levels.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Frozen copies of crossdock.store.types: a migration must not change when the code does.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_positions",
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("as_of", UTC_DATETIME, nullable=False),
        sa.Column("counted_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_positions_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("warehouse_id", "sku", name=op.f("pk_stock_positions")),
    )
    op.create_table(
        "stock_ledger",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("change", sa.Integer(), nullable=False),
        sa.Column("available_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("source_kind", sa.String(length=50), nullable=False),
        sa.Column("source_reference", sa.String(length=255), nullable=False),
        sa.Column("journal_id", BIG_ID, nullable=True),
        sa.Column("as_of", UTC_DATETIME, nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["warehouse_events.id"], name=op.f("fk_stock_ledger_journal_id_warehouse_events")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_ledger_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_ledger")),
        sa.UniqueConstraint("journal_id", "sku", name=op.f("uq_stock_ledger_journal_id_sku")),
    )
    op.create_index(
        op.f("ix_stock_ledger_warehouse_id_sku_id"), "stock_ledger", ["warehouse_id", "sku", "id"]
    )
    op.create_table(
        "stock_reservations",
        sa.Column("warehouse_order_id", BIG_ID, nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("reserved_at", UTC_DATETIME, nullable=False),
        sa.Column("released_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_reservations_warehouse_id_warehouses")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_order_id"],
            ["warehouse_orders.id"],
            name=op.f("fk_stock_reservations_warehouse_order_id_warehouse_orders"),
        ),
        sa.PrimaryKeyConstraint("warehouse_order_id", "sku", name=op.f("pk_stock_reservations")),
    )
    op.create_index(
        op.f("ix_stock_reservations_warehouse_id_sku"), "stock_reservations", ["warehouse_id", "sku"]
    )
    op.create_table(
        "shopify_stock_levels",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.String(length=100), nullable=False),
        sa.Column("inventory_item_id", sa.String(length=100), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("available", sa.Integer(), nullable=True),
        sa.Column("wanted", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("pushed_at", UTC_DATETIME, nullable=True),
        sa.Column("read_at", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_shopify_stock_levels_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint(
            "shop_id", "location_id", "inventory_item_id", name=op.f("pk_shopify_stock_levels")
        ),
    )


def downgrade() -> None:
    op.drop_table("shopify_stock_levels")
    op.drop_table("stock_reservations")
    op.drop_table("stock_ledger")
    op.drop_table("stock_positions")
