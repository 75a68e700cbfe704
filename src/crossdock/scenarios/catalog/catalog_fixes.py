"""An unknown SKU fixed by an alias."""

from __future__ import annotations

from crossdock.scenarios.catalog.steps import shopify_shows
from crossdock.scenarios.registry import scenario
from crossdock.scenarios.stage import ACCOUNT, Stage
from crossdock.scenarios.verdict import Verdict


@scenario(
    "unknown-sku-fixed-by-alias",
    "An order carries a SKU no warehouse knows (a product added to Shopify after the catalog import): it "
    "waits with an unknown_sku exception; mapping the SKU to a registered one sends it on, and the exception "
    "closes by itself.",
)
def unknown_sku_fixed_by_alias(stage: Stage, verdict: Verdict) -> None:
    location = next(iter(stage.shop.state.locations.values()))
    stage.shop.state.add_product("Lantern", [("LANTERN-OLD", "19.00", {location.id: 10})])
    placed = stage.place({"LANTERN-OLD": 1})
    problems = stage.wait_for(lambda: stage.exceptions("unknown_sku"), "the unknown_sku exception")
    verdict.expect("hub", "unknown SKUs named", ["LANTERN-OLD"], problems[0].details.get("unknown_skus"))
    verdict.expect("warehouse", "940s before the fix", 0, len(stage.files_received("940")))
    stage.cli("skus", "alias", "LANTERN-OLD", "STOVE-1", "--account", ACCOUNT)
    stage.reaches(placed["name"], "accepted")
    key = stage.warehouse_keys(placed["name"])[0]
    lines = stage.at_warehouse(key).order.lines
    verdict.expect("warehouse", "SKUs at the 3PL", ["STOVE-1"], [line.sku for line in lines])
    verdict.expect("hub", "unknown_sku exceptions still open", 0, len(stage.exceptions("unknown_sku")))
    shopify_shows(stage, verdict, placed["id"], "accepted")
