"""When an order's state last changed and when its status was last written to Shopify: the lag of the
statuses flow on the dashboard. Orders from before this revision have neither until they change.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 02:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as orders:
        orders.add_column(sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True))
        orders.add_column(sa.Column("status_published_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as orders:
        orders.drop_column("status_published_at")
        orders.drop_column("state_changed_at")
