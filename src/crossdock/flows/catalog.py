"""Catalog import: a shop's whole catalog into the SKU registry, with every SKU problem made visible.

The import is one transaction: the registry never holds half a catalog. Variants whose SKU is shared with
another variant, and variants without SKU, are left out and raised as exceptions (one per duplicated SKU, one
per shop for the missing ones); the next import that no longer finds a problem closes its exception.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from crossdock.domain.catalog import CatalogVariant, check_catalog
from crossdock.store.shops import ShopRecord
from crossdock.store.skus import VariantRegistration
from crossdock.store.unit_of_work import UnitOfWork

DUPLICATE_SKU = "duplicate_sku"
VARIANTS_WITHOUT_SKU = "variants_without_sku"
_CLOSED_BY = "catalog import"
# Enough to find them in Shopify's admin; the count says how many there are in all.
_LISTED_VARIANTS = 100


@dataclass
class CatalogImportReport:
    variants: int = 0
    registrations: Counter[str] = field(default_factory=Counter)
    removed: int = 0
    duplicates: dict[str, list[CatalogVariant]] = field(default_factory=dict)
    without_sku: list[CatalogVariant] = field(default_factory=list)


def import_shop_catalog(
    uow: UnitOfWork, shop: ShopRecord, catalog: Iterable[CatalogVariant]
) -> CatalogImportReport:
    variants = list(catalog)
    check = check_catalog(variants)
    report = CatalogImportReport(
        variants=len(variants), duplicates=check.duplicates, without_sku=check.without_sku
    )
    for sku, variant in check.registrable:
        outcome = uow.skus.register(
            shop.account_id,
            shop.id,
            VariantRegistration(
                sku=sku,
                title=variant.title,
                barcode=variant.barcode,
                variant_id=variant.variant_id,
                inventory_item_id=variant.inventory_item_id,
                product_id=variant.product_id,
                product_title=variant.product_title,
                variant_title=variant.variant_title,
            ),
        )
        report.registrations[outcome] += 1
    report.removed = uow.skus.forget_variants_except(
        shop.id, {variant.variant_id for _, variant in check.registrable}
    )
    _raise_duplicates(uow, shop, check.duplicates)
    _raise_missing_skus(uow, shop, check.without_sku)
    return report


def _described(variant: CatalogVariant) -> dict[str, str]:
    return {"variant_id": variant.variant_id, "title": variant.title, "product_id": variant.product_id}


def _raise_duplicates(uow: UnitOfWork, shop: ShopRecord, duplicates: dict[str, list[CatalogVariant]]) -> None:
    for sku, variants in duplicates.items():
        titles = "; ".join(variant.title for variant in variants[:5])
        uow.exceptions.raise_(
            type=DUPLICATE_SKU,
            severity="error",
            subject_type="sku",
            subject_id=sku,
            message=(
                f"SKU {sku!r} is carried by {len(variants)} variants in {shop.domain} ({titles}); "
                "none of them is registered until each has its own SKU"
            ),
            details={"shop": shop.domain, "variants": [_described(variant) for variant in variants]},
            actions=["resolve", "ignore"],
            account_id=shop.account_id,
        )
    for open_problem in uow.exceptions.list(type=DUPLICATE_SKU, account_id=shop.account_id, limit=100_000):
        if open_problem.details.get("shop") == shop.domain and open_problem.subject_id not in duplicates:
            uow.exceptions.close(open_problem.id, status="resolved", by=_CLOSED_BY)


def _raise_missing_skus(uow: UnitOfWork, shop: ShopRecord, without_sku: list[CatalogVariant]) -> None:
    if without_sku:
        uow.exceptions.raise_(
            type=VARIANTS_WITHOUT_SKU,
            severity="warning",
            subject_type="shop",
            subject_id=shop.domain,
            message=(
                f"{len(without_sku)} variant(s) in {shop.domain} have no SKU and cannot be sent to a "
                f"warehouse (first: {without_sku[0].title})"
            ),
            details={
                "count": len(without_sku),
                "variants": [_described(variant) for variant in without_sku[:_LISTED_VARIANTS]],
            },
            actions=["resolve", "ignore"],
            account_id=shop.account_id,
        )
        return
    for open_problem in uow.exceptions.list(
        type=VARIANTS_WITHOUT_SKU, account_id=shop.account_id, limit=1000
    ):
        if open_problem.subject_id == shop.domain:
            uow.exceptions.close(open_problem.id, status="resolved", by=_CLOSED_BY)
