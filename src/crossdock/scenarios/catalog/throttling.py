"""Shopify throttling at the plan's limit."""

from __future__ import annotations

from crossdock.scenarios.registry import scenario
from crossdock.scenarios.stage import Stage
from crossdock.scenarios.verdict import Verdict

SKUS = ("TENT-2P", "TENT-3P", "STOVE-1", "MUG")


@scenario(
    "shopify-throttling",
    "On a Standard plan (the smallest rate budget), the 3PL's count changes every SKU many times in a row "
    "while orders come in: the hub paces its calls so Shopify never throttles it, and Shopify ends with the "
    "3PL's last count.",
    plan="standard",
)
def shopify_throttling(stage: Stage, verdict: Verdict) -> None:
    for round_ in range(10):
        stage.snapshot({sku: 40 + round_ for sku in SKUS})
    placed = [stage.place({"MUG": 1}) for _ in range(5)]
    for order in placed:
        stage.reaches(order["name"], "accepted", timeout=90)
    wanted = {sku: 49 - (5 if sku == "MUG" else 0) for sku in SKUS}

    def settled() -> bool:
        return all(stage.shopify_available(sku) == units for sku, units in wanted.items())

    stage.wait_for(settled, "Shopify to show the 3PL's last count less the orders", 90)
    verdict.expect(
        "shopify",
        "available after the last count (MUG less the 5 ordered)",
        wanted,
        {sku: stage.shopify_available(sku) for sku in SKUS},
    )
    verdict.expect("shopify", "calls Shopify answered THROTTLED", 0, stage.shop.throttled_answers)
    verdict.expect("hub", "orders accepted", 5, sum(stage.status(p["name"]) == "accepted" for p in placed))
    verdict.expect("warehouse", "940s received", 5, len(stage.files_received("940")))
