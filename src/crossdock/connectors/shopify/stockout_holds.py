"""The shop side of a stockout after confirmation: every open fulfillment order of the order gets a hold
with reason INVENTORY_OUT_OF_STOCK, under the hub's own handle (so the hub's hold is one of up to ten an
app may place, and placing it again is recognised)."""

from __future__ import annotations

from crossdock.connectors.shopify.clients import run_sync, shop_client
from crossdock.connectors.shopify.errors import ShopifyUserErrors
from crossdock.connectors.shopify.fulfillment import _read_order
from crossdock.flows.order_progress import record
from crossdock.flows.stockouts import HOLD_FOR_STOCKOUT
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import SHOP_CALLS
from crossdock.jobs.registry import job

HOLD_HANDLE = "crossdock-stockout"
_HOLDABLE = frozenset({"OPEN", "IN_PROGRESS", "SCHEDULED"})


@job(HOLD_FOR_STOCKOUT, queue=SHOP_CALLS)
def hold_for_stockout(ctx: JobContext, order_id: int, note: str) -> str:
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        stored = uow.orders.by_id(order_id)
        if stored is None:
            raise FatalJobError(f"no order {order_id}")
        shop = uow.shops.by_id(stored.shop_id)
        assert shop is not None
    client = shop_client(settings, ctx.runtime.engine, shop.domain)

    async def hold() -> list[str]:
        held = []
        state = await _read_order(client, stored.order.shopify_global_id)
        for fulfillment_order in state.fulfillment_orders:
            if fulfillment_order.status not in _HOLDABLE:
                continue
            try:
                await client.execute(
                    "FulfillmentOrderHold",
                    {
                        "id": fulfillment_order.id,
                        "fulfillmentHold": {
                            "reason": "INVENTORY_OUT_OF_STOCK",
                            "reasonNotes": note[:255],
                            "handle": HOLD_HANDLE,
                        },
                    },
                )
            except ShopifyUserErrors as refused:
                # Held already under our handle (a repeated job): Shopify says so, nothing more to do.
                if "handle" not in str(refused).lower() and "already" not in str(refused).lower():
                    raise
            held.append(fulfillment_order.id)
        return held

    held = run_sync(hold())
    text = f"held {len(held)} fulfillment order(s) in Shopify: out of stock ({note})"
    with ctx.unit_of_work() as uow:
        record(uow, stored, "held_in_shopify", text, {"fulfillment_orders": held})
        uow.commit()
    return text
