"""The sandbox's objects as GraphQL sees them: dictionaries keyed by field name. A field that takes
arguments is a function ``(info, **arguments)``, which graphql-core's default resolver calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from graphql import GraphQLError

from crossdock.sandbox.shopify.catalog import InventoryItem, Location, Product, Variant
from crossdock.sandbox.shopify.connections import page
from crossdock.sandbox.shopify.ids import gid, parse_gid
from crossdock.sandbox.shopify.inventory import QUANTITY_NAMES
from crossdock.sandbox.shopify.inventory_mutations import AdjustmentGroup
from crossdock.sandbox.shopify.shop_state import ShopState

View = dict[str, Any]


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def level_gid(inventory_item_id: int, location_id: int) -> str:
    return f"{gid('InventoryLevel', location_id)}?inventory_item_id={inventory_item_id}"


def parse_level_gid(value: str) -> tuple[int, int]:
    """(inventory item id, location id) of an InventoryLevel id."""
    base, _, query = value.partition("?")
    _, location_id = parse_gid(base, "InventoryLevel")
    key, _, item = query.partition("=")
    if key != "inventory_item_id" or not item.isdigit():
        raise ValueError(value)
    return int(item), location_id


def shop_view(state: ShopState, plan_display_name: str) -> View:
    shop = state.shop
    return {
        "id": gid("Shop", shop.id),
        "name": shop.name,
        "email": shop.email,
        "myshopifyDomain": shop.domain,
        "currencyCode": shop.currency_code,
        "ianaTimezone": shop.iana_timezone,
        # 2026-07 names the plan `publicDisplayName` (ShopPlan.displayName is gone from the schema).
        "plan": {
            "publicDisplayName": plan_display_name,
            "partnerDevelopment": False,
            "shopifyPlus": plan_display_name == "Shopify Plus",
        },
        "fulfillmentServices": [],
    }


def location_view(state: ShopState, location: Location) -> View:
    def inventory_level(info: Any, inventoryItemId: str, includeInactive: bool = False) -> View | None:
        _, item_id = parse_gid(inventoryItemId, "InventoryItem")
        return level_view(state, item_id, location.id)

    def inventory_levels(info: Any, **arguments: Any) -> View:
        stocked = [item for item in state.inventory_items.values() if location.id in item.levels]
        return page(
            stocked,
            id_of=lambda item: item.id,
            sort_value=lambda item: item.id,
            render=lambda item: level_view(state, item.id, location.id),
            **paging_arguments(arguments),
        )

    return {
        "id": gid("Location", location.id),
        "name": location.name,
        "isActive": location.is_active,
        "fulfillsOnlineOrders": location.fulfills_online_orders,
        "isFulfillmentService": location.fulfillment_service_id is not None,
        "fulfillmentService": None,
        "createdAt": timestamp(state.clock()),
        "updatedAt": timestamp(state.clock()),
        "address": {
            "address1": location.address1,
            "city": location.city,
            "zip": location.zip,
            "countryCode": location.country_code,
            "formatted": [part for part in (location.address1, location.city, location.zip) if part],
        },
        "inventoryLevel": inventory_level,
        "inventoryLevels": inventory_levels,
    }


def product_view(state: ShopState, product: Product) -> View:
    def variants(info: Any, **arguments: Any) -> View:
        listed = [state.variants[variant_id] for variant_id in product.variant_ids]
        return page(
            listed,
            id_of=lambda variant: variant.id,
            sort_value=lambda variant: product.variant_ids.index(variant.id),
            render=lambda variant: variant_view(state, variant),
            **paging_arguments(arguments),
        )

    return {
        "id": gid("Product", product.id),
        "title": product.title,
        "handle": product.handle,
        "status": product.status,
        "tags": [],
        "vendor": "Sandbox",
        "createdAt": timestamp(product.created_at),
        "updatedAt": timestamp(product.updated_at),
        "variants": variants,
        "metafield": lambda info, **arguments: None,
    }


def variant_view(state: ShopState, variant: Variant) -> View:
    product = state.products[variant.product_id]
    item = state.inventory_items[variant.inventory_item_id]
    return {
        "id": gid("ProductVariant", variant.id),
        "sku": variant.sku,
        "title": variant.title,
        "displayName": f"{product.title} - {variant.title}",
        "barcode": variant.barcode,
        "price": variant.price,
        "createdAt": timestamp(product.created_at),
        "updatedAt": timestamp(variant.updated_at),
        "inventoryQuantity": sum(level.get("available") for level in item.levels.values()),
        "product": lambda info: product_view(state, product),
        "inventoryItem": lambda info: inventory_item_view(state, item),
        "metafield": lambda info, **arguments: None,
    }


def inventory_item_view(state: ShopState, item: InventoryItem) -> View:
    variant = state.variants[item.variant_id]

    def inventory_level(info: Any, locationId: str, includeInactive: bool = False) -> View | None:
        _, location_id = parse_gid(locationId, "Location")
        return level_view(state, item.id, location_id)

    def inventory_levels(info: Any, **arguments: Any) -> View:
        return page(
            sorted(item.levels),
            id_of=lambda location_id: location_id,
            sort_value=lambda location_id: location_id,
            render=lambda location_id: level_view(state, item.id, location_id),
            **paging_arguments(arguments),
        )

    def variants(info: Any, **arguments: Any) -> View:
        return page(
            [variant],
            id_of=lambda one: one.id,
            sort_value=lambda one: one.id,
            render=lambda one: variant_view(state, one),
            **paging_arguments(arguments),
        )

    return {
        "id": gid("InventoryItem", item.id),
        "sku": item.sku,
        "tracked": item.tracked,
        "requiresShipping": True,
        "createdAt": timestamp(state.products[variant.product_id].created_at),
        "updatedAt": timestamp(item.updated_at),
        "variant": lambda info: variant_view(state, variant),
        "variants": variants,
        "inventoryLevel": inventory_level,
        "inventoryLevels": inventory_levels,
    }


def level_view(state: ShopState, inventory_item_id: int, location_id: int) -> View | None:
    level = state.level(inventory_item_id, location_id)
    if level is None:
        return None
    item = state.inventory_items[inventory_item_id]
    updated_at = timestamp(item.level_updated_at.get(location_id))

    def quantities(info: Any, names: list[str]) -> list[View]:
        unknown = [name for name in names if name not in QUANTITY_NAMES]
        if unknown:
            raise GraphQLError(f"Invalid quantity names: {', '.join(unknown)}")
        return [
            {
                "id": f"{level_gid(inventory_item_id, location_id)}&name={name}".replace(
                    "InventoryLevel", "InventoryQuantity"
                ),
                "name": name,
                "quantity": level.get(name),
                "updatedAt": updated_at,
            }
            for name in names
        ]

    return {
        "id": level_gid(inventory_item_id, location_id),
        "createdAt": updated_at,
        "updatedAt": updated_at,
        "item": lambda info: inventory_item_view(state, item),
        "location": lambda info: location_view(state, state.locations[location_id]),
        "quantities": quantities,
    }


def adjustment_group_view(state: ShopState, group: AdjustmentGroup) -> View:
    def changes(info: Any, **filters: Any) -> list[View]:
        return [
            {
                "name": change.name,
                "delta": change.delta,
                "quantityAfterChange": change.quantity_after_change,
                "ledgerDocumentUri": None,
                "item": lambda info, change=change: inventory_item_view(
                    state, state.inventory_items[change.inventory_item_id]
                ),
                "location": lambda info, change=change: location_view(
                    state, state.locations[change.location_id]
                ),
            }
            for change in group.changes
            if _change_matches(change, filters)
        ]

    return {
        "id": gid("InventoryAdjustmentGroup", group.id),
        "createdAt": timestamp(group.created_at),
        "reason": group.reason,
        "referenceDocumentUri": group.reference_document_uri,
        "changes": changes,
    }


def _change_matches(change: Any, filters: dict[str, Any]) -> bool:
    names = filters.get("quantityNames")
    items = filters.get("inventoryItemIds")
    locations = filters.get("locationIds")
    return (
        (not names or change.name in names)
        and (not items or gid("InventoryItem", change.inventory_item_id) in items)
        and (not locations or gid("Location", change.location_id) in locations)
    )


def paging_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    return {key: arguments.get(key) for key in ("first", "after", "last", "before")} | {
        "reverse": bool(arguments.get("reverse", False))
    }


Renderer = Callable[[Any], View]
