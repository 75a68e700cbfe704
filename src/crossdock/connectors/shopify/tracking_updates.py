"""Tracking corrections: when a warehouse reports new tracking for a shipment already fulfilled, the Shopify
fulfillment's tracking is replaced (``fulfillmentTrackingInfoUpdate``). A shipment not yet fulfilled needs
nothing: its fulfillment job reads the corrected report."""

from __future__ import annotations

from crossdock.connectors.shopify.clients import run_sync, shop_client
from crossdock.connectors.shopify.fulfillment import update_tracking
from crossdock.connectors.shopify.tracking_companies import tracking_company
from crossdock.flows.order_progress import UPDATE_TRACKING, record
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import SHOP_CALLS
from crossdock.jobs.registry import job


class NotFulfilledYet(Exception):
    """Retried: the shipment's fulfillment job has not finished; the correction waits for it."""


@job(UPDATE_TRACKING, queue=SHOP_CALLS)
def update_shipment_tracking(ctx: JobContext, shipment_row_id: int) -> str:
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        shipment = uow.shipments.get(shipment_row_id)
        if shipment is None:
            raise FatalJobError(f"no shipment {shipment_row_id}")
        placed = uow.warehouse_orders.get(shipment.warehouse_order_id)
        assert placed is not None
        stored = uow.orders.by_id(placed.order_id)
        assert stored is not None
        shop = uow.shops.by_id(stored.shop_id)
        assert shop is not None
        attempted = any(
            event.kind == "fulfilled_in_shopify" and event.data.get("shipment_id") == shipment.shipment_id
            for event in uow.order_events.timeline(stored.account_id, stored.order.shopify_global_id)
        )
    if shipment.fulfillment_id is None:
        if not attempted:
            raise NotFulfilledYet(f"shipment {shipment.shipment_id} is not fulfilled in Shopify yet")
        return "nothing to correct: the shipment has no Shopify fulfillment"
    parcels = [parcel for parcel in shipment.shipped.parcels if parcel.tracking_number]
    urls = [parcel.tracking_url or "" for parcel in parcels]
    account = next(account for account in settings.accounts if account.id == stored.account_id)
    first = parcels[0] if parcels else None
    tracking = run_sync(
        update_tracking(
            shop_client(settings, ctx.runtime.engine, shop.domain),
            shipment.fulfillment_id,
            [parcel.tracking_number for parcel in parcels],
            urls if all(urls) else [],
            tracking_company(first.carrier_code, first.carrier_name) if first else None,
            account.notify_customer,
            order_gid=stored.order.shopify_global_id,
        )
    )
    text = f"Shopify fulfillment {shipment.fulfillment_id} now tracks " + (
        ", ".join(info.number or "?" for info in tracking) or "nothing"
    )
    with ctx.unit_of_work() as uow:
        record(uow, stored, "tracking_updated_in_shopify", text, {"shipment_id": shipment.shipment_id})
        uow.commit()
    return text
