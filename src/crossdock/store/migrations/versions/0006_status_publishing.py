"""Order statuses published to Shopify in batches (what each order last published, whether a shop has a
publishing job queued); an index for the stock push's due levels.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as orders:
        orders.add_column(sa.Column("published_status", sa.String(length=30), nullable=True))
    with op.batch_alter_table("shops") as shops:
        shops.add_column(
            sa.Column("status_publish_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        op.f("ix_shopify_stock_levels_shop_id_updated_at"), "shopify_stock_levels", ["shop_id", "updated_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_shopify_stock_levels_shop_id_updated_at"), table_name="shopify_stock_levels")
    with op.batch_alter_table("shops") as shops:
        shops.drop_column("status_publish_pending")
    with op.batch_alter_table("orders") as orders:
        orders.drop_column("published_status")
