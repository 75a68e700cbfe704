"""``inventory_levels/update``: Shopify tells that a level changed, whoever changed it. The hub compares it
with what it set there (``flows.stock_discrepancies``): its own echo is ignored, anyone else's change is a
discrepancy."""

from __future__ import annotations

import json

from crossdock.connectors.shopify.ids import to_gid
from crossdock.connectors.shopify.webhook_route import SOURCE
from crossdock.flows.input_handlers import handles
from crossdock.flows.intake import InputRejected
from crossdock.flows.stock_discrepancies import observe_level
from crossdock.jobs.context import JobContext
from crossdock.store.inbox import InboxEntry

INVENTORY_LEVEL_TOPIC = "inventory_levels/update"
SHOP_DOMAIN_HEADER = "X-Shopify-Shop-Domain"


@handles(SOURCE, INVENTORY_LEVEL_TOPIC)
def receive_inventory_level(ctx: JobContext, entry: InboxEntry) -> str:
    settings = ctx.settings()
    try:
        payload = json.loads(entry.payload)
        item = to_gid("InventoryItem", payload["inventory_item_id"])
        location = to_gid("Location", payload["location_id"])
        available = payload["available"]
    except (ValueError, KeyError, TypeError) as error:
        raise InputRejected(f"unreadable inventory level: {error!r}", details={}) from None
    if available is None:
        return "no available quantity at this level (not tracked)"
    domain = str(entry.headers.get(SHOP_DOMAIN_HEADER) or "").lower()
    with ctx.unit_of_work() as uow:
        shop = uow.shops.by_domain(domain)
        if shop is None:
            raise InputRejected(f"no shop with domain {domain!r} is known to the hub", details={})
        outcome = observe_level(
            uow, settings, shop, location, item, int(available), seen_in="a Shopify webhook"
        )
        uow.commit()
    return outcome
