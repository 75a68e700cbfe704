"""What the warehouse must be sent for an order line's SKU: aliases of registered SKUs, and the components
of bundles."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from crossdock.store.schema import bundle_components, sku_aliases, skus
from crossdock.store.types import utc_now


class SkuMappingRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def known(self, account_id: str, candidates: Iterable[str]) -> set[str]:
        """Which of ``candidates`` are registered SKUs of the account."""
        wanted = sorted(set(candidates))
        if not wanted:
            return set()
        rows = self._connection.execute(
            sa.select(skus.c.sku).where(skus.c.account_id == account_id, skus.c.sku.in_(wanted))
        )
        return {row.sku for row in rows}

    def aliases(self, account_id: str) -> dict[str, str]:
        rows = self._connection.execute(
            sa.select(sku_aliases.c.alias, sku_aliases.c.sku).where(sku_aliases.c.account_id == account_id)
        )
        return {row.alias: row.sku for row in rows}

    def set_alias(self, account_id: str, alias: str, sku: str) -> None:
        self._connection.execute(
            sa.delete(sku_aliases).where(sku_aliases.c.account_id == account_id, sku_aliases.c.alias == alias)
        )
        self._connection.execute(
            sa.insert(sku_aliases).values(account_id=account_id, alias=alias, sku=sku, created_at=utc_now())
        )

    def bundles(self, account_id: str) -> dict[str, dict[str, int]]:
        """Each bundle SKU of the account with its components (SKU → units per bundle)."""
        found: dict[str, dict[str, int]] = {}
        rows = self._connection.execute(
            sa.select(bundle_components).where(bundle_components.c.account_id == account_id)
        )
        for row in rows:
            found.setdefault(row.bundle_sku, {})[row.component_sku] = int(row.quantity)
        return found

    def replace_bundle(self, account_id: str, bundle_sku: str, components: dict[str, int]) -> None:
        self._connection.execute(
            sa.delete(bundle_components).where(
                bundle_components.c.account_id == account_id, bundle_components.c.bundle_sku == bundle_sku
            )
        )
        if components:
            self._connection.execute(
                sa.insert(bundle_components),
                [
                    {
                        "account_id": account_id,
                        "bundle_sku": bundle_sku,
                        "component_sku": sku,
                        "quantity": units,
                    }
                    for sku, units in sorted(components.items())
                ],
            )
