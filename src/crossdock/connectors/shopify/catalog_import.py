"""`crossdock shopify import-catalog`: the shop's variants, page by page, into the SKU registry."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crossdock.connectors.shopify.paging import GraphQLExecutor, pages
from crossdock.domain.catalog import CatalogVariant
from crossdock.flows.catalog import CatalogImportReport, import_shop_catalog
from crossdock.store.unit_of_work import UnitOfWork


def catalog_variant(node: dict[str, Any]) -> CatalogVariant:
    return CatalogVariant(
        variant_id=node["id"],
        sku=node.get("sku"),
        inventory_item_id=node["inventoryItem"]["id"],
        product_id=node["product"]["id"],
        product_title=node["product"]["title"],
        variant_title=node.get("title") or "",
        barcode=node.get("barcode") or None,
    )


async def import_catalog(client: GraphQLExecutor, engine: sa.Engine, shop_domain: str) -> CatalogImportReport:
    # The whole catalog is read before anything is written: a SKU is only known to be duplicated once every
    # page has been seen, and the registry is replaced in one transaction.
    variants = [
        catalog_variant(node)
        async for page in pages(client, "CatalogVariants", "productVariants")
        for node in page
    ]
    with UnitOfWork(engine) as uow:
        shop = uow.shops.by_domain(shop_domain)
        if shop is None:
            raise LookupError(
                f"shop {shop_domain} is not in the database; start the hub or run `crossdock migrate`"
            )
        report = import_shop_catalog(uow, shop, variants)
        uow.commit()
    return report
