"""Duplicate, out-of-order and missed webhooks."""

from __future__ import annotations

from crossdock.scenarios.catalog.steps import shopify_shows
from crossdock.scenarios.registry import scenario
from crossdock.scenarios.stage import SHOP, Stage
from crossdock.scenarios.verdict import Verdict


@scenario(
    "duplicate-webhooks",
    "Shopify delivers every webhook twice: the hub takes each once, and the 3PL gets one order.",
)
def duplicate_webhooks(stage: Stage, verdict: Verdict) -> None:
    stage.webhook_faults(duplicate_rate=1.0)
    placed = stage.place({"TENT-3P": 1})
    stage.reaches(placed["name"], "accepted")
    stage.pause(15)  # the duplicates arrive
    verdict.expect("warehouse", "940s received", 1, len(stage.files_received("940")))
    verdict.expect("hub", "warehouse orders", 1, len(stage.warehouse_keys(placed["name"])))
    verdict.expect("hub", "order status", "accepted", stage.status(placed["name"]))
    shopify_shows(stage, verdict, placed["id"], "accepted")


@scenario(
    "out-of-order-webhooks",
    "Shopify delivers an order's webhooks in the wrong order (the update before the creation): the hub keeps "
    "the newest version, sends one order, and its contents are the newest.",
)
def out_of_order_webhooks(stage: Stage, verdict: Verdict) -> None:
    stage.webhook_faults(reorder=True, delay_seconds=1.0)
    placed = stage.place({"TENT-2P": 1}, financial_status="PENDING")
    stage.control("POST", f"/orders/{placed['id']}/pay")
    stage.reaches(placed["name"], "accepted", timeout=60)
    stage.pause(15)
    verdict.expect("warehouse", "940s received", 1, len(stage.files_received("940")))
    stored = stage.order(placed["name"])
    verdict.expect(
        "hub",
        "payment state kept (the newest)",
        "paid",
        None if stored is None else stored.order.financial_status,
    )
    verdict.expect("hub", "order status", "accepted", stage.status(placed["name"]))
    shopify_shows(stage, verdict, placed["id"], "accepted")


@scenario(
    "missed-webhook",
    "Shopify never delivers an order's webhook: the reconciliation poll finds the order and it reaches the "
    "3PL all the same.",
)
def missed_webhook(stage: Stage, verdict: Verdict) -> None:
    stage.webhook_faults(drop_rate=1.0)
    placed = stage.place({"STOVE-1": 2})
    stage.pause(5)
    verdict.expect("hub", "the order known before the poll", False, stage.order(placed["name"]) is not None)
    stage.cli("shopify", "poll", SHOP)
    stage.reaches(placed["name"], "accepted")
    verdict.expect("hub", "order status after the poll", "accepted", stage.status(placed["name"]))
    verdict.expect("warehouse", "940s received", 1, len(stage.files_received("940")))
    shopify_shows(stage, verdict, placed["id"], "accepted")
