"""Alerts: one row per grouped alert message a rule sends on a channel (webhook or e-mail).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Frozen copies of crossdock.store.types: a migration must not change when the code does.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(length=63), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("seen_from", UTC_DATETIME, nullable=False),
        sa.Column("seen_until", UTC_DATETIME, nullable=False),
        sa.Column("exception_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claimed_by", sa.String(length=255), nullable=False),
        sa.Column("claimed_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint("channel IN ('webhook', 'email')", name=op.f("ck_alert_deliveries_channel")),
        sa.CheckConstraint(
            "status IN ('sending', 'sent', 'failed', 'dropped')", name=op.f("ck_alert_deliveries_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint(
            "rule", "channel", "seen_from", name=op.f("uq_alert_deliveries_rule_channel_seen_from")
        ),
    )


def downgrade() -> None:
    op.drop_table("alert_deliveries")
