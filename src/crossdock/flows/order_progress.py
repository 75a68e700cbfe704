"""Moving an order's canonical status: the one place a status changes, so that every change is on the
order's timeline and reaches Shopify (the status metafield support sees).

A refused transition changes nothing but is never silent: it becomes an ``illegal_transition`` exception
naming the state and the event, for an operator (it means a warehouse or Shopify said something the model
does not expect, such as a shipment for an order the hub had cancelled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crossdock.domain.order_status import OrderEvent, OrderState, TransitionRefused, transition
from crossdock.store.orders import StoredOrder
from crossdock.store.shops import ShopRecord, fulfilling, status_publishing
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest, UnitOfWork

# Jobs the shop side implements (connectors.shopify registers them); the order flow only names them.
PUBLISH_ORDER_STATUSES = "shop.publish_order_statuses"
FULFIL_SHIPMENT = "shop.fulfil_shipment"
FULFIL_SHIPMENTS = "shop.fulfil_shipments"
UPDATE_TRACKING = "shop.update_tracking"

STATUS_CHANGED = "status_changed"


def apply_status_event(
    uow: UnitOfWork,
    stored: StoredOrder,
    event: OrderEvent,
    *,
    cause: str,
    data: dict[str, Any] | None = None,
    inbox_id: int | None = None,
) -> OrderState | None:
    """Apply ``event`` to the order in the caller's transaction; the new state, or None when the model
    refused it (then an exception is open). ``cause`` says, in words, what brought the event."""
    try:
        new = transition(stored.state, event)
    except TransitionRefused as refusal:
        uow.exceptions.raise_(
            type="illegal_transition",
            severity="warning",
            subject_type="order",
            subject_id=str(stored.id),
            message=f"order {stored.order.name}: {cause}: {refusal}",
            details={"state": stored.state.status, "event": type(event).__name__, **(data or {})},
            actions=["resolve", "ignore"],
            account_id=stored.account_id,
        )
        record(uow, stored, "transition_refused", f"{cause}: {refusal}", data, inbox_id=inbox_id)
        return None
    if new == stored.state:
        return new
    uow.orders.set_state(stored.id, new)
    record(
        uow,
        stored,
        STATUS_CHANGED,
        f"{cause}: {stored.state.status} → {new.status}",
        {"from": stored.state.status, "to": new.status, "event": type(event).__name__, **(data or {})},
        inbox_id=inbox_id,
    )
    if new.status != stored.state.status:
        shop = uow.shops.by_id(stored.shop_id)
        assert shop is not None, "an order's shop row is never removed"
        request_status_publish(uow, shop)
    return new


def request_status_publish(uow: UnitOfWork, shop: ShopRecord) -> None:
    """An order of the shop changed status: one publishing job per shop at a time takes every order whose
    status changed meanwhile, so support sees statuses within seconds and Shopify gets a few batched calls
    instead of one per change."""
    # A partition of its own: statuses and fulfillments are published side by side, never one waiting for
    # the other's batch (the shop's rate budget paces both all the same).
    uow.wake(
        status_publishing(
            shop.id,
            _shop_job(PUBLISH_ORDER_STATUSES, "publish-statuses", shop, partition_suffix="/statuses"),
        )
    )


def request_fulfilment(uow: UnitOfWork, shop: ShopRecord) -> None:
    """A shipment of the shop waits for its Shopify fulfillment: one fulfilling job per shop at a time takes
    every shipment recorded meanwhile."""
    uow.wake(fulfilling(shop.id, _shop_job(FULFIL_SHIPMENTS, "fulfil-shipments", shop)))


def _shop_job(
    job: str, key_prefix: str, shop: ShopRecord, *, partition_suffix: str = ""
) -> Callable[[], JobRequest]:
    def request() -> JobRequest:
        return JobRequest(
            job=job,
            key=f"{key_prefix}-{shop.id}-{utc_now().timestamp():.6f}",
            args={"shop_domain": shop.domain},
            partition=shop.domain + partition_suffix,
        )

    return request


def record(
    uow: UnitOfWork,
    stored: StoredOrder,
    kind: str,
    message: str,
    data: dict[str, Any] | None = None,
    *,
    inbox_id: int | None = None,
) -> None:
    """Write one entry on the order's timeline."""
    uow.order_events.append(
        account_id=stored.account_id,
        order_ref=stored.order.shopify_global_id,
        kind=kind,
        message=message,
        data={"order_name": stored.order.name, "order_id": stored.id, **(data or {})},
        inbox_id=inbox_id,
    )
