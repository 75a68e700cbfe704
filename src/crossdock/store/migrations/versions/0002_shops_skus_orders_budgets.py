"""Shop locations, the SKU registry, orders, shared rate budgets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 02:06:18.163194
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of crossdock.store.types: a migration must not change when the code does.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_budgets",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("capacity", sa.Float(), nullable=False),
        sa.Column("restore_rate", sa.Float(), nullable=False),
        sa.Column("available", sa.Float(), nullable=False),
        sa.Column("as_of", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_budgets")),
    )
    op.create_table(
        "skus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("barcode", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('simple', 'bundle')", name=op.f("ck_skus_kind")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_skus_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skus")),
        sa.UniqueConstraint("account_id", "sku", name=op.f("uq_skus_account_id_sku")),
    )
    op.create_table(
        "orders",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=63), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("shopify_order_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source_version", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("document", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_orders_account_id_accounts")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_orders_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("shop_id", "shopify_order_id", name=op.f("uq_orders_shop_id_shopify_order_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_account_id_name"), ["account_id", "name"], unique=False)

    op.create_table(
        "shop_locations",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("fulfills_online_orders", sa.Boolean(), nullable=False),
        sa.Column("is_fulfillment_service", sa.Boolean(), nullable=False),
        sa.Column("address", JSON_DOCUMENT, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shop_locations_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "location_id", name=op.f("pk_shop_locations")),
    )
    op.create_table(
        "sku_variants",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.String(length=100), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("inventory_item_id", sa.String(length=100), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("product_title", sa.String(length=500), nullable=False),
        sa.Column("variant_title", sa.String(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_sku_variants_shop_id_shops")),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_sku_variants_sku_id_skus")),
        sa.PrimaryKeyConstraint("shop_id", "variant_id", name=op.f("pk_sku_variants")),
        sa.UniqueConstraint(
            "shop_id", "inventory_item_id", name=op.f("uq_sku_variants_shop_id_inventory_item_id")
        ),
    )
    with op.batch_alter_table("sku_variants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sku_variants_sku_id"), ["sku_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sku_variants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sku_variants_sku_id"))

    op.drop_table("sku_variants")
    op.drop_table("shop_locations")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_account_id_name"))

    op.drop_table("orders")
    op.drop_table("skus")
    op.drop_table("rate_budgets")
