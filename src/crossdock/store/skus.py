"""The SKU registry: one row per SKU of an account, and the variant that carries it in each shop."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from crossdock.store.schema import sku_variants, skus
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts


@dataclass(frozen=True)
class VariantRegistration:
    """A SKU and the shop variant that carries it."""

    sku: str
    title: str
    barcode: str | None
    variant_id: str
    inventory_item_id: str
    product_id: str
    product_title: str
    variant_title: str


class SkuRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def register(self, account_id: str, shop_id: int, entry: VariantRegistration) -> str:
        """Create or refresh the SKU and point the shop's variant at it; answers "created", "updated" or
        "unchanged" for the variant's registration."""
        now = utc_now()
        self._connection.execute(
            insert_ignoring_conflicts(self._connection, skus).values(
                account_id=account_id,
                sku=entry.sku,
                kind="simple",
                barcode=entry.barcode,
                title=entry.title,
                created_at=now,
                updated_at=now,
            )
        )
        sku_row = self._connection.execute(
            sa.select(skus.c.id, skus.c.title, skus.c.barcode).where(
                skus.c.account_id == account_id, skus.c.sku == entry.sku
            )
        ).one()
        if (sku_row.title, sku_row.barcode) != (entry.title, entry.barcode):
            self._connection.execute(
                sa.update(skus)
                .where(skus.c.id == sku_row.id)
                .values(title=entry.title, barcode=entry.barcode, updated_at=now)
            )
        values = {
            "sku_id": sku_row.id,
            "inventory_item_id": entry.inventory_item_id,
            "product_id": entry.product_id,
            "product_title": entry.product_title,
            "variant_title": entry.variant_title,
        }
        existing = self._connection.execute(
            sa.select(*(sku_variants.c[name] for name in values)).where(
                sku_variants.c.shop_id == shop_id, sku_variants.c.variant_id == entry.variant_id
            )
        ).one_or_none()
        if existing is None:
            self._connection.execute(
                sa.insert(sku_variants).values(
                    shop_id=shop_id, variant_id=entry.variant_id, updated_at=now, **values
                )
            )
            return "created"
        if dict(existing._mapping) == values:
            return (
                "unchanged" if (sku_row.title, sku_row.barcode) == (entry.title, entry.barcode) else "updated"
            )
        self._connection.execute(
            sa.update(sku_variants)
            .where(sku_variants.c.shop_id == shop_id, sku_variants.c.variant_id == entry.variant_id)
            .values(updated_at=now, **values)
        )
        return "updated"

    def forget_variants_except(self, shop_id: int, kept_variant_ids: set[str]) -> int:
        """Remove the shop's variants that its catalog no longer lists (the SKUs stay: orders name them)."""
        registered = self._connection.execute(
            sa.select(sku_variants.c.variant_id).where(sku_variants.c.shop_id == shop_id)
        ).scalars()
        gone = [variant_id for variant_id in registered if variant_id not in kept_variant_ids]
        for start in range(0, len(gone), 500):
            self._connection.execute(
                sa.delete(sku_variants).where(
                    sku_variants.c.shop_id == shop_id,
                    sku_variants.c.variant_id.in_(gone[start : start + 500]),
                )
            )
        return len(gone)

    def inventory_items(self, account_id: str, sku: str) -> list[tuple[int, str]]:
        """Where the account's SKU is sold: (shop id, inventory item id) of each shop's variant."""
        rows = self._connection.execute(
            sa.select(sku_variants.c.shop_id, sku_variants.c.inventory_item_id)
            .join(skus, skus.c.id == sku_variants.c.sku_id)
            .where(skus.c.account_id == account_id, skus.c.sku == sku)
            .order_by(sku_variants.c.shop_id)
        )
        return [(int(row.shop_id), str(row.inventory_item_id)) for row in rows]

    def account_skus(self, account_id: str) -> list[str]:
        rows = self._connection.execute(
            sa.select(skus.c.sku).where(skus.c.account_id == account_id).order_by(skus.c.sku)
        )
        return [str(row.sku) for row in rows]
