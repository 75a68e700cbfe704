"""Fulfillment services: an app registers one (``fulfillmentServiceCreate``) and Shopify makes a location that
the service owns. Orders stocked at that location get fulfillment orders assigned to it, which the service
finds through ``assignedFulfillmentOrders`` and is told about at its callback URL.

The sandbox serves one app, so every fulfillment service in the shop is the requesting app's own.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema

from crossdock.sandbox.shopify.catalog import FulfillmentService
from crossdock.sandbox.shopify.ids import gid, parse_gid
from crossdock.sandbox.shopify.orders import FulfillmentOrder, OrderError
from crossdock.sandbox.shopify.shop_state import ShopState
from crossdock.sandbox.shopify.views import View, location_view

NOTIFICATION_PATH = "/fulfillment_order_notification"
NOTIFICATION_KINDS = ("FULFILLMENT_REQUEST", "CANCELLATION_REQUEST")
_NOT_HANDLE = re.compile(r"[^a-z0-9]+")


def _handle(name: str) -> str:
    """Shopify's handle of a service: its name in lower case, runs of anything else turned into one dash."""
    return _NOT_HANDLE.sub("-", name.lower()).strip("-")


def _valid_callback(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    # http is allowed as well as https: a service under test listens on localhost without TLS.
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def create_fulfillment_service(
    state: ShopState,
    name: str,
    callback_url: str | None = None,
    *,
    inventory_management: bool = False,
    tracking_support: bool = False,
    requires_shipping_method: bool = True,
) -> FulfillmentService:
    """Registers the service and creates its location; refused (nothing created) on a blank or taken name
    or a callback URL that cannot be called."""
    name = name.strip()
    if not name:
        raise OrderError(["name"], "Name can't be blank")
    handle = _handle(name)
    if any(
        service.name.lower() == name.lower() or service.handle == handle
        for service in state.fulfillment_services.values()
    ):
        raise OrderError(["name"], "Name has already been taken")
    if callback_url is not None and not _valid_callback(callback_url):
        raise OrderError(["callbackUrl"], "Callback url is invalid")
    location = state.add_location(name)
    service = FulfillmentService(
        id=state.next_id(),
        name=name,
        handle=handle,
        location_id=location.id,
        callback_url=callback_url,
        inventory_management=inventory_management,
        tracking_support=tracking_support,
        requires_shipping_method=requires_shipping_method,
    )
    location.fulfillment_service_id = service.id
    state.fulfillment_services[service.id] = service
    return service


def service_location_ids(state: ShopState) -> set[int]:
    """The locations owned by the app's fulfillment services."""
    return {service.location_id for service in state.fulfillment_services.values()}


def fulfillment_service_callback(
    state: ShopState, fulfillment_order: FulfillmentOrder, kind: str = "FULFILLMENT_REQUEST"
) -> tuple[str, dict[str, Any]] | None:
    """What Shopify POSTs to the fulfillment service when the merchant submits a fulfillment (or, with
    ``kind="CANCELLATION_REQUEST"``, a cancellation) request for ``fulfillment_order``: the URL and the JSON
    body. None when the fulfillment order is not at a service's location or the service has no callback URL.
    Pure: sending it (signed, like a webhook) is the caller's business."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"kind must be one of {NOTIFICATION_KINDS}, got {kind!r}")
    location = state.locations.get(fulfillment_order.location_id)
    if location is None or location.fulfillment_service_id is None:
        return None
    service = state.fulfillment_services.get(location.fulfillment_service_id)
    if service is None or not service.callback_url:
        return None
    return service.callback_url.rstrip("/") + NOTIFICATION_PATH, {"kind": kind}


# -- GraphQL ----------------------------------------------------------------------------------------------


def fulfillment_service_view(state: ShopState, service: FulfillmentService) -> View:
    return {
        "id": gid("FulfillmentService", service.id),
        "serviceName": service.name,
        "handle": service.handle,
        "callbackUrl": service.callback_url,
        "inventoryManagement": service.inventory_management,
        "trackingSupport": service.tracking_support,
        "requiresShippingMethod": service.requires_shipping_method,
        "type": "THIRD_PARTY",
        "location": lambda info: location_view(state, state.locations[service.location_id]),
    }


def _state(info: GraphQLResolveInfo) -> ShopState:
    state: ShopState = info.context.state
    return state


def resolve_fulfillment_service_create(
    _root: Any,
    info: GraphQLResolveInfo,
    name: str,
    callbackUrl: str | None = None,
    trackingSupport: bool = False,
    inventoryManagement: bool = False,
    requiresShippingMethod: bool = True,
    **_: Any,
) -> View:
    state = _state(info)
    try:
        service = create_fulfillment_service(
            state,
            name,
            callbackUrl,
            inventory_management=bool(inventoryManagement),
            tracking_support=bool(trackingSupport),
            requires_shipping_method=bool(requiresShippingMethod),
        )
    except OrderError as error:
        return {"fulfillmentService": None, "userErrors": [{"field": error.field, "message": error.message}]}
    return {"fulfillmentService": fulfillment_service_view(state, service), "userErrors": []}


def resolve_shop_fulfillment_services(shop: View, info: GraphQLResolveInfo) -> list[View]:
    state = _state(info)
    return [
        fulfillment_service_view(state, state.fulfillment_services[key])
        for key in sorted(state.fulfillment_services)
    ]


def resolve_location_fulfillment_service(location: View, info: GraphQLResolveInfo) -> View | None:
    """Resolved on the Location type itself, so every place that shows a location (the root queries, a
    fulfillment order's assigned location, a level's location) shows its service."""
    state = _state(info)
    _, location_id = parse_gid(location["id"], "Location")
    found = state.locations.get(location_id)
    if found is None or found.fulfillment_service_id is None:
        return None
    service = state.fulfillment_services.get(found.fulfillment_service_id)
    return None if service is None else fulfillment_service_view(state, service)


def install_fulfillment_service_resolvers(schema: GraphQLSchema) -> None:
    assert schema.mutation_type is not None
    schema.mutation_type.fields["fulfillmentServiceCreate"].resolve = resolve_fulfillment_service_create
    shop_type = schema.get_type("Shop")
    location_type = schema.get_type("Location")
    assert isinstance(shop_type, GraphQLObjectType) and isinstance(location_type, GraphQLObjectType)
    # On the types, not in views.py's shop and location views: those show no services.
    shop_type.fields["fulfillmentServices"].resolve = resolve_shop_fulfillment_services
    location_type.fields["fulfillmentService"].resolve = resolve_location_fulfillment_service
