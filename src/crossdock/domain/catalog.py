"""SKU rules: what a usable SKU is, and which catalog entries cannot enter the SKU registry as they are.

The SKU is the key every warehouse knows a product by. Two variants carrying one SKU would make a warehouse
ship the wrong product or count one stock for two; a variant without a SKU cannot be sent to a warehouse at
all. Both are reported for a person to fix in Shopify, never merged or guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogVariant:
    """One sellable variant as a shop lists it."""

    variant_id: str
    sku: str | None
    inventory_item_id: str
    product_id: str
    product_title: str
    variant_title: str
    barcode: str | None

    @property
    def title(self) -> str:
        # Shopify names a variant-less product's only variant "Default Title"; people never see that name.
        if self.variant_title in ("", "Default Title"):
            return self.product_title
        return f"{self.product_title} - {self.variant_title}"


@dataclass(frozen=True)
class CatalogCheck:
    registrable: list[tuple[str, CatalogVariant]]
    duplicates: dict[str, list[CatalogVariant]]
    without_sku: list[CatalogVariant]


def normalise_sku(raw: str | None) -> str | None:
    """The SKU as the registry keys it: surrounding whitespace removed (a frequent copy-paste slip that
    warehouses do not forgive); an empty or blank SKU is no SKU."""
    if raw is None:
        return None
    stripped = raw.strip()
    return stripped or None


def check_catalog(variants: Iterable[CatalogVariant]) -> CatalogCheck:
    """Split a shop's whole catalog into variants that can be registered under their SKU, SKUs carried by
    more than one variant (none of those is registered), and variants without a SKU."""
    by_sku: dict[str, list[CatalogVariant]] = defaultdict(list)
    without_sku = []
    for variant in variants:
        sku = normalise_sku(variant.sku)
        if sku is None:
            without_sku.append(variant)
        else:
            by_sku[sku].append(variant)
    registrable = [(sku, found[0]) for sku, found in sorted(by_sku.items()) if len(found) == 1]
    duplicates = {sku: found for sku, found in sorted(by_sku.items()) if len(found) > 1}
    return CatalogCheck(registrable=registrable, duplicates=duplicates, without_sku=without_sku)
