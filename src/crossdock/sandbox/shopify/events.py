"""What the shop tells the outside world when something changes: the webhooks Shopify fires for each change,
and the notification a fulfillment service receives at its callback URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from typing import TYPE_CHECKING, Any

import httpx
import structlog

from crossdock.sandbox.shopify.fulfillment_services import fulfillment_service_callback
from crossdock.sandbox.shopify.order_edits import OrderEdit
from crossdock.sandbox.shopify.orders import FulfillmentOrder, Order
from crossdock.sandbox.shopify.returns import Return
from crossdock.sandbox.shopify.webhooks import payloads

if TYPE_CHECKING:
    from crossdock.sandbox.shopify.api import ShopifySandbox

log = structlog.get_logger("crossdock.sandbox.shopify")


def _emit(sandbox: ShopifySandbox, topic: str, payload: dict[str, Any]) -> None:
    sandbox.webhooks.emit(topic, payload, sandbox.state.shop.domain)


def _emit_order(sandbox: ShopifySandbox, order: Order, *topics: str) -> None:
    """One order payload, built once, sent under each topic (they share the order's shape)."""
    payload = payloads.order_payload(sandbox.state, order)
    for topic in topics:
        _emit(sandbox, topic, payload)


def order_created(sandbox: ShopifySandbox, order: Order) -> None:
    if order.financial_status == "PAID":
        _emit_order(sandbox, order, "orders/create", "orders/paid")
    else:
        _emit_order(sandbox, order, "orders/create")


def order_updated(sandbox: ShopifySandbox, order: Order) -> None:
    _emit_order(sandbox, order, "orders/updated")


def order_edited(sandbox: ShopifySandbox, order: Order, edit: OrderEdit) -> None:
    if edit.changed_lines:
        _emit(
            sandbox,
            "orders/edited",
            payloads.order_edited_payload(
                sandbox.state,
                order,
                [{"id": delta.line_item_id, "delta": delta.delta} for delta in edit.additions],
                [{"id": delta.line_item_id, "delta": -delta.delta} for delta in edit.removals],
                [],
            ),
        )
    order_updated(sandbox, order)


def order_paid(sandbox: ShopifySandbox, order: Order) -> None:
    _emit_order(sandbox, order, "orders/paid", "orders/updated")


def order_cancelled(sandbox: ShopifySandbox, order: Order) -> None:
    _emit_order(sandbox, order, "orders/cancelled", "orders/updated")


def inventory_level_changed(sandbox: ShopifySandbox, inventory_item_id: int, location_id: int) -> None:
    _emit(
        sandbox,
        "inventory_levels/update",
        payloads.inventory_level_payload(sandbox.state, inventory_item_id, location_id),
    )


def fulfillment_requested(sandbox: ShopifySandbox, fulfillment_order: FulfillmentOrder, *, kind: str) -> None:
    topic = (
        "fulfillment_orders/fulfillment_request_submitted"
        if kind == "FULFILLMENT_REQUEST"
        else "fulfillment_orders/cancellation_request_submitted"
    )
    _emit(sandbox, topic, payloads.fulfillment_order_payload(sandbox.state, fulfillment_order, topic))
    callback = fulfillment_service_callback(sandbox.state, fulfillment_order, kind)
    if callback is not None:
        _notify_fulfillment_service(sandbox, *callback)


def _notify_fulfillment_service(sandbox: ShopifySandbox, url: str, body: dict[str, Any]) -> None:
    """Shopify tells the service there is work, signed like a webhook; the service then reads its assigned
    fulfillment orders. Sent from a thread: the merchant's action does not wait on the service."""
    raw = json.dumps(body).encode()
    signature = base64.b64encode(hmac.new(sandbox.webhooks.app_secret.encode(), raw, hashlib.sha256).digest())
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": signature.decode(),
        "X-Shopify-Shop-Domain": sandbox.state.shop.domain,
    }

    def send() -> None:
        try:
            response = httpx.post(url, content=raw, headers=headers, timeout=5.0)
            log.info("fulfillment service notified", url=url, kind=body["kind"], status=response.status_code)
        except httpx.HTTPError as error:
            # Not retried: the service finds its work anyway by reading assignedFulfillmentOrders.
            log.warning("fulfillment service notification failed", url=url, error=repr(error))

    threading.Thread(target=send, name="fulfillment-service-notification", daemon=True).start()


def fulfillment_order_changed(
    sandbox: ShopifySandbox, fulfillment_order: FulfillmentOrder, topic: str, message: str | None = None
) -> None:
    payload = payloads.fulfillment_order_payload(sandbox.state, fulfillment_order, topic, message=message)
    _emit(sandbox, topic, payload)


def fulfillment_created(sandbox: ShopifySandbox, order: Order) -> None:
    """orders/fulfilled once nothing of the order remains to ship, orders/partially_fulfilled before."""
    state = sandbox.state
    remaining = sum(
        line.remaining_quantity
        for fulfillment_order_id in order.fulfillment_order_ids
        for line in state.fulfillment_orders[fulfillment_order_id].line_items
    )
    topic = "orders/partially_fulfilled" if remaining else "orders/fulfilled"
    _emit_order(sandbox, order, topic, "orders/updated")


def return_changed(sandbox: ShopifySandbox, return_record: Return, topic: str) -> None:
    _emit(sandbox, topic, payloads.return_payload(sandbox.state, return_record, topic))
