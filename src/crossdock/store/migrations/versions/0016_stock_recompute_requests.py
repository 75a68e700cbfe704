"""Recomputes of a SKU's available-to-sell asked for and not yet begun, so that changes made meanwhile ride on
the waiting job instead of queueing one each.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stock_recompute_requests",
        sa.Column("account_id", sa.String(63), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("sku", sa.String(255), primary_key=True),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(255), nullable=False),
        sa.Column("requested_at", UTC_DATETIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stock_recompute_requests")
