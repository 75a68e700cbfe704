"""Order edits before and after preparation."""

from __future__ import annotations

from crossdock.scenarios.catalog.steps import placed_and_accepted, shopify_shows
from crossdock.scenarios.registry import scenario
from crossdock.scenarios.stage import Stage
from crossdock.scenarios.verdict import Verdict


@scenario(
    "edit-before-preparation",
    "The merchant edits an order (2 tents instead of 1, a stove added) before the 3PL picks it: the change "
    "reaches the 3PL, which ships the edited order.",
)
def edit_before_preparation(stage: Stage, verdict: Verdict) -> None:
    order = placed_and_accepted(stage, {"TENT-2P": 1})
    (line,) = stage.shopify_order(order.gid).line_items
    stage.control(
        "POST",
        f"/orders/{order.gid}/edit",
        {"set_quantities": {str(line.id): 2}, "add_lines": [{"sku": "STOVE-1", "quantity": 1}]},
    )
    wanted = {"TENT-2P": 2, "STOVE-1": 1}

    def lines_at_3pl() -> dict[str, int] | None:
        found = {
            i.sku: i.quantity
            for i in stage.loop.call(lambda: stage.site.simulation.order(order.key)).order.lines
        }
        return found if found == wanted else None

    stage.wait_for(lines_at_3pl, "the change to reach the 3PL")
    verdict.expect("warehouse", "lines at the 3PL", wanted, lines_at_3pl())
    stage.ship(order.key)
    stage.reaches(order.name, "shipped")
    fulfillments = stage.wait_for(lambda: stage.fulfillments(order.gid), "the fulfillment")
    verdict.expect(
        "shopify", "units fulfilled", 3, sum(i.quantity for f in fulfillments for i in f.line_items)
    )
    verdict.expect("hub", "late_modification exceptions", 0, len(stage.exceptions("late_modification")))


@scenario(
    "edit-after-preparation",
    "The merchant edits an order the 3PL has already picked: the change is not sent, and a late_modification "
    "exception tells the operator.",
)
def edit_after_preparation(stage: Stage, verdict: Verdict) -> None:
    order = placed_and_accepted(stage, {"TENT-2P": 1})
    stage.pick(order.key)
    stage.reaches(order.name, "in_preparation")
    (line,) = stage.shopify_order(order.gid).line_items
    stage.control("POST", f"/orders/{order.gid}/edit", {"set_quantities": {str(line.id): 2}})
    late = stage.wait_for(lambda: stage.exceptions("late_modification"), "the late_modification exception")
    verdict.expect("hub", "the exception names the order", True, order.name in late[0].message)
    verdict.expect("warehouse", "940s received (no change sent)", 1, len(stage.files_received("940")))
    lines = stage.loop.call(lambda: stage.site.simulation.order(order.key)).order.lines
    verdict.expect("warehouse", "lines at the 3PL", {"TENT-2P": 1}, {i.sku: i.quantity for i in lines})
    shopify_shows(stage, verdict, order.gid, "in_preparation")
