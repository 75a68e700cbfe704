"""Orders, fulfillment orders and fulfillments as GraphQL sees them: dictionaries keyed by field name, a field
with arguments a function ``(info, **arguments)``. Views carry ``__typename`` so that a ``Node`` field (the
``node`` of ``tagsAdd``) resolves to its concrete type."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crossdock.sandbox.shopify.connections import page
from crossdock.sandbox.shopify.ids import gid
from crossdock.sandbox.shopify.orders import (
    Action,
    FulfilledLineItem,
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    MailingAddress,
    Order,
    OrderLineItem,
    fulfilled_quantity,
    is_allowed,
    unfulfilled_quantity,
)
from crossdock.sandbox.shopify.returns import Return, ReturnLineItem, fulfillment_line_item, order_returns
from crossdock.sandbox.shopify.search_query import matches, parse_search
from crossdock.sandbox.shopify.shop_state import ShopState
from crossdock.sandbox.shopify.views import View, location_view, paging_arguments, timestamp, variant_view

# What a fulfillment order offers to do next, as FulfillmentOrder.supportedActions names it.
SUPPORTED_ACTIONS = (
    (Action.FULFILL_PART, "CREATE_FULFILLMENT"),
    (Action.SUBMIT_FULFILLMENT_REQUEST, "REQUEST_FULFILLMENT"),
    (Action.SUBMIT_CANCELLATION_REQUEST, "REQUEST_CANCELLATION"),
    (Action.HOLD, "HOLD"),
    (Action.RELEASE_HOLD, "RELEASE_HOLD"),
)

HOLD_REASON_DISPLAY = {
    "AWAITING_PAYMENT": "Awaiting payment",
    "HIGH_RISK_OF_FRAUD": "High risk of fraud",
    "INCORRECT_ADDRESS": "Incorrect address",
    "INVENTORY_OUT_OF_STOCK": "Inventory out of stock",
    "UNKNOWN_DELIVERY_DATE": "Unknown delivery date",
    "ONLINE_STORE_POST_PURCHASE_CROSS_SELL": "Online store post purchase cross sell",
    "AWAITING_RETURN_ITEMS": "Awaiting return items",
    "OTHER": "Other",
}


def money_bag(amount: Decimal | str, currency_code: str) -> View:
    """Shop and presentment money are the same: the sandbox sells in the shop's currency only."""
    money = {"amount": str(Decimal(amount).quantize(Decimal("0.01"))), "currencyCode": currency_code}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def mailing_address_view(owner_id: int, address: MailingAddress) -> View:
    name = " ".join(part for part in (address.first_name, address.last_name) if part) or None
    return {
        "id": gid("MailingAddress", owner_id),
        "firstName": address.first_name,
        "lastName": address.last_name,
        "name": name,
        "company": address.company,
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "province": address.province_code,
        "provinceCode": address.province_code,
        "zip": address.zip,
        "country": address.country_code,
        "countryCodeV2": address.country_code,
        "phone": address.phone,
    }


def display_fulfillment_status(state: ShopState, order: Order) -> str:
    ordered = sum(line.current_quantity for line in order.line_items)
    fulfilled = sum(fulfilled_quantity(state, order, line.id) for line in order.line_items)
    if ordered and fulfilled >= ordered:
        return "FULFILLED"
    if fulfilled:
        return "PARTIALLY_FULFILLED"
    statuses = {state.fulfillment_orders[fid].status for fid in order.fulfillment_order_ids}
    if "ON_HOLD" in statuses:
        return "ON_HOLD"
    if "IN_PROGRESS" in statuses:
        return "IN_PROGRESS"
    return "UNFULFILLED"


def order_search_fields(state: ShopState, order: Order) -> dict[str, Any]:
    """The fields ``orders(query:)`` filters on, as Shopify's order search names them."""
    if order.cancelled_at is not None:
        status = "cancelled"
    elif order.closed_at is not None:
        status = "closed"
    else:
        status = "open"
    fulfillment = display_fulfillment_status(state, order)
    return {
        "id": order.id,
        "name": order.name,
        "email": order.email,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "processed_at": order.processed_at,
        "status": status,
        "financial_status": order.financial_status,
        "fulfillment_status": {"FULFILLED": "shipped", "PARTIALLY_FULFILLED": "partial"}.get(
            fulfillment, "unshipped"
        ),
    }


def order_view(state: ShopState, order: Order) -> View:
    def line_items(info: Any, **arguments: Any) -> View:
        return page(
            order.line_items,
            id_of=lambda line: line.id,
            sort_value=lambda line: order.line_items.index(line),
            render=lambda line: line_item_view(state, order, line),
            **paging_arguments(arguments),
        )

    def fulfillment_orders(info: Any, **arguments: Any) -> View:
        listed = [state.fulfillment_orders[fid] for fid in order.fulfillment_order_ids]
        listed = [fo for fo in listed if matches(parse_search(arguments.get("query")), fo_search_fields(fo))]
        if arguments.get("displayable"):
            listed = [fo for fo in listed if fo.status not in ("CANCELLED", "CLOSED") or fo.fulfillment_ids]
        return page(
            listed,
            id_of=lambda fo: fo.id,
            sort_value=lambda fo: fo.id,
            render=lambda fo: fulfillment_order_view(state, fo),
            **paging_arguments(arguments),
        )

    def fulfillments(info: Any, first: int | None = None, query: str | None = None) -> list[View]:
        listed = [state.fulfillments[fid] for fid in order.fulfillment_ids]
        return [fulfillment_view(state, fulfillment) for fulfillment in listed[:first]]

    def returns(info: Any, **arguments: Any) -> View:
        terms = parse_search(arguments.get("query"))
        listed = [
            returned
            for returned in order_returns(state, order.id)
            if matches(terms, return_search_fields(returned))
        ]
        return page(
            listed,
            id_of=lambda returned: returned.id,
            sort_value=lambda returned: returned.id,
            render=lambda returned: return_view(state, returned),
            **paging_arguments(arguments),
        )

    address = order.shipping_address
    return {
        "__typename": "Order",
        "id": gid("Order", order.id),
        "name": order.name,
        "email": order.email,
        "phone": None,
        "note": order.note,
        "tags": list(order.tags),
        "test": False,
        "closed": order.closed_at is not None,
        "closedAt": timestamp(order.closed_at),
        "cancelledAt": timestamp(order.cancelled_at),
        "cancelReason": order.cancel_reason,
        "createdAt": timestamp(order.created_at),
        "updatedAt": timestamp(order.updated_at),
        "processedAt": timestamp(order.processed_at),
        "currencyCode": order.currency_code,
        "displayFinancialStatus": order.financial_status,
        "displayFulfillmentStatus": display_fulfillment_status(state, order),
        "requiresShipping": True,
        "totalPriceSet": money_bag(order.total_price(), order.currency_code),
        "shippingAddress": None if address is None else mailing_address_view(order.id, address),
        "shippingLine": None,
        "lineItems": line_items,
        "fulfillmentOrders": fulfillment_orders,
        "fulfillments": fulfillments,
        "returns": returns,
        "metafield": lambda info, **arguments: None,
    }


def line_item_view(state: ShopState, order: Order, line: OrderLineItem) -> View:
    variant = state.variants.get(line.variant_id) if line.variant_id is not None else None
    return {
        "__typename": "LineItem",
        "id": gid("LineItem", line.id),
        "name": line.title if line.variant_title is None else f"{line.title} - {line.variant_title}",
        "title": line.title,
        "variantTitle": line.variant_title,
        "sku": line.sku,
        "quantity": line.quantity,
        "currentQuantity": line.current_quantity,
        "unfulfilledQuantity": unfulfilled_quantity(state, order, line.id),
        "requiresShipping": True,
        "originalUnitPriceSet": money_bag(line.price, order.currency_code),
        "variant": lambda info: None if variant is None else variant_view(state, variant),
    }


def fo_search_fields(fulfillment_order: FulfillmentOrder) -> dict[str, Any]:
    return {
        "id": fulfillment_order.id,
        "status": fulfillment_order.status,
        "request_status": fulfillment_order.request_status,
        "assigned_location_id": fulfillment_order.location_id,
        "order_id": fulfillment_order.order_id,
        "updated_at": fulfillment_order.updated_at,
    }


def fulfillment_order_view(state: ShopState, fulfillment_order: FulfillmentOrder) -> View:
    order = state.orders[fulfillment_order.order_id]
    location = state.locations[fulfillment_order.location_id]

    def line_items(info: Any, **arguments: Any) -> View:
        return page(
            fulfillment_order.line_items,
            id_of=lambda line: line.id,
            sort_value=lambda line: fulfillment_order.line_items.index(line),
            render=lambda line: fulfillment_order_line_item_view(state, order, line),
            **paging_arguments(arguments),
        )

    def merchant_requests(info: Any, kind: str | None = None, **arguments: Any) -> View:
        listed = [request for request in fulfillment_order.merchant_requests if kind in (None, request.kind)]
        return page(
            listed,
            id_of=lambda request: request.id,
            sort_value=lambda request: request.id,
            render=lambda request: {
                "id": gid("FulfillmentOrderMerchantRequest", request.id),
                "kind": request.kind,
                "message": request.message,
                "requestOptions": None,
                "sentAt": timestamp(request.sent_at),
            },
            **paging_arguments(arguments),
        )

    def fulfillments(info: Any, **arguments: Any) -> View:
        return page(
            [state.fulfillments[fid] for fid in fulfillment_order.fulfillment_ids],
            id_of=lambda fulfillment: fulfillment.id,
            sort_value=lambda fulfillment: fulfillment.id,
            render=lambda fulfillment: fulfillment_view(state, fulfillment),
            **paging_arguments(arguments),
        )

    address = order.shipping_address or MailingAddress()
    return {
        "__typename": "FulfillmentOrder",
        "id": gid("FulfillmentOrder", fulfillment_order.id),
        "orderId": gid("Order", order.id),
        "orderName": order.name,
        "order": lambda info: order_view(state, order),
        "status": fulfillment_order.status,
        "requestStatus": fulfillment_order.request_status,
        "createdAt": timestamp(fulfillment_order.created_at),
        "updatedAt": timestamp(fulfillment_order.updated_at),
        "fulfillAt": None,
        "assignedLocation": {
            "name": location.name,
            "address1": location.address1 or None,
            "address2": None,
            "city": location.city or None,
            "province": None,
            "zip": location.zip or None,
            "countryCode": location.country_code,
            "phone": None,
            "location": lambda info: location_view(state, location),
        },
        "deliveryMethod": {
            "id": gid("DeliveryMethod", fulfillment_order.id),
            "methodType": "SHIPPING",
            "presentedName": None,
            "serviceCode": None,
        },
        "destination": {
            "id": gid("FulfillmentOrderDestination", fulfillment_order.id),
            "firstName": address.first_name,
            "lastName": address.last_name,
            "company": address.company,
            "address1": address.address1,
            "address2": address.address2,
            "city": address.city,
            "province": address.province_code,
            "zip": address.zip,
            "countryCode": address.country_code,
            "phone": address.phone,
            "email": order.email,
        },
        "fulfillmentHolds": [
            {
                "id": gid("FulfillmentHold", placed.id),
                "reason": placed.reason,
                "reasonNotes": placed.reason_notes,
                "displayReason": HOLD_REASON_DISPLAY.get(placed.reason, placed.reason),
                "handle": placed.handle,
                "heldByRequestingApp": True,
            }
            for placed in fulfillment_order.holds
        ],
        "supportedActions": [
            {"action": name, "externalUrl": None}
            for action, name in SUPPORTED_ACTIONS
            if is_allowed(fulfillment_order, action)
        ],
        "lineItems": line_items,
        "merchantRequests": merchant_requests,
        "fulfillments": fulfillments,
    }


def fulfillment_order_line_item_view(state: ShopState, order: Order, line: FulfillmentOrderLineItem) -> View:
    ordered = order.line_item(line.line_item_id)
    variant = state.variants.get(ordered.variant_id) if ordered.variant_id is not None else None
    return {
        "id": gid("FulfillmentOrderLineItem", line.id),
        "inventoryItemId": gid("InventoryItem", line.inventory_item_id),
        "sku": ordered.sku,
        "productTitle": ordered.title,
        "variantTitle": ordered.variant_title,
        "totalQuantity": line.total_quantity,
        "remainingQuantity": line.remaining_quantity,
        "requiresShipping": True,
        "lineItem": lambda info: line_item_view(state, order, ordered),
        "variant": lambda info: None if variant is None else variant_view(state, variant),
    }


def fulfillment_view(state: ShopState, fulfillment: Fulfillment) -> View:
    order = state.orders[fulfillment.order_id]

    def line_items(info: Any, **arguments: Any) -> View:
        return page(
            fulfillment.line_items,
            id_of=lambda fulfilled: fulfilled.id,
            sort_value=lambda fulfilled: fulfilled.id,
            render=lambda fulfilled: fulfillment_line_item_view(state, order, fulfilled),
            **paging_arguments(arguments),
        )

    def tracking_info(info: Any, first: int | None = None) -> list[View]:
        return [
            {"company": tracking.company, "number": tracking.number, "url": tracking.url}
            for tracking in fulfillment.tracking[:first]
        ]

    return {
        "__typename": "Fulfillment",
        "id": gid("Fulfillment", fulfillment.id),
        "name": fulfillment.name,
        "status": fulfillment.status,
        "createdAt": timestamp(fulfillment.created_at),
        "updatedAt": timestamp(fulfillment.updated_at),
        "order": lambda info: order_view(state, order),
        "location": lambda info: location_view(state, state.locations[fulfillment.location_id]),
        "trackingInfo": tracking_info,
        "fulfillmentLineItems": line_items,
    }


def fulfillment_line_item_view(state: ShopState, order: Order, fulfilled: FulfilledLineItem) -> View:
    return {
        "__typename": "FulfillmentLineItem",
        "id": gid("FulfillmentLineItem", fulfilled.id),
        "quantity": fulfilled.quantity,
        "lineItem": lambda info: line_item_view(state, order, order.line_item(fulfilled.line_item_id)),
    }


def return_search_fields(returned: Return) -> dict[str, Any]:
    return {
        "id": returned.id,
        "name": returned.name,
        "status": returned.status,
        "created_at": returned.created_at,
        "updated_at": returned.updated_at,
    }


def return_line_item_view(state: ShopState, order: Order, line: ReturnLineItem) -> View:
    _, fulfilled = fulfillment_line_item(state, line.fulfillment_line_item_id)
    return {
        # returnLineItems is a connection of the ReturnLineItemType interface: the concrete type is named.
        "__typename": "ReturnLineItem",
        "id": gid("ReturnLineItem", line.id),
        "quantity": line.quantity,
        "returnReasonNote": line.return_reason_note,
        "customerNote": line.customer_note,
        "fulfillmentLineItem": lambda info: fulfillment_line_item_view(state, order, fulfilled),
    }


def return_view(state: ShopState, returned: Return) -> View:
    order = state.orders[returned.order_id]

    def return_line_items(info: Any, processingStatus: str | None = None, **arguments: Any) -> View:
        # The sandbox does not process returns: no line is PROCESSED, and those of an open return are
        # PROCESSABLE.
        if processingStatus == "PROCESSED" or (
            processingStatus == "PROCESSABLE" and returned.status != "OPEN"
        ):
            listed: list[ReturnLineItem] = []
        else:
            listed = returned.line_items
        return page(
            listed,
            id_of=lambda line: line.id,
            sort_value=lambda line: line.id,
            render=lambda line: return_line_item_view(state, order, line),
            **paging_arguments(arguments),
        )

    return {
        "__typename": "Return",
        "id": gid("Return", returned.id),
        "name": returned.name,
        "status": returned.status,
        "totalQuantity": returned.total_quantity,
        "createdAt": timestamp(returned.created_at),
        "requestApprovedAt": timestamp(returned.request_approved_at),
        "closedAt": timestamp(returned.closed_at),
        "decline": None
        if returned.decline_reason is None
        else {"reason": returned.decline_reason, "note": returned.decline_note},
        "order": lambda info: order_view(state, order),
        "returnLineItems": return_line_items,
    }
