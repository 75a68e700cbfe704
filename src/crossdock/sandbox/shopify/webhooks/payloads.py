"""The bodies of the webhooks the sandbox sends, as Shopify sends them for API version 2026-07.

Webhooks travel in the REST resource shape, not GraphQL's: snake_case keys, numeric ids beside an
``admin_graphql_api_id``, lowercase enum values, money as a decimal string plus a ``*_set`` object with
``shop_money`` and ``presentment_money``, and times in ISO 8601 with the shop's UTC offset.

The version is ``delivery.API_VERSION``, the one the sandbox's deliveries announce.

Every function here is pure: it reads the shop and changes nothing (it never draws an id), so a payload can
be built again for a retry or a test. Each output validates against the topic's JSON Schema in the npm
package ``shopify-webhook-schemas`` 0.3.8 (``schemas/2026-07/<resource>/<event>.json``), which
``tests/unit/test_sandbox_webhook_payloads.py`` checks. Those schemas are inferred from Shopify's example
payloads, so a few keys that real Shopify leaves null or fills are pinned by them to one shape; where the
sandbox has to bend to a schema, the code says so. Values come from the sandbox where it keeps them and are
Shopify's defaults elsewhere (null, [], false, "0.00", the shop's currency).

``TOPIC_PAYLOAD_BUILDERS`` says which function builds which topic.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crossdock.sandbox.shopify.ids import gid
from crossdock.sandbox.shopify.orders import (
    FulfilledLineItem,
    Fulfillment,
    FulfillmentHold,
    FulfillmentOrder,
    MailingAddress,
    MerchantRequest,
    Order,
    OrderLineItem,
    fulfilled_quantity,
    unfulfilled_quantity,
)
from crossdock.sandbox.shopify.returns import Return
from crossdock.sandbox.shopify.shop_state import ShopState
from crossdock.sandbox.shopify.views import level_gid

Payload = dict[str, Any]

# The sandbox serves one app (the hub); holds it places name it as the app that holds them.
SANDBOX_APP_ID = 1
ZERO = Decimal("0.00")

# Shopify prints country names in addresses; the sandbox keeps only codes, so the usual ones are named here
# and any other travels as its code.
COUNTRY_NAMES = {
    "AT": "Austria",
    "AU": "Australia",
    "BE": "Belgium",
    "CA": "Canada",
    "CH": "Switzerland",
    "DE": "Germany",
    "DK": "Denmark",
    "ES": "Spain",
    "FR": "France",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "IT": "Italy",
    "NL": "Netherlands",
    "NZ": "New Zealand",
    "SE": "Sweden",
    "US": "United States",
}

ORDER_TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/fulfilled",
    "orders/partially_fulfilled",
)
FULFILLMENT_ORDER_TOPICS = (
    "fulfillment_orders/fulfillment_request_submitted",
    "fulfillment_orders/fulfillment_request_accepted",
    "fulfillment_orders/fulfillment_request_rejected",
    "fulfillment_orders/cancellation_request_submitted",
    "fulfillment_orders/cancellation_request_accepted",
    "fulfillment_orders/cancellation_request_rejected",
    "fulfillment_orders/placed_on_hold",
    "fulfillment_orders/hold_released",
    "fulfillment_orders/cancelled",
)
RETURN_TOPICS = (
    "returns/request",
    "returns/approve",
    "returns/decline",
    "returns/close",
    "returns/reopen",
    "returns/cancel",
)


# -- the pieces every payload is made of ------------------------------------------------------------------


def shop_time(state: ShopState, moment: datetime | None) -> str | None:
    """ISO 8601 in the shop's time zone, with its offset ("2026-11-01T04:00:00-05:00"), as Shopify writes
    times in webhooks."""
    if moment is None:
        return None
    try:
        zone = ZoneInfo(state.shop.iana_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _required_time(state: ShopState, moment: datetime) -> str:
    text = shop_time(state, moment)
    assert text is not None
    return text


def money(amount: Decimal | str) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01")))


def money_set(amount: Decimal | str, currency_code: str) -> Payload:
    """Shop and presentment money are the same: the sandbox sells in the shop's currency only."""
    value = {"amount": money(amount), "currency_code": currency_code}
    return {"shop_money": value, "presentment_money": dict(value)}


def _lower(value: str | None) -> str | None:
    """GraphQL's enum values (IN_PROGRESS) are REST's lowercase ones (in_progress)."""
    return None if value is None else value.lower()


def _stable_number(*parts: object) -> int:
    """A positive 48-bit number derived from ``parts``: ids for things Shopify numbers but the sandbox does
    not keep (a customer, an address, an order edit), the same every time the payload is built."""
    digest = hashlib.sha256(":".join(str(part) for part in parts).encode()).hexdigest()
    return int(digest[:12], 16)


def _order_token(state: ShopState, order: Order) -> str:
    return hashlib.sha256(f"{state.shop.id}:{order.id}".encode()).hexdigest()[:32]


# -- orders -----------------------------------------------------------------------------------------------


def _address(address: MailingAddress) -> Payload:
    """A REST mailing address. The schema has every field a string (no null), so what the sandbox does not
    know travels as an empty string; province names are not kept, so the province is its code."""
    name = " ".join(part for part in (address.first_name, address.last_name) if part)
    country = address.country_code or ""
    return {
        "first_name": address.first_name or "",
        "last_name": address.last_name or "",
        "name": name,
        "company": address.company,
        "address1": address.address1 or "",
        "address2": address.address2,
        "city": address.city or "",
        "province": address.province_code or "",
        "province_code": address.province_code or "",
        "zip": address.zip or "",
        "country": COUNTRY_NAMES.get(country, country),
        "country_code": country,
        "phone": address.phone or "",
        "latitude": None,
        "longitude": None,
    }


def _customer(state: ShopState, order: Order, address: MailingAddress) -> Payload:
    """The sandbox keeps no customers; Shopify's order carries one, made here from the order's email and
    address, with an id derived from the email so that one buyer is one customer across orders. The schema
    requires the object (not null) even for an order without email."""
    email = order.email or ""
    customer_id = _stable_number(state.shop.id, "customer", email or order.id)
    default_address = _address(address)
    default_address.pop("latitude")
    default_address.pop("longitude")
    default_address.update(
        {
            "id": _stable_number(state.shop.id, "customer-address", customer_id),
            "customer_id": customer_id,
            "country_name": default_address["country"],
            "default": True,
        }
    )
    return {
        "id": customer_id,
        "admin_graphql_api_id": gid("Customer", customer_id),
        "email": email,
        "first_name": address.first_name or "",
        "last_name": address.last_name or "",
        "phone": None,
        "state": "disabled",
        "note": None,
        "verified_email": bool(email),
        "multipass_identifier": None,
        "tax_exempt": False,
        "tax_exemptions": [],
        "currency": state.shop.currency_code,
        "created_at": None,
        "updated_at": None,
        "default_address": default_address,
    }


def _line_fulfillment_status(ordered: int, fulfilled: int) -> str | None:
    if fulfilled <= 0:
        return None
    return "fulfilled" if fulfilled >= ordered else "partial"


def _fulfillment_service_handle(state: ShopState, order: Order, line_item_id: int) -> str:
    """The handle of the fulfillment service whose location holds the line, else "manual" (the merchant
    ships it), as REST's ``fulfillment_service`` names it."""
    for fulfillment_order_id in order.fulfillment_order_ids:
        fulfillment_order = state.fulfillment_orders[fulfillment_order_id]
        if any(line.line_item_id == line_item_id for line in fulfillment_order.line_items):
            location = state.locations.get(fulfillment_order.location_id)
            service_id = None if location is None else location.fulfillment_service_id
            service = state.fulfillment_services.get(service_id) if service_id is not None else None
            if service is not None:
                return service.handle
    return "manual"


def _line_item(state: ShopState, order: Order, line: OrderLineItem, quantity: int | None = None) -> Payload:
    """One order line as REST shows it; ``quantity`` overrides the ordered quantity (a fulfillment's line
    shows the units that fulfillment shipped)."""
    variant = state.variants.get(line.variant_id) if line.variant_id is not None else None
    product = state.products.get(variant.product_id) if variant is not None else None
    item = state.inventory_items.get(variant.inventory_item_id) if variant is not None else None
    currency = order.currency_code
    fulfilled = fulfilled_quantity(state, order, line.id)
    return {
        "id": line.id,
        "admin_graphql_api_id": gid("LineItem", line.id),
        "attributed_staffs": [],
        "current_quantity": line.current_quantity,
        "fulfillable_quantity": unfulfilled_quantity(state, order, line.id),
        "fulfillment_service": _fulfillment_service_handle(state, order, line.id),
        "fulfillment_status": _line_fulfillment_status(line.current_quantity, fulfilled),
        "gift_card": False,
        "grams": 0,
        "name": line.title if line.variant_title is None else f"{line.title} - {line.variant_title}",
        "price": money(line.price),
        "price_set": money_set(line.price, currency),
        "product_exists": product is not None,
        "product_id": None if variant is None else variant.product_id,
        "properties": [],
        "quantity": line.quantity if quantity is None else quantity,
        "requires_shipping": True,
        "sales_line_item_group_id": None,
        "sku": line.sku,
        "taxable": True,
        "title": line.title,
        "total_discount": money(ZERO),
        "total_discount_set": money_set(ZERO, currency),
        "variant_id": line.variant_id,
        "variant_inventory_management": "shopify" if item is not None and item.tracked else None,
        "variant_title": line.variant_title,
        # Shopify fills a product's vendor with the shop's name unless the merchant sets one.
        "vendor": state.shop.name,
        "tax_lines": [],
        "duties": [],
        "discount_allocations": [],
    }


def _fulfillment(state: ShopState, order: Order, fulfillment: Fulfillment) -> Payload:
    tracking = fulfillment.tracking
    first = tracking[0] if tracking else None

    def shipped_line(fulfilled: FulfilledLineItem) -> Payload:
        line = _line_item(state, order, order.line_item(fulfilled.line_item_id), quantity=fulfilled.quantity)
        # In a fulfillment the line is the shipped units: fulfilled, whatever the rest of the order does.
        line["fulfillment_status"] = "fulfilled"
        line.pop("attributed_staffs")
        line.pop("sales_line_item_group_id")
        return line

    return {
        "id": fulfillment.id,
        "admin_graphql_api_id": gid("Fulfillment", fulfillment.id),
        "created_at": shop_time(state, fulfillment.created_at),
        "updated_at": shop_time(state, fulfillment.updated_at),
        "location_id": fulfillment.location_id,
        "name": fulfillment.name,
        "order_id": order.id,
        "origin_address": {},
        "receipt": {},
        "service": "manual",
        "shipment_status": None,
        "status": _lower(fulfillment.status),
        "tracking_company": None if first is None else first.company,
        "tracking_number": None if first is None else first.number,
        "tracking_numbers": [info.number for info in tracking if info.number],
        "tracking_url": None if first is None else first.url,
        "tracking_urls": [info.url for info in tracking if info.url],
        "line_items": [shipped_line(fulfilled) for fulfilled in fulfillment.line_items],
    }


def _order_fulfillment_status(state: ShopState, order: Order) -> str | None:
    """REST's order ``fulfillment_status``: null until something shipped, then partial or fulfilled."""
    ordered = sum(line.current_quantity for line in order.line_items)
    fulfilled = sum(fulfilled_quantity(state, order, line.id) for line in order.line_items)
    if fulfilled <= 0:
        return None
    return "fulfilled" if fulfilled >= ordered else "partial"


def order_payload(state: ShopState, order: Order) -> Payload:
    """The order as orders/create, orders/updated, orders/paid, orders/cancelled, orders/fulfilled and
    orders/partially_fulfilled send it (the six topics share one schema in 2026-07)."""
    currency = order.currency_code
    original_total = order.total_price()
    current_total = sum(
        (Decimal(line.price) * line.current_quantity for line in order.line_items), Decimal(0)
    )
    outstanding = ZERO if order.financial_status in ("PAID", "REFUNDED", "VOIDED") else current_total
    # The sandbox keeps one address; a checkout bills to it too unless the buyer enters another.
    address = order.shipping_address or MailingAddress()
    token = _order_token(state, order)
    # Shopify's merchant business entity id is the base64 of a number, unpadded; the shop's id stands in.
    entity_id = base64.b64encode(str(state.shop.id).encode()).decode().rstrip("=")
    return {
        "id": order.id,
        "admin_graphql_api_id": gid("Order", order.id),
        "app_id": None,
        "browser_ip": None,
        "buyer_accepts_marketing": False,
        "cancel_reason": _lower(order.cancel_reason),
        "cancelled_at": shop_time(state, order.cancelled_at),
        "cart_token": None,
        "checkout_token": None,
        "client_details": None,
        "closed_at": shop_time(state, order.closed_at),
        "confirmation_number": None,
        "confirmed": True,
        "contact_email": order.email or "",
        "created_at": shop_time(state, order.created_at),
        "currency": currency,
        "current_shipping_price_set": money_set(ZERO, currency),
        "current_subtotal_price": money(current_total),
        "current_subtotal_price_set": money_set(current_total, currency),
        "current_total_additional_fees_set": None,
        "current_total_discounts": money(ZERO),
        "current_total_discounts_set": money_set(ZERO, currency),
        "current_total_duties_set": None,
        "current_total_price": money(current_total),
        "current_total_price_set": money_set(current_total, currency),
        "current_total_tax": money(ZERO),
        "current_total_tax_set": money_set(ZERO, currency),
        "customer_locale": "en",
        "device_id": None,
        "discount_codes": [],
        "duties_included": False,
        "email": order.email or "",
        "estimated_taxes": False,
        "financial_status": _lower(order.financial_status),
        "fulfillment_status": _order_fulfillment_status(state, order),
        "landing_site": None,
        "landing_site_ref": None,
        "location_id": None,
        "merchant_business_entity_id": entity_id,
        "merchant_of_record_app_id": None,
        "name": order.name,
        "note": order.note,
        "note_attributes": [],
        "number": order.number - 1000,
        "order_number": order.number,
        "order_status_url": f"https://{state.shop.domain}/{state.shop.id}/orders/{token}/authenticate"
        f"?key={token[:16]}",
        "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "payment_gateway_names": [],
        "payment_terms": None,
        "phone": None,
        "po_number": None,
        "presentment_currency": currency,
        "processed_at": shop_time(state, order.processed_at),
        "reference": None,
        "referring_site": None,
        "source_identifier": None,
        "source_name": "web",
        "source_url": None,
        "subtotal_price": money(original_total),
        "subtotal_price_set": money_set(original_total, currency),
        # REST joins tags with ", ".
        "tags": ", ".join(order.tags),
        "tax_exempt": False,
        "tax_lines": [],
        "taxes_included": False,
        "test": False,
        "token": token,
        "total_cash_rounding_payment_adjustment_set": money_set(ZERO, currency),
        "total_cash_rounding_refund_adjustment_set": money_set(ZERO, currency),
        "total_discounts": money(ZERO),
        "total_discounts_set": money_set(ZERO, currency),
        "total_line_items_price": money(original_total),
        "total_line_items_price_set": money_set(original_total, currency),
        "total_outstanding": money(outstanding),
        "total_price": money(original_total),
        "total_price_set": money_set(original_total, currency),
        "total_shipping_price_set": money_set(ZERO, currency),
        "total_tax": money(ZERO),
        "total_tax_set": money_set(ZERO, currency),
        "total_tip_received": money(ZERO),
        "total_weight": 0,
        "updated_at": shop_time(state, order.updated_at),
        "user_id": None,
        "billing_address": _address(address),
        "customer": _customer(state, order, address),
        "discount_applications": [],
        "fulfillments": [
            _fulfillment(state, order, state.fulfillments[fulfillment_id])
            for fulfillment_id in order.fulfillment_ids
        ],
        "line_items": [_line_item(state, order, line) for line in order.line_items],
        # The 2026-07 schema allows no item in these: Shopify reports refunds and returns in their own topics.
        "refunds": [],
        "returns": [],
        "line_item_groups": [],
        "shipping_address": _address(address),
        "shipping_lines": [],
    }


def order_edited_payload(
    state: ShopState,
    order: Order,
    added: Sequence[dict[str, int]],
    removed: Sequence[dict[str, int]],
    changed: Sequence[dict[str, int]] = (),
    *,
    edit_id: int | None = None,
    staff_note: str = "",
) -> Payload:
    """orders/edited: which lines gained units (``added``) and which lost them (``removed``), each
    ``{"id": line item id, "delta": units}`` with a positive delta. Shopify reports a changed quantity as
    an addition or a removal, so ``changed`` entries (signed deltas) are sorted into those two lists.
    ``edit_id`` defaults to a number derived from the order and the edit's time: the sandbox keeps no edit
    records, and a receiver may tell edits apart by it."""
    additions = [{"id": entry["id"], "delta": entry["delta"]} for entry in added]
    removals = [{"id": entry["id"], "delta": entry["delta"]} for entry in removed]
    for entry in changed:
        if entry["delta"] > 0:
            additions.append({"id": entry["id"], "delta": entry["delta"]})
        elif entry["delta"] < 0:
            removals.append({"id": entry["id"], "delta": -entry["delta"]})
    edited_at = _required_time(state, order.updated_at)
    return {
        "order_edit": {
            "id": edit_id if edit_id is not None else _stable_number(order.id, "edit", edited_at),
            "app_id": None,
            "created_at": edited_at,
            "committed_at": edited_at,
            "notify_customer": False,
            "order_id": order.id,
            "staff_note": staff_note,
            "user_id": None,
            "line_items": {"additions": additions, "removals": removals},
            "discounts": {"line_item": {"additions": [], "removals": []}},
            "shipping_lines": {"additions": [], "removals": []},
        }
    }


# -- inventory --------------------------------------------------------------------------------------------


def inventory_level_payload(state: ShopState, inventory_item_id: int, location_id: int) -> Payload:
    """inventory_levels/update. Raises KeyError when the item is not stocked at the location."""
    item = state.inventory_items[inventory_item_id]
    level = item.levels[location_id]
    updated_at = item.level_updated_at.get(location_id) or item.updated_at or state.clock()
    return {
        "inventory_item_id": inventory_item_id,
        "location_id": location_id,
        "available": level.get("available"),
        "updated_at": shop_time(state, updated_at),
        "admin_graphql_api_id": level_gid(inventory_item_id, location_id),
    }


# -- fulfillment orders -----------------------------------------------------------------------------------


def _fulfillment_order_ref(fulfillment_order: FulfillmentOrder, *, request_status: bool = True) -> Payload:
    reference: Payload = {
        "id": gid("FulfillmentOrder", fulfillment_order.id),
        "status": _lower(fulfillment_order.status),
    }
    if request_status:
        reference["request_status"] = _lower(fulfillment_order.request_status)
    return reference


def _latest_request(fulfillment_order: FulfillmentOrder, kind: str) -> MerchantRequest:
    for request in reversed(fulfillment_order.merchant_requests):
        if request.kind == kind:
            return request
    raise ValueError(f"Fulfillment order {fulfillment_order.id} has no {kind} to report.")


def _merchant_request(request: MerchantRequest) -> Payload:
    return {"id": gid("FulfillmentOrderMerchantRequest", request.id), "message": request.message or ""}


def _hold(hold: FulfillmentHold) -> Payload:
    return {
        "id": gid("FulfillmentHold", hold.id),
        "reason": _lower(hold.reason),
        "reason_notes": hold.reason_notes or "",
        "handle": hold.handle,
        "held_by_requesting_app": True,
        "held_by_app": {"id": gid("App", SANDBOX_APP_ID)},
    }


def fulfillment_order_payload(
    state: ShopState, fulfillment_order: FulfillmentOrder, topic: str, *, message: str | None = None
) -> Payload:
    """A fulfillment_orders/* topic for ``fulfillment_order`` as it is now (after the change). ``message``
    is the fulfillment service's reason on accepting or rejecting a request, which the sandbox does not
    keep. Raises ValueError for a topic not in FULFILLMENT_ORDER_TOPICS, and for a *_submitted topic when
    the fulfillment order has no such request."""
    reference = _fulfillment_order_ref(fulfillment_order)
    event = topic.removeprefix("fulfillment_orders/")
    if event == "fulfillment_request_submitted":
        # Shopify may split off the units it could not submit; the sandbox submits the whole fulfillment
        # order, so the original and the submitted one are the same.
        return {
            "original_fulfillment_order": reference,
            "submitted_fulfillment_order": dict(reference),
            "fulfillment_order_merchant_request": _merchant_request(
                _latest_request(fulfillment_order, "FULFILLMENT_REQUEST")
            ),
        }
    if event in (
        "fulfillment_request_accepted",
        "fulfillment_request_rejected",
        "cancellation_request_rejected",
    ):
        return {"fulfillment_order": reference, "message": message or ""}
    if event == "cancellation_request_submitted":
        return {
            "fulfillment_order": reference,
            "fulfillment_order_merchant_request": _merchant_request(
                _latest_request(fulfillment_order, "CANCELLATION_REQUEST")
            ),
        }
    if event == "cancellation_request_accepted":
        return {
            "fulfillment_order": _fulfillment_order_ref(fulfillment_order, request_status=False),
            "message": message or "",
        }
    if event == "placed_on_hold":
        if not fulfillment_order.holds:
            raise ValueError(f"Fulfillment order {fulfillment_order.id} has no hold to report.")
        return {
            "fulfillment_order": {
                "id": reference["id"],
                "status": reference["status"],
                "fulfillment_holds": [_hold(placed) for placed in fulfillment_order.holds],
            },
            "created_fulfillment_hold": _hold(fulfillment_order.holds[-1]),
            "held_fulfillment_order_line_items": [
                {"id": gid("FulfillmentOrderLineItem", line.id), "quantity": line.remaining_quantity}
                for line in fulfillment_order.line_items
                if line.remaining_quantity
            ],
            # The sandbox holds the whole fulfillment order and splits nothing off (Shopify leaves this
            # null then); the schema requires an object, so it names the held fulfillment order itself.
            "remaining_fulfillment_order": _fulfillment_order_ref(fulfillment_order, request_status=False),
        }
    if event == "hold_released":
        return {"fulfillment_order": _fulfillment_order_ref(fulfillment_order, request_status=False)}
    if event == "cancelled":
        cancelled = _fulfillment_order_ref(fulfillment_order, request_status=False)
        # No replacement is made for what a cancellation leaves (Shopify makes one when units remain to
        # ship); the schema requires the object, so it repeats the cancelled one, whose status says that
        # nothing is left to fulfil.
        return {"fulfillment_order": cancelled, "replacement_fulfillment_order": dict(cancelled)}
    raise ValueError(f"No fulfillment order payload for topic {topic!r}.")


# -- returns ----------------------------------------------------------------------------------------------


def return_payload(state: ShopState, return_record: Return, topic: str) -> Payload:
    """A returns/* topic for the return as it is now. Raises ValueError for a topic not in RETURN_TOPICS."""
    event = topic.removeprefix("returns/")
    order_id = return_record.order_id
    base: Payload = {
        "id": return_record.id,
        "admin_graphql_api_id": gid("Return", return_record.id),
        "status": _lower(return_record.status),
    }
    if event in ("request", "approve"):
        return {
            **base,
            "order": {"id": order_id, "admin_graphql_api_id": gid("Order", order_id)},
            "total_return_line_items": len(return_record.line_items),
            # The 2026-07 schema pins these: name null and no return line items (Shopify's example sends
            # none); the lines are read with GraphQL's Return.returnLineItems.
            "name": None,
            "return_line_items": [],
            "return_shipping_fees": [],
            "exchange_line_items": [],
            "total_exchange_line_items": 0,
        }
    if event == "decline":
        return {
            **base,
            "order": {"id": order_id, "admin_graphql_api_id": gid("Order", order_id)},
            "decline": {
                "reason": _lower(return_record.decline_reason) or "other",
                "note": return_record.decline_note or "",
            },
        }
    if event in ("close", "reopen", "cancel"):
        return {**base, "order_id": order_id}
    raise ValueError(f"No return payload for topic {topic!r}.")


# -- which function serves which topic --------------------------------------------------------------------

PayloadBuilder = Callable[..., Payload]

# Topic -> the function that builds its payload. The arguments differ by function: order_payload(state,
# order); order_edited_payload(state, order, added, removed, changed); inventory_level_payload(state,
# inventory_item_id, location_id); fulfillment_order_payload and return_payload take the topic last.
TOPIC_PAYLOAD_BUILDERS: dict[str, PayloadBuilder] = {
    **dict.fromkeys(ORDER_TOPICS, order_payload),
    "orders/edited": order_edited_payload,
    "inventory_levels/update": inventory_level_payload,
    **dict.fromkeys(FULFILLMENT_ORDER_TOPICS, fulfillment_order_payload),
    **dict.fromkeys(RETURN_TOPICS, return_payload),
}
