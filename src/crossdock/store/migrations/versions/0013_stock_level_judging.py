"""A Shopify level whose change by someone else waits for its judgment (inventory.verify_level): the value
being judged, during which no push is due at the level.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Levels held before this revision had wanted set to the held value: nothing of theirs is due, and the
    # verify job already queued judges them as before.
    with op.batch_alter_table("shopify_stock_levels") as levels:
        levels.add_column(sa.Column("judging", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shopify_stock_levels") as levels:
        levels.drop_column("judging")
