"""Late cancellation, before and after picking."""

from __future__ import annotations

from crossdock.scenarios.catalog.steps import placed_and_accepted
from crossdock.scenarios.registry import scenario
from crossdock.scenarios.stage import Stage
from crossdock.scenarios.verdict import Verdict


@scenario(
    "late-cancellation-before-pick",
    "The customer cancels an order the 3PL has but has not picked: the hub asks the 3PL, which confirms; "
    "the order is cancelled everywhere and nothing ships.",
)
def cancellation_before_pick(stage: Stage, verdict: Verdict) -> None:
    order = placed_and_accepted(stage, {"STOVE-1": 1})
    stage.control("POST", f"/orders/{order.gid}/cancel", {"reason": "CUSTOMER"})
    stage.reaches(order.name, "cancelled")
    verdict.expect("hub", "order status", "cancelled", stage.status(order.name))
    verdict.expect(
        "warehouse", "940s received (the order, then its cancellation)", 2, len(stage.files_received("940"))
    )
    at_3pl = stage.loop.call(lambda: stage.site.simulation.order(order.key)).status
    verdict.expect("warehouse", "the order's status at the 3PL", "cancelled", at_3pl)
    verdict.expect("hub", "cancel_refused exceptions", 0, len(stage.exceptions("cancel_refused")))
    verdict.expect("shopify", "fulfillments", 0, len(stage.fulfillments(order.gid)))


@scenario(
    "late-cancellation-after-pick",
    "The customer cancels an order the 3PL has already picked: the 3PL refuses, the hub raises "
    "cancel_refused naming the order, and the goods it ships are a return candidate, not a fulfillment.",
)
def cancellation_after_pick(stage: Stage, verdict: Verdict) -> None:
    order = placed_and_accepted(stage, {"STOVE-1": 1})
    stage.pick(order.key)
    stage.reaches(order.name, "in_preparation")
    stage.control("POST", f"/orders/{order.gid}/cancel", {"reason": "CUSTOMER"})
    stage.reaches(order.name, "cancel_refused")
    refusals = stage.wait_for(lambda: stage.exceptions("cancel_refused"), "the cancel_refused exception")
    verdict.expect("hub", "cancel_refused exceptions", 1, len(refusals))
    verdict.expect("hub", "the exception names the order", True, order.name in refusals[0].message)
    stage.ship(order.key)
    stage.reaches(order.name, "shipped")
    verdict.expect("hub", "order status once shipped", "shipped", stage.status(order.name))
    stage.wait_for(lambda: "fulfilled_in_shopify" in stage.timeline(order.name), "the fulfilment attempt")
    verdict.expect("shopify", "fulfillments of the cancelled order", 0, len(stage.fulfillments(order.gid)))
    verdict.expect(
        "hub", "the exception stays open (a return candidate)", 1, len(stage.exceptions("cancel_refused"))
    )
    at_3pl_after = stage.loop.call(lambda: stage.site.simulation.order(order.key)).status
    verdict.expect("warehouse", "the order's status at the 3PL", "shipped", at_3pl_after)
