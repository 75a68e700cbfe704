"""Stockout after order confirmation."""

from __future__ import annotations

from crossdock.scenarios.catalog.steps import placed_and_accepted
from crossdock.scenarios.registry import scenario
from crossdock.scenarios.stage import Stage
from crossdock.scenarios.verdict import Verdict


@scenario(
    "stockout-after-confirmation",
    "The 3PL accepted an order for 3 stoves, then finds 4 of its 5 damaged: the order is held in Shopify for "
    "support to decide, the SKU shows 0 for sale, and an exception names the order.",
)
def stockout_after_confirmation(stage: Stage, verdict: Verdict) -> None:
    stage.snapshot({"STOVE-1": 5})
    stage.wait_for(lambda: stage.shopify_available("STOVE-1") == 5, "Shopify to show the 3PL's count of 5")
    order = placed_and_accepted(stage, {"STOVE-1": 3})
    stage.wait_for(lambda: stage.shopify_available("STOVE-1") == 2, "the 3 promised units off sale")
    stage.adjust("STOVE-1", -4, "damaged")
    problems = stage.wait_for(
        lambda: stage.exceptions("stockout_after_confirmation"), "the stockout exception"
    )
    verdict.expect("hub", "stockout_after_confirmation exceptions", 1, len(problems))
    verdict.expect("hub", "the exception names the order", True, order.name in problems[0].message)
    verdict.expect("hub", "SKUs short", ["STOVE-1"], problems[0].details.get("skus"))
    held = stage.wait_for(lambda: stage.held_for_stockout(order.gid), "the out-of-stock hold in Shopify", 60)
    verdict.expect("shopify", "fulfillment order held INVENTORY_OUT_OF_STOCK", True, held)
    stage.wait_for(lambda: stage.shopify_available("STOVE-1") == 0, "Shopify to show 0 stoves", 60)
    verdict.expect("shopify", "STOVE-1 available", 0, stage.shopify_available("STOVE-1"))
    shipped = stage.loop.call(lambda: stage.site.simulation.order(order.key)).status
    verdict.expect("warehouse", "the order at the 3PL is not shipped", True, shipped != "shipped")
