"""The shop side of the full comparison: read every level the hub manages at a shop (250 per call) and hand
each value to ``flows.stock_discrepancies.observe_level``, as a webhook would."""

from __future__ import annotations

from crossdock.connectors.shopify.clients import run_sync, shop_client
from crossdock.connectors.shopify.stock_push import read_levels
from crossdock.flows.stock_comparison import COMPARE_STOCK
from crossdock.flows.stock_discrepancies import observe_level
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import SHOP_CALLS
from crossdock.jobs.registry import job


@job(COMPARE_STOCK, queue=SHOP_CALLS)
def compare_shop_stock(ctx: JobContext, shop_domain: str) -> dict[str, int]:
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        shop = uow.shops.by_domain(shop_domain)
        if shop is None:
            raise FatalJobError(f"no shop {shop_domain} in the database")
        levels = uow.stock.levels_of_shop(shop.id)
    held = run_sync(
        read_levels(shop_client(settings, ctx.runtime.engine, shop_domain), levels, job_id=ctx.job_id)
    )
    outcomes: dict[str, int] = {}
    with ctx.unit_of_work() as uow:
        for level in levels:
            value = held.get((level.location_id, level.inventory_item_id))
            if value is None:
                continue
            outcome = observe_level(
                uow,
                settings,
                shop,
                level.location_id,
                level.inventory_item_id,
                value,
                seen_in="the full comparison",
            )
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        uow.commit()
    return outcomes
