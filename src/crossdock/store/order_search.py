"""Finding orders for the dashboard: by name, by a SKU on one of their lines, by status, newest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crossdock.store.like_patterns import LIKE_ESCAPE, escaped_for_like
from crossdock.store.schema import orders, shops


@dataclass(frozen=True)
class OrderRow:
    id: int
    account_id: str
    name: str
    shop_domain: str
    status: str
    received_at: datetime
    updated_at: datetime


def search_orders(
    connection: sa.Connection,
    *,
    text: str | None = None,
    status: str | None = None,
    account_id: str | None = None,
    limit: int = 50,
) -> list[OrderRow]:
    """Orders whose name is ``text`` ("#1001" or "1001") or that have a line of SKU ``text``; all orders when
    ``text`` is empty. The SKU is looked for in the stored order document (the line's ``"sku": "…"``, which
    SQLite's JSON text and PostgreSQL's jsonb both print this way), so no second table has to be kept."""
    query = (
        sa.select(
            orders.c.id,
            orders.c.account_id,
            orders.c.name,
            shops.c.domain.label("shop_domain"),
            orders.c.status,
            orders.c.created_at.label("received_at"),
            orders.c.updated_at,
        )
        .join(shops, shops.c.id == orders.c.shop_id)
        .order_by(orders.c.id.desc())
        .limit(limit)
    )
    text = (text or "").strip()
    if text:
        names = sorted({text, text if text.startswith("#") else f"#{text}"})
        line_sku = '%"sku": ' + escaped_for_like(json.dumps(text)) + "%"
        query = query.where(
            sa.or_(
                orders.c.name.in_(names),
                sa.cast(orders.c.document, sa.Text).like(line_sku, escape=LIKE_ESCAPE),
            )
        )
    if status:
        query = query.where(orders.c.status == status)
    if account_id is not None:
        query = query.where(orders.c.account_id == account_id)
    return [OrderRow(**row._mapping) for row in connection.execute(query)]
