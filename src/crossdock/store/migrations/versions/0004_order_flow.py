"""The order flow: orders keep their whole canonical state; warehouse orders, shipments, bundles, SKU aliases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of crossdock.store.types: a migration must not change when the code does.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as orders:
        orders.add_column(sa.Column("state", JSON_DOCUMENT, nullable=True))
    op.create_table(
        "warehouse_orders",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=False),
        sa.Column("order_id", BIG_ID, nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("order_key", sa.String(length=22), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("document", JSON_DOCUMENT, nullable=False),
        sa.Column("warehouse_reference", sa.String(length=100), nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_warehouse_orders_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_warehouse_orders_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_warehouse_orders_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse_orders")),
        sa.UniqueConstraint(
            "warehouse_id", "order_key", name=op.f("uq_warehouse_orders_warehouse_id_order_key")
        ),
        sa.UniqueConstraint(
            "order_id", "warehouse_id", name=op.f("uq_warehouse_orders_order_id_warehouse_id")
        ),
    )
    op.create_table(
        "shipments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=False),
        sa.Column("warehouse_order_id", BIG_ID, nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.String(length=100), nullable=False),
        sa.Column("document", JSON_DOCUMENT, nullable=False),
        sa.Column("shipped_at", UTC_DATETIME, nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.Column("fulfillment_id", sa.String(length=100), nullable=True),
        sa.Column("fulfilled_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_shipments_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_order_id"],
            ["warehouse_orders.id"],
            name=op.f("fk_shipments_warehouse_order_id_warehouse_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_shipments_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint(
            "warehouse_id", "shipment_id", name=op.f("uq_shipments_warehouse_id_shipment_id")
        ),
    )
    op.create_index(op.f("ix_shipments_warehouse_order_id"), "shipments", ["warehouse_order_id"])
    op.create_table(
        "bundle_components",
        sa.Column("account_id", sa.String(length=63), nullable=False),
        sa.Column("bundle_sku", sa.String(length=255), nullable=False),
        sa.Column("component_sku", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_bundle_components_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_bundle_components_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "bundle_sku", "component_sku", name=op.f("pk_bundle_components")
        ),
    )
    op.create_table(
        "sku_aliases",
        sa.Column("account_id", sa.String(length=63), nullable=False),
        sa.Column("alias", sa.String(length=255), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sku_aliases_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "alias", name=op.f("pk_sku_aliases")),
    )


def downgrade() -> None:
    op.drop_table("sku_aliases")
    op.drop_table("bundle_components")
    op.drop_table("shipments")
    op.drop_table("warehouse_orders")
    with op.batch_alter_table("orders") as orders:
        orders.drop_column("state")
