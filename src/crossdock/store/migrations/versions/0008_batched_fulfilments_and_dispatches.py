"""Shipments fulfilled in Shopify and orders sent to warehouses in batches: which shipments wait for their
fulfillment, whether a shop has a fulfilling job queued, whether a warehouse has a sending job queued.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Shipments recorded before this revision keep the job each was given then: none is pending here.
    with op.batch_alter_table("shipments") as shipments:
        shipments.add_column(
            sa.Column("fulfil_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(op.f("ix_shipments_fulfil_pending"), "shipments", ["fulfil_pending"])
    with op.batch_alter_table("shops") as shops:
        shops.add_column(sa.Column("fulfil_pending", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("warehouses") as warehouses:
        warehouses.add_column(
            sa.Column("dispatch_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("warehouses") as warehouses:
        warehouses.drop_column("dispatch_pending")
    with op.batch_alter_table("shops") as shops:
        shops.drop_column("fulfil_pending")
    op.drop_index(op.f("ix_shipments_fulfil_pending"), table_name="shipments")
    with op.batch_alter_table("shipments") as shipments:
        shipments.drop_column("fulfil_pending")
