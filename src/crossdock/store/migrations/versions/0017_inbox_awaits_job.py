"""Inbox rows stored without their processing job, for the inbox relay to enqueue one for them.

The webhook intake's writer stores deliveries and answers; a job engine's relay (``flows/inbox_relay.py``)
then enqueues the processing of the rows that await it. Rows stored before this revision had their job
enqueued with them: they await nothing.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("awaits_job", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Partial: the relay reads the few rows awaiting a job, never the whole inbox.
    op.create_index(
        "ix_inbox_awaits_job",
        "inbox",
        ["id"],
        postgresql_where=sa.text("awaits_job"),
        sqlite_where=sa.text("awaits_job"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_awaits_job", table_name="inbox")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("awaits_job")
