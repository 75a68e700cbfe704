"""What an outbound call was about (an order's Shopify GID), so that an order's page lists the calls made for
it. Calls recorded before this revision have none.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_calls") as calls:
        calls.add_column(sa.Column("subject", sa.String(255), nullable=True))
    op.create_index(op.f("ix_outbound_calls_subject"), "outbound_calls", ["subject"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbound_calls_subject"), table_name="outbound_calls")
    with op.batch_alter_table("outbound_calls") as calls:
        calls.drop_column("subject")
