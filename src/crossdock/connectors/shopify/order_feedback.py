"""The shop side of the order flow: each recorded shipment becomes one Shopify fulfillment with its tracking,
and each status change is published on the order (the ``crossdock.status`` metafield support reads).

Both jobs run on the shop-calls queue, partitioned by shop, and read everything from the database: a job
repeated after a crash finds the fulfillment it created (``fulfillment.fulfil_shipment`` matches it by
tracking number) or publishes the status the order has now.

When the shop has crossdock as its fulfillment service, publishing the status also answers the merchant's
waiting requests on the order's fulfillment orders (``fulfillment_service.answer_requests``), with the
warehouse's reason from the order's open exception when it rejected the order or refused to cancel it.
"""

from __future__ import annotations

from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.clients import run_sync, shop_client
from crossdock.connectors.shopify.fulfillment import (
    STATUSES_PER_CALL,
    ShipmentToFulfil,
    fulfil_shipment,
    publish_status,
    publish_statuses,
)
from crossdock.connectors.shopify.fulfillment_service import (
    REFUSING_CANCEL_STATUS,
    REJECTING_STATUS,
    answer_requests,
)
from crossdock.connectors.shopify.tracking_companies import tracking_company
from crossdock.domain.order_validation import resolve_lines
from crossdock.domain.shipment_mapping import shopify_units
from crossdock.flows.order_progress import FULFIL_SHIPMENT, PUBLISH_ORDER_STATUSES, record
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import SHOP_CALLS
from crossdock.jobs.registry import job
from crossdock.store.orders import StoredOrder
from crossdock.store.unit_of_work import UnitOfWork

FULFILLMENT_REQUEST_ANSWERED = "fulfillment_request_answered"
# The exception the warehouse feedback opens on the order for each answer that needs a reason.
_REASON_EXCEPTION = {REJECTING_STATUS: "warehouse_rejected", REFUSING_CANCEL_STATUS: "cancel_refused"}


@job(FULFIL_SHIPMENT, queue=SHOP_CALLS)
def fulfil_recorded_shipment(ctx: JobContext, shipment_row_id: int) -> str:
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        shipment = uow.shipments.get(shipment_row_id)
        if shipment is None:
            raise FatalJobError(f"no shipment {shipment_row_id}")
        if shipment.fulfillment_id is not None:
            return f"fulfilled already as {shipment.fulfillment_id}"
        placed = uow.warehouse_orders.get(shipment.warehouse_order_id)
        assert placed is not None
        stored = uow.orders.by_id(placed.order_id)
        assert stored is not None
        shop = uow.shops.by_id(stored.shop_id)
        assert shop is not None
        mappings = uow.sku_mappings
        aliases = mappings.aliases(stored.account_id)
        bundles = mappings.bundles(stored.account_id)
        everything = {
            line.sku for part in uow.warehouse_orders.of_order(stored.id) for line in part.order.lines
        }
        resolution = resolve_lines(stored.order.lines, known=everything, aliases=aliases, bundles=bundles)
        shipped_before: dict[str, int] = {}
        for part in uow.warehouse_orders.of_order(stored.id):
            for earlier in uow.shipments.of_warehouse_order(part.id):
                if earlier.id >= shipment.id:
                    continue
                for line in earlier.shipped.lines:
                    shipped_before[line.sku] = shipped_before.get(line.sku, 0) + line.quantity_shipped
    shipped = shipment.shipped
    now: dict[str, int] = {}
    for line in shipped.lines:
        now[line.sku] = now.get(line.sku, 0) + line.quantity_shipped
    units = shopify_units(stored.order.lines, resolution.lines, now, shipped_before)
    account = next(account for account in settings.accounts if account.id == stored.account_id)
    carrier = shipped.parcels[0] if shipped.parcels else None
    numbers = tuple(parcel.tracking_number for parcel in shipped.parcels if parcel.tracking_number)
    urls = tuple(parcel.tracking_url or "" for parcel in shipped.parcels if parcel.tracking_number)
    request = ShipmentToFulfil(
        order_gid=stored.order.shopify_global_id,
        shipment_id=shipment.shipment_id,
        lines=units,
        tracking_numbers=numbers,
        tracking_urls=urls if all(urls) else (),
        company=tracking_company(
            carrier.carrier_code if carrier else None, carrier.carrier_name if carrier else None
        ),
        notify_customer=account.notify_customer,
    )
    problem = None
    if not units:
        fulfillment_id = None
        shipped_text = ", ".join(f"{count} x {sku}" for sku, count in sorted(now.items()))
        if stored.order.cancelled_at is not None:
            # The cancel_refused exception already asks for a return; the timeline says why nothing moved.
            outcome_text = f"not fulfilled: the order was cancelled in Shopify; shipped {shipped_text}"
        else:
            outcome_text = f"not fulfilled: no Shopify line is left for {shipped_text}"
            problem = outcome_text
    else:
        outcome = run_sync(fulfil_shipment(shop_client(settings, ctx.runtime.engine, shop.domain), request))
        fulfillment_id = outcome.fulfillment_id
        verb = "created" if outcome.created else "found (created by an earlier attempt)"
        outcome_text = f"Shopify fulfillment {fulfillment_id} {verb}: " + ", ".join(
            f"{units} x {sku}" for sku, units in sorted(outcome.fulfilled.items())
        )
        if outcome.unplaced and any(outcome.unplaced.values()):
            problem = "not placed: " + ", ".join(
                f"{units} x {sku}" for sku, units in sorted(outcome.unplaced.items()) if units
            )
            outcome_text += f"; {problem}"
    with ctx.unit_of_work() as uow:
        if fulfillment_id is not None:
            uow.shipments.mark_fulfilled(shipment.id, fulfillment_id)
        record(uow, stored, "fulfilled_in_shopify", outcome_text, {"shipment_id": shipment.shipment_id})
        if problem is not None:
            uow.exceptions.raise_(
                type="unfulfilled_shipment",
                severity="error",
                subject_type="shipment",
                subject_id=str(shipment.id),
                message=f"order {stored.order.name}, shipment {shipment.shipment_id}: {problem} in Shopify",
                details={
                    "shipment_id": shipment.shipment_id,
                    "shipped": now,
                    "fulfillment_id": fulfillment_id,
                },
                actions=["resolve", "ignore"],
                account_id=stored.account_id,
            )
        uow.commit()
    return outcome_text


# A publishing job stops after this many calls even if statuses keep changing: the changes made while it ran
# have a job of their own queued (the shop's flag was set again).
_MAX_STATUS_CALLS = 50


@job(PUBLISH_ORDER_STATUSES, queue=SHOP_CALLS)
def publish_order_statuses(ctx: JobContext, shop_domain: str) -> dict[str, int]:
    """Publish every order of the shop whose status Shopify does not show yet, STATUSES_PER_CALL per call."""
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        shop = uow.shops.by_domain(shop_domain)
        if shop is None:
            raise FatalJobError(f"no shop {shop_domain} in the database")
        uow.shops.clear_status_publish(shop.id)
        uow.commit()
    client = shop_client(settings, ctx.runtime.engine, shop.domain)
    _, shop_settings = settings.shop(shop.domain)
    published = calls = 0
    while calls < _MAX_STATUS_CALLS:
        with ctx.unit_of_work() as uow:
            pending = uow.orders.unpublished(shop.id, STATUSES_PER_CALL)
        if not pending:
            break
        run_sync(
            publish_statuses(
                client,
                [(order.order.shopify_global_id, order.state.status, _detail(order)) for order in pending],
            )
        )
        calls += 1
        with ctx.unit_of_work() as uow:
            for order in pending:
                uow.orders.mark_published(order.id, order.state.status)
            uow.commit()
        published += len(pending)
        if shop_settings.fulfillment_service:
            for order in pending:
                _answer_requests(ctx, client, order)
    return {"published": published, "calls": calls}


def publish_order_status(ctx: JobContext, order_id: int) -> str:
    """Publish one order's status now (and, in fulfillment-service mode, answer its requests)."""
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        stored = uow.orders.by_id(order_id)
        if stored is None:
            raise FatalJobError(f"no order {order_id}")
        shop = uow.shops.by_id(stored.shop_id)
        assert shop is not None
    client = shop_client(settings, ctx.runtime.engine, shop.domain)
    run_sync(publish_status(client, stored.order.shopify_global_id, stored.state.status, _detail(stored)))
    with ctx.unit_of_work() as uow:
        uow.orders.mark_published(stored.id, stored.state.status)
        uow.commit()
    _, shop_settings = settings.shop(shop.domain)
    if not shop_settings.fulfillment_service:
        return f"published {stored.state.status}"
    answered = _answer_requests(ctx, client, stored)
    if not answered:
        return f"published {stored.state.status}; no request to answer"
    return f"published {stored.state.status}; {' '.join(answered)}"


def _detail(stored: StoredOrder) -> str:
    detail = stored.state.status.replace("_", " ")
    if stored.state.holds:
        detail += f" ({', '.join(sorted(stored.state.holds))})"
    return detail


def _answer_requests(ctx: JobContext, client: ShopifyClient, stored: StoredOrder) -> list[str]:
    """Fulfillment-service mode: answer the order's pending requests as its status says, on the timeline."""
    status = stored.state.status
    with ctx.unit_of_work() as uow:
        reason = _warehouse_reason(uow, stored, status)
    answered = run_sync(answer_requests(client, stored.order.shopify_global_id, status, reason))
    if answered:
        with ctx.unit_of_work() as uow:
            record(
                uow,
                stored,
                FULFILLMENT_REQUEST_ANSWERED,
                " ".join(answered),
                {"status": status, "answers": answered},
            )
            uow.commit()
    return answered


def _warehouse_reason(uow: UnitOfWork, stored: StoredOrder, status: str) -> str | None:
    """The message of the order's open exception saying why the warehouse rejected the order or refused to
    cancel it, when the status is one of those and the exception is still open."""
    exception_type = _REASON_EXCEPTION.get(status)
    if exception_type is None:
        return None
    about_order = [
        found
        for found in uow.exceptions.open_about(type=exception_type, subject_type="order")
        if found.subject_id == str(stored.id)
    ]
    return about_order[0].message if about_order else None
