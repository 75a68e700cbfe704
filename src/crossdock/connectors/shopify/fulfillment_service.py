"""Fulfillment-service mode: the warehouse's location in Shopify belongs to crossdock's app, so the merchant's
fulfillment requests and cancellation requests on fulfillment orders come to crossdock, which answers them
with what the warehouse said about the order.

=====================  =========================================================================
order status           answer
=====================  =========================================================================
accepted (and later)   accept every fulfillment request waiting (request status SUBMITTED)
rejected               reject them (reason OTHER, with the warehouse's reason when known)
cancelled              accept every cancellation request waiting (CANCELLATION_REQUESTED)
cancel_refused         reject them
=====================  =========================================================================

The statuses after ``accepted`` on the order's main path (in preparation, packed, shipped…) accept too: the
status is read when the job runs, not when it changed, so an order acknowledged and picked in one batch of
the warehouse's files may never be seen as ``accepted``; a warehouse preparing an order has accepted it.

**Idempotent.** Only requests still waiting are answered: a repeat (a job retried after a crash, or after a
mutation whose outcome was unknown) reads the order again, finds nothing waiting and sends nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.fulfillment import (
    FulfillmentOrderState,
    _read_order,
    accept_cancellation_request,
    accept_fulfillment_request,
    reject_cancellation_request,
    reject_fulfillment_request,
)

FULFILLMENT_REQUESTED = "SUBMITTED"
CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
# The rejection reason Shopify offers for anything but its specific cases (stock, SKU, address…): the
# warehouse's reason is free text that the hub does not classify.
REJECTION_REASON = "OTHER"

# Order statuses that mean the warehouse took the order (see the module's docstring for the later ones).
ACCEPTING_STATUSES = frozenset(
    {"accepted", "in_preparation", "packed", "partially_shipped", "shipped", "delivered"}
)
REJECTING_STATUS = "rejected"
CANCELLING_STATUS = "cancelled"
REFUSING_CANCEL_STATUS = "cancel_refused"

ACCEPTED_MESSAGE = "Accepted by the warehouse"
REJECTED_MESSAGE = "Rejected by the warehouse"
CANCELLED_MESSAGE = "Cancelled by the warehouse"
CANCEL_REFUSED_MESSAGE = "The warehouse could not stop the order"

_Answer = Callable[[str], Awaitable[FulfillmentOrderState]]


def _plan(client: ShopifyClient, status: str, reason: str | None) -> tuple[str, str, _Answer] | None:
    """The request status to answer, what the answer is called and how to send it; None: nothing to do."""
    detail = " ".join((reason or "").split()) or None
    if status in ACCEPTING_STATUSES:
        return (
            FULFILLMENT_REQUESTED,
            "fulfillment request accepted",
            lambda fo: accept_fulfillment_request(client, fo, ACCEPTED_MESSAGE),
        )
    if status == REJECTING_STATUS:
        return (
            FULFILLMENT_REQUESTED,
            "fulfillment request rejected",
            lambda fo: reject_fulfillment_request(client, fo, detail or REJECTED_MESSAGE, REJECTION_REASON),
        )
    if status == CANCELLING_STATUS:
        return (
            CANCELLATION_REQUESTED,
            "cancellation request accepted",
            lambda fo: accept_cancellation_request(client, fo, CANCELLED_MESSAGE),
        )
    if status == REFUSING_CANCEL_STATUS:
        return (
            CANCELLATION_REQUESTED,
            "cancellation request rejected",
            lambda fo: reject_cancellation_request(client, fo, detail or CANCEL_REFUSED_MESSAGE),
        )
    return None


async def answer_requests(
    client: ShopifyClient, order_gid: str, status: str, reason: str | None
) -> list[str]:
    """Answer the merchant's waiting requests on the order's fulfillment orders as the order's ``status``
    says; ``reason`` is the warehouse's words for a rejection or a refused cancellation. Returns what was
    done, one sentence per fulfillment order (empty when nothing was waiting, or the status answers nothing).
    """
    plan = _plan(client, status, reason)
    if plan is None:
        return []  # without reading the order: most status changes answer nothing
    waiting_status, answered, answer = plan
    order = await _read_order(client, order_gid)
    done = []
    for fulfillment_order in order.fulfillment_orders:
        if fulfillment_order.request_status != waiting_status:
            continue
        after = await answer(fulfillment_order.id)
        done.append(
            f"Fulfillment order {fulfillment_order.id}: {answered} "
            f"(now {after.status}, request {after.request_status})."
        )
    return done
