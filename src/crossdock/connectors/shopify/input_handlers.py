"""What the hub does with each stored Shopify input that carries an order: the webhooks of every topic in
``ORDER_TOPICS`` (REST shape) and the order nodes the reconciliation poll stores (GraphQL shape, kind
``order.graphql``). Both go the same way: find the shop, read the JSON, map it onto the canonical order,
and hand it to the order intake in one transaction.

An input the hub cannot use (no such shop, not JSON, a field the hub needs missing) is rejected with
``InputRejected``: intake keeps it, marked failed with the message, and opens an ``input_rejected``
exception naming the missing and invalid fields. Retrying could not mend it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from crossdock.connectors.shopify.order_mapping import (
    BODY,
    OrderPayloadError,
    order_from_graphql,
    order_from_webhook,
)
from crossdock.connectors.shopify.order_poll import POLLED_ORDER_KIND
from crossdock.connectors.shopify.topics import ORDER_TOPICS
from crossdock.domain.orders import Order
from crossdock.flows.input_handlers import handles_in_transaction
from crossdock.flows.intake import InputRejected
from crossdock.flows.order_intake import IntakeOutcome, receive_order
from crossdock.jobs.context import JobContext
from crossdock.store.inbox import InboxEntry
from crossdock.store.shops import ShopRecord
from crossdock.store.unit_of_work import UnitOfWork

SOURCE = "shopify"
SHOP_DOMAIN_HEADER = "X-Shopify-Shop-Domain"
# Set by the poll on what it stores, so the timeline can say which poll brought a version.
ORIGIN_HEADER = "X-Crossdock-Origin"

OrderMapper = Callable[[Mapping[str, Any]], Order]


def receive_order_webhook(ctx: JobContext, uow: UnitOfWork, entry: InboxEntry) -> IntakeOutcome:
    return _receive(ctx, uow, entry, order_from_webhook, origin=f"{entry.kind} webhook")


for _topic in ORDER_TOPICS:
    handles_in_transaction(SOURCE, _topic)(receive_order_webhook)


@handles_in_transaction(SOURCE, POLLED_ORDER_KIND)
def receive_polled_order(ctx: JobContext, uow: UnitOfWork, entry: InboxEntry) -> IntakeOutcome:
    return _receive(
        ctx,
        uow,
        entry,
        order_from_graphql,
        origin=str(entry.headers.get(ORIGIN_HEADER) or "reconciliation poll"),
    )


def _receive(
    ctx: JobContext, uow: UnitOfWork, entry: InboxEntry, mapper: OrderMapper, *, origin: str
) -> IntakeOutcome:
    """Hand the order to the order intake in the caller's transaction (the caller commits)."""
    order = read_order(entry.payload, mapper)
    shop = shop_of_input(uow, entry)
    return receive_order(uow, shop, order, inbox_id=entry.id, origin=origin, advance_with=ctx.settings())


def shop_of_input(uow: UnitOfWork, entry: InboxEntry) -> ShopRecord:
    """The shop named by the input's ``X-Shopify-Shop-Domain`` header; InputRejected when it has none or the
    hub knows no such shop."""
    domain = str(entry.headers.get(SHOP_DOMAIN_HEADER) or "").lower()
    shop = uow.shops.by_domain(domain) if domain else None
    if shop is None:
        raise InputRejected(
            f"no shop with domain {domain!r} is known to the hub"
            if domain
            else f"the input has no {SHOP_DOMAIN_HEADER} header",
            details={"shop_domain": domain or None},
        )
    return shop


def read_order(body: bytes, mapper: OrderMapper) -> Order:
    """The canonical order in a stored body; InputRejected names what is missing or unreadable."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputRejected(
            f"the body is not JSON: {error}", details={"missing": [], "invalid": [BODY]}
        ) from None
    try:
        return mapper(payload)
    except OrderPayloadError as error:
        raise InputRejected(
            str(error), details={"missing": error.missing, "invalid": error.invalid}
        ) from None
