"""Partial shipment, and a bundle order."""

from __future__ import annotations

from crossdock.scenarios.catalog.steps import placed_and_accepted
from crossdock.scenarios.registry import scenario
from crossdock.scenarios.stage import ACCOUNT, Stage
from crossdock.scenarios.verdict import Verdict
from crossdock.store.unit_of_work import UnitOfWork


@scenario(
    "partial-shipment",
    "The 3PL ships 1 of 3 tents, then the other 2: two fulfillments with tracking in Shopify, and the order "
    "fully fulfilled.",
)
def partial_shipment(stage: Stage, verdict: Verdict) -> None:
    order = placed_and_accepted(stage, {"TENT-2P": 3})
    stage.ship(order.key, {"TENT-2P": 1})
    stage.reaches(order.name, "partially_shipped")
    stage.wait_for(lambda: len(stage.fulfillments(order.gid)) == 1, "the first fulfillment")
    verdict.expect("hub", "status after the first shipment", "partially_shipped", stage.status(order.name))
    stage.ship(order.key)
    stage.reaches(order.name, "shipped")
    fulfillments = stage.wait_for(
        lambda: stage.fulfillments(order.gid) if len(stage.fulfillments(order.gid)) == 2 else None, "two"
    )
    verdict.expect(
        "shopify",
        "units per fulfillment",
        [1, 2],
        sorted(sum(i.quantity for i in f.line_items) for f in fulfillments),
    )
    verdict.expect("shopify", "every fulfillment has tracking", True, all(f.tracking for f in fulfillments))
    shopify_order = stage.shopify_order(order.gid)
    remaining = sum(
        item.remaining_quantity
        for number in shopify_order.fulfillment_order_ids
        for item in stage.shop.state.fulfillment_orders[number].line_items
    )
    verdict.expect("shopify", "units left to fulfil", 0, remaining)
    verdict.expect("hub", "order status", "shipped", stage.status(order.name))
    stage.wait_for(lambda: stage.status_metafield(order.gid) == "shipped", "the status shown in Shopify")
    verdict.expect("shopify", "crossdock.status metafield", "shipped", stage.status_metafield(order.gid))
    verdict.expect("warehouse", "940s received", 1, len(stage.files_received("940")))


@scenario(
    "bundle-order",
    "A camp kit (1 tent + 2 stoves) is sold as one SKU: the 3PL gets the components, Shopify gets one "
    "fulfillment of the kit line.",
)
def bundle_order(stage: Stage, verdict: Verdict) -> None:
    with UnitOfWork(stage.engine) as uow:
        uow.sku_mappings.replace_bundle(ACCOUNT, "CAMP-KIT", {"TENT-2P": 1, "STOVE-1": 2})
        uow.commit()
    order = placed_and_accepted(stage, {"CAMP-KIT": 2})
    lines = stage.loop.call(lambda: stage.site.simulation.order(order.key)).order.lines
    verdict.expect(
        "warehouse", "lines at the 3PL", {"TENT-2P": 2, "STOVE-1": 4}, {i.sku: i.quantity for i in lines}
    )
    stage.ship(order.key)
    stage.reaches(order.name, "shipped")
    fulfillments = stage.wait_for(lambda: stage.fulfillments(order.gid), "the kit's fulfillment")
    verdict.expect("shopify", "fulfillments", 1, len(fulfillments))
    verdict.expect(
        "shopify", "kit units fulfilled", [2], [item.quantity for item in fulfillments[0].line_items]
    )
    verdict.expect("hub", "order status", "shipped", stage.status(order.name))
