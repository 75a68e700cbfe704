"""Product return, one unit restocked and one damaged."""

from __future__ import annotations

from crossdock.scenarios.catalog.steps import shipped_and_fulfilled
from crossdock.scenarios.registry import scenario
from crossdock.scenarios.stage import Stage
from crossdock.scenarios.verdict import Verdict

STEPS = [
    "return_requested",
    "return_approved",
    "return_lines_read",
    "return_authorised",
    "return_received",
    "return_closed_in_shopify",
]


@scenario(
    "product-return",
    "A customer returns 2 tents, the merchant approves: the 3PL gets one return authorisation (180), "
    "receives one tent fit to sell and one damaged (944); only the good one is for sale again, the return "
    "is closed in Shopify, and the order's timeline shows each step.",
)
def product_return(stage: Stage, verdict: Verdict) -> None:
    order = shipped_and_fulfilled(stage, {"TENT-2P": 2, "STOVE-1": 1})
    stage.loop.call(lambda: stage.site.simulation.snapshot_now())
    stage.wait_for(
        lambda: stage.shopify_available("TENT-2P") == 48, "Shopify to show the count after shipping", 60
    )
    return_gid = stage.request_return(order.gid, {"TENT-2P": 2})
    # A merchant approves a request they have seen, not in the same millisecond: Shopify does not order
    # its webhooks, so notices sent together may be handled approval first, and the timeline would then
    # show the request as older news rather than as the first step (test_return_intake covers that order).
    stage.wait_for(
        lambda: "return_requested" in stage.timeline(order.name), "the hub to record the return request"
    )
    stage.approve_return(return_gid)
    rma = "RMA" + return_gid.rsplit("/", 1)[1]
    stage.wait_for(lambda: stage.expects_return(rma), f"the 3PL to expect return {rma}")
    verdict.expect("warehouse", "180 return authorisations received", 1, len(stage.files_received("180")))
    stage.receive_return(rma, {"TENT-2P": 1})
    stage.wait_for(lambda: stage.shopify_available("TENT-2P") == 49, "the restocked tent for sale again", 60)
    verdict.expect(
        "shopify",
        "TENT-2P available (48 + 1 restocked, the damaged one not)",
        49,
        stage.shopify_available("TENT-2P"),
    )
    verdict.expect("shopify", "STOVE-1 available (not returned)", 49, stage.shopify_available("STOVE-1"))
    stage.wait_for(
        lambda: stage.shopify_return_status(return_gid) == "CLOSED", "the return closed in Shopify"
    )
    verdict.expect("shopify", "return status", "CLOSED", stage.shopify_return_status(return_gid))
    stage.reaches(order.name, "returned")
    verdict.expect("hub", "order status", "returned", stage.status(order.name))
    verdict.expect(
        "hub", "timeline steps", STEPS, [kind for kind in stage.timeline(order.name) if kind in STEPS]
    )
    verdict.expect("hub", "return_mismatch exceptions", 0, len(stage.exceptions("return_mismatch")))
