"""Finding SKUs for the dashboard's stock page, each with a summary of what Shopify shows for it: at how many
locations the hub sets its level, and at how many Shopify holds something other than what the hub wants."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from crossdock.store.like_patterns import LIKE_ESCAPE, escaped_for_like
from crossdock.store.schema import shopify_stock_levels, shops, skus


@dataclass(frozen=True)
class SkuRow:
    account_id: str
    sku: str
    title: str
    kind: str
    locations: int
    wanted: int | None
    shopify_available: int | None
    differing_locations: int


def search_skus(
    connection: sa.Connection, *, text: str | None, account_id: str | None, limit: int = 100
) -> list[SkuRow]:
    """SKUs whose code or title contains ``text`` (all when empty), by account and SKU."""
    levels = (
        sa.select(
            shops.c.account_id,
            shopify_stock_levels.c.sku,
            sa.func.count().label("locations"),
            sa.func.sum(shopify_stock_levels.c.wanted).label("wanted"),
            sa.func.sum(shopify_stock_levels.c.available).label("shopify_available"),
            sa.func.sum(
                sa.case(
                    (
                        sa.or_(
                            shopify_stock_levels.c.available.is_(None),
                            shopify_stock_levels.c.available != shopify_stock_levels.c.wanted,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ).label("differing_locations"),
        )
        .join(shops, shops.c.id == shopify_stock_levels.c.shop_id)
        .group_by(shops.c.account_id, shopify_stock_levels.c.sku)
        .subquery()
    )
    query = (
        sa.select(
            skus.c.account_id,
            skus.c.sku,
            skus.c.title,
            skus.c.kind,
            sa.func.coalesce(levels.c.locations, 0).label("locations"),
            levels.c.wanted,
            levels.c.shopify_available,
            sa.func.coalesce(levels.c.differing_locations, 0).label("differing_locations"),
        )
        .outerjoin(levels, sa.and_(levels.c.account_id == skus.c.account_id, levels.c.sku == skus.c.sku))
        .order_by(skus.c.account_id, skus.c.sku)
        .limit(limit)
    )
    text = (text or "").strip()
    if text:
        pattern = "%" + escaped_for_like(text) + "%"
        query = query.where(
            sa.or_(
                skus.c.sku.ilike(pattern, escape=LIKE_ESCAPE), skus.c.title.ilike(pattern, escape=LIKE_ESCAPE)
            )
        )
    if account_id is not None:
        query = query.where(skus.c.account_id == account_id)
    return [
        SkuRow(
            account_id=row.account_id,
            sku=row.sku,
            title=row.title,
            kind=row.kind,
            locations=int(row.locations),
            wanted=None if row.wanted is None else int(row.wanted),
            shopify_available=None if row.shopify_available is None else int(row.shopify_available),
            differing_locations=int(row.differing_locations),
        )
        for row in connection.execute(query)
    ]
