"""Indexes for flow health (the dashboard's Overview, GET /api/health/flows and /metrics read the last hour of
each flow on every request and scrape): when items completed, and what each flow called.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 03:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_warehouse_orders_sent_at", "warehouse_orders", ["sent_at"]),
    ("ix_shipments_fulfilled_at", "shipments", ["fulfilled_at"]),
    ("ix_orders_status_published_at", "orders", ["status_published_at"]),
    ("ix_orders_status", "orders", ["status"]),
    ("ix_shopify_stock_levels_pushed_at", "shopify_stock_levels", ["pushed_at"]),
    ("ix_outbound_calls_operation_started_at", "outbound_calls", ["operation", "started_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
