"""Resolvers of the root query fields the sandbox serves; each reads the sandbox from ``info.context``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLSchema

from crossdock.sandbox.shopify.connections import page
from crossdock.sandbox.shopify.ids import InvalidGlobalId, number_of, parse_gid
from crossdock.sandbox.shopify.order_views import (
    fulfillment_order_view,
    fulfillment_view,
    order_view,
    return_view,
)
from crossdock.sandbox.shopify.search_query import matches, parse_search
from crossdock.sandbox.shopify.views import (
    View,
    adjustment_group_view,
    inventory_item_view,
    level_view,
    location_view,
    paging_arguments,
    parse_level_gid,
    product_view,
    shop_view,
    variant_view,
)
from crossdock.sandbox.shopify.webhooks.subscriptions import subscription_view


def resolve_shop(_root: Any, info: Any) -> View:
    sandbox = info.context
    return shop_view(sandbox.state, sandbox.plan.display_name)


def resolve_location(_root: Any, info: Any, id: str | None = None) -> View | None:
    state = info.context.state
    if id is None:  # the shop's primary location
        first = min(state.locations, default=None)
        return None if first is None else location_view(state, state.locations[first])
    number = number_of(id, "Location")
    location = state.locations.get(number) if number is not None else None
    return None if location is None else location_view(state, location)


def resolve_locations(_root: Any, info: Any, **arguments: Any) -> View:
    state = info.context.state
    listed = [
        location
        for location in state.locations.values()
        if arguments.get("includeInactive") or location.is_active
    ]
    terms = parse_search(arguments.get("query"))
    listed = [location for location in listed if matches(terms, {"name": location.name})]
    return page(
        listed,
        id_of=lambda location: location.id,
        sort_value=lambda location: location.name if arguments.get("sortKey") == "NAME" else location.id,
        render=lambda location: location_view(state, location),
        **paging_arguments(arguments),
    )


def resolve_product(_root: Any, info: Any, id: str) -> View | None:
    state = info.context.state
    number = number_of(id, "Product")
    product = state.products.get(number) if number is not None else None
    return None if product is None else product_view(state, product)


def resolve_products(_root: Any, info: Any, **arguments: Any) -> View:
    state = info.context.state
    terms = parse_search(arguments.get("query"))
    listed = [
        product
        for product in state.products.values()
        if matches(
            terms,
            {
                "title": product.title,
                "handle": product.handle,
                "status": product.status,
                "updated_at": product.updated_at,
                "sku": next(iter(state.variants[v].sku for v in product.variant_ids), None),
            },
        )
    ]
    sort_key = arguments.get("sortKey", "ID")
    return page(
        listed,
        id_of=lambda product: product.id,
        sort_value=lambda product: {"TITLE": product.title, "UPDATED_AT": product.updated_at}.get(
            sort_key, product.id
        ),
        render=lambda product: product_view(state, product),
        **paging_arguments(arguments),
    )


def resolve_product_variant(_root: Any, info: Any, id: str) -> View | None:
    state = info.context.state
    number = number_of(id, "ProductVariant")
    variant = state.variants.get(number) if number is not None else None
    return None if variant is None else variant_view(state, variant)


def resolve_product_variants(_root: Any, info: Any, **arguments: Any) -> View:
    state = info.context.state
    terms = parse_search(arguments.get("query"))
    listed = [
        variant
        for variant in state.variants.values()
        if matches(
            terms,
            {
                "sku": variant.sku,
                "barcode": variant.barcode,
                "updated_at": variant.updated_at,
                "product_id": variant.product_id,
            },
        )
    ]
    return page(
        listed,
        id_of=lambda variant: variant.id,
        sort_value=lambda variant: variant.sku if arguments.get("sortKey") == "SKU" else variant.id,
        render=lambda variant: variant_view(state, variant),
        **paging_arguments(arguments),
    )


def resolve_inventory_item(_root: Any, info: Any, id: str) -> View | None:
    state = info.context.state
    number = number_of(id, "InventoryItem")
    item = state.inventory_items.get(number) if number is not None else None
    return None if item is None else inventory_item_view(state, item)


def resolve_inventory_items(_root: Any, info: Any, **arguments: Any) -> View:
    state = info.context.state
    terms = parse_search(arguments.get("query"))
    listed = [
        item
        for item in state.inventory_items.values()
        if matches(
            terms,
            {
                "sku": item.sku,
                "updated_at": item.updated_at,
                "id": item.id,
            },
        )
    ]
    return page(
        listed,
        id_of=lambda item: item.id,
        sort_value=lambda item: item.id,
        render=lambda item: inventory_item_view(state, item),
        **paging_arguments(arguments),
    )


def resolve_inventory_level(_root: Any, info: Any, id: str) -> View | None:
    try:
        item_id, location_id = parse_level_gid(id)
    except (ValueError, InvalidGlobalId):
        return None
    return level_view(info.context.state, item_id, location_id)


# -- node and nodes ---------------------------------------------------------------------------------------


def _typed(type_name: str, view: View | None) -> View | None:
    """The view named as its type: ``node`` returns the Node interface, which resolves its concrete type by
    ``__typename``. The order views carry it already; the catalog views do not."""
    return None if view is None else {**view, "__typename": type_name}


def _find(table: dict[int, Any], number: int, render: Callable[[Any], View | None]) -> View | None:
    found = table.get(number)
    return None if found is None else render(found)


# type name -> (sandbox, number) -> the view, or None when no such object exists.
NODE_FINDERS: dict[str, Callable[[Any, int], View | None]] = {
    "Shop": lambda sandbox, number: (
        _typed("Shop", shop_view(sandbox.state, sandbox.plan.display_name))
        if number == sandbox.state.shop.id
        else None
    ),
    "Location": lambda sandbox, number: _find(
        sandbox.state.locations, number, lambda found: _typed("Location", location_view(sandbox.state, found))
    ),
    "Product": lambda sandbox, number: _find(
        sandbox.state.products, number, lambda found: _typed("Product", product_view(sandbox.state, found))
    ),
    "ProductVariant": lambda sandbox, number: _find(
        sandbox.state.variants,
        number,
        lambda found: _typed("ProductVariant", variant_view(sandbox.state, found)),
    ),
    "InventoryItem": lambda sandbox, number: _find(
        sandbox.state.inventory_items,
        number,
        lambda found: _typed("InventoryItem", inventory_item_view(sandbox.state, found)),
    ),
    "InventoryAdjustmentGroup": lambda sandbox, number: _find(
        sandbox.state.adjustment_groups,
        number,
        lambda found: _typed("InventoryAdjustmentGroup", adjustment_group_view(sandbox.state, found)),
    ),
    "Order": lambda sandbox, number: _find(
        sandbox.state.orders, number, lambda found: order_view(sandbox.state, found)
    ),
    "FulfillmentOrder": lambda sandbox, number: _find(
        sandbox.state.fulfillment_orders, number, lambda found: fulfillment_order_view(sandbox.state, found)
    ),
    "Fulfillment": lambda sandbox, number: _find(
        sandbox.state.fulfillments, number, lambda found: fulfillment_view(sandbox.state, found)
    ),
    "Return": lambda sandbox, number: _find(
        sandbox.state.returns, number, lambda found: return_view(sandbox.state, found)
    ),
    "WebhookSubscription": lambda sandbox, number: _typed(
        "WebhookSubscription",
        None
        if (subscription := sandbox.webhooks.subscriptions.get(number)) is None
        else subscription_view(subscription),
    ),
}


def _node(sandbox: Any, id: str) -> View | None:
    if id.startswith("gid://shopify/InventoryLevel/"):
        # A level's id names the location and, in its query, the item.
        try:
            item_id, location_id = parse_level_gid(id)
        except (ValueError, InvalidGlobalId):
            return None
        return _typed("InventoryLevel", level_view(sandbox.state, item_id, location_id))
    try:
        type_name, number = parse_gid(id)
    except InvalidGlobalId:
        # Shopify answers a malformed id with a coercion error; the sandbox answers null, as for an unknown
        # object, which is what an integration has to handle either way.
        return None
    finder = NODE_FINDERS.get(type_name)
    return None if finder is None else finder(sandbox, number)


def resolve_node(_root: Any, info: Any, id: str) -> View | None:
    return _node(info.context, id)


def resolve_nodes(_root: Any, info: Any, ids: list[str]) -> list[View | None]:
    """One entry per id, in order, null where nothing has that id."""
    return [_node(info.context, id) for id in ids]


QUERY_RESOLVERS = {
    "shop": resolve_shop,
    "location": resolve_location,
    "locations": resolve_locations,
    "product": resolve_product,
    "products": resolve_products,
    "productVariant": resolve_product_variant,
    "productVariants": resolve_product_variants,
    "inventoryItem": resolve_inventory_item,
    "inventoryItems": resolve_inventory_items,
    "inventoryLevel": resolve_inventory_level,
    "node": resolve_node,
    "nodes": resolve_nodes,
}


def install_query_resolvers(schema: GraphQLSchema) -> None:
    assert schema.query_type is not None
    for name, resolver in QUERY_RESOLVERS.items():
        schema.query_type.fields[name].resolve = resolver
