"""Inventory end to end, over real SFTP and HTTP: the 3PL's 846 and 947 reach the Shopify sandbox's levels in
seconds, units of dispatched orders stay off sale, a bundle shows what its components allow, and a change
made in Shopify by someone else is reported and set back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crossdock.jobs.enqueuer import DbosEnqueuer
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from tests.support.order_world import World, open_world, wait_for


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    with open_world(tmp_path, database_url, shopify_locations=True) as opened:
        yield opened


def shopify_available(world: World, sku: str) -> int | None:
    state = world.shop.state
    variant = state.variant_by_sku(sku)
    assert variant is not None
    (location,) = state.locations.values()
    level = state.level(variant.inventory_item_id, location.id)
    return None if level is None else level.as_dict().get("available")


def shows(world: World, sku: str, units: int, what: str) -> None:
    # Generous: a loaded CI machine runs the hub's job queues slowly; the figures, not the wait, are tested.
    wait_for(
        lambda: shopify_available(world, sku) == units,
        f"Shopify to show {units} x {sku} ({what})",
        timeout=90,
    )


def snapshot(world: World, stock: dict[str, int]) -> None:
    def act() -> None:
        for sku, units in stock.items():
            world.site.simulation.set_stock(sku, units)
        world.site.simulation.snapshot_now()

    world.loop.call(act)


def test_a_snapshot_then_an_adjustment_reach_shopify(world: World) -> None:
    snapshot(world, {"TENT-2P": 30, "STOVE-1": 12, "TENT-3P": 0})
    shows(world, "TENT-2P", 30, "the 846")
    shows(world, "STOVE-1", 12, "the 846")
    shows(world, "TENT-3P", 0, "the 846")
    world.loop.call(lambda: world.site.simulation.adjust("TENT-2P", -4, "damaged"))
    shows(world, "TENT-2P", 26, "the 947")
    with UnitOfWork(world.engine) as uow:
        ledger = uow.stock.ledger("TENT-2P")
    assert [(entry.kind, entry.change, entry.available_after) for entry in ledger[:2]] == [
        ("adjustment", -4, 26),
        ("snapshot", 30, 30),
    ]
    assert ledger[0].reason == "damaged" and ledger[0].source_kind == "x12/947"


def test_units_of_a_dispatched_order_stay_off_sale_until_the_warehouse_counts_again(world: World) -> None:
    snapshot(world, {"STOVE-1": 10})
    shows(world, "STOVE-1", 10, "the 846")
    placed = world.place({"STOVE-1": 3})
    world.reaches(placed["name"], "accepted")
    shows(world, "STOVE-1", 7, "the reservation")
    # The warehouse counts after the order: 10 on hand, 3 of them allocated to it, 7 available. The count
    # already excludes the order's units, so the hub deducts nothing more.
    snapshot(world, {})

    def counted() -> int | None:
        with UnitOfWork(world.engine) as uow:
            position = uow.stock.positions(["STOVE-1"]).get(("east-3pl", "STOVE-1"))
        return position.available if position and position.available == 7 else None

    wait_for(counted, "the second snapshot")
    shows(world, "STOVE-1", 7, "the new count")
    assert world.exceptions("stock_discrepancy") == []


def test_a_bundle_shows_what_its_components_allow(world: World) -> None:
    with UnitOfWork(world.engine) as uow:
        uow.sku_mappings.replace_bundle("acme", "CAMP-KIT", {"TENT-2P": 1, "STOVE-1": 2})
        uow.commit()
    snapshot(world, {"TENT-2P": 5, "STOVE-1": 6})
    shows(world, "CAMP-KIT", 3, "the bundle's components")


def test_a_change_made_in_shopify_by_someone_else_is_reported_and_set_back(world: World) -> None:
    snapshot(world, {"TENT-3P": 20})
    shows(world, "TENT-3P", 20, "the 846")
    world.control(
        "POST", "/inventory", {"sku": "TENT-3P", "location": "East Coast Fulfilment", "available": 50}
    )
    (problem,) = wait_for(lambda: world.exceptions("stock_discrepancy"), "the stock_discrepancy exception")
    assert problem.details["shopify"] == 50 and problem.details["wanted"] == 20
    shows(world, "TENT-3P", 20, "the warehouse's figure set back")


def held_for_stockout(world: World, gid: str) -> bool:
    order = world.shopify_order(gid)
    return any(
        hold.reason == "INVENTORY_OUT_OF_STOCK"
        for number in order.fulfillment_order_ids
        for hold in world.shop.state.fulfillment_orders[number].holds
    )


def test_a_947_taking_promised_units_is_a_stockout_after_confirmation(world: World) -> None:
    snapshot(world, {"STOVE-1": 5})
    shows(world, "STOVE-1", 5, "the 846")
    placed = world.place({"STOVE-1": 3})
    world.reaches(placed["name"], "accepted")
    shows(world, "STOVE-1", 2, "the reservation")
    world.loop.call(lambda: world.site.simulation.adjust("STOVE-1", -4, "damaged"))
    (problem,) = wait_for(lambda: world.exceptions("stockout_after_confirmation"), "the stockout exception")
    assert placed["name"] in problem.message and problem.details["skus"] == ["STOVE-1"]
    wait_for(lambda: held_for_stockout(world, placed["id"]), "the fulfillment order hold in Shopify")
    shows(world, "STOVE-1", 0, "the stockout")


def test_a_rejection_for_lack_of_stock_holds_the_order_and_zeroes_the_sku(world: World) -> None:
    world.loop.call(lambda: world.site.simulation.set_stock("TENT-3P", 1))
    placed = world.place({"TENT-3P": 2})
    world.reaches(placed["name"], "rejected")
    (problem,) = wait_for(lambda: world.exceptions("stockout_after_confirmation"), "the stockout exception")
    assert "insufficient stock" in problem.details["cause"]
    wait_for(lambda: held_for_stockout(world, placed["id"]), "the fulfillment order hold in Shopify")
    shows(world, "TENT-3P", 0, "the stockout")


def test_the_full_comparison_finds_a_change_no_webhook_told(world: World) -> None:
    snapshot(world, {"STOVE-1": 9})
    shows(world, "STOVE-1", 9, "the 846")
    # Changed in Shopify without a webhook (a delivery lost for good).
    state = world.shop.state
    variant = state.variant_by_sku("STOVE-1")
    assert variant is not None
    (location,) = state.locations.values()
    level = state.level(variant.inventory_item_id, location.id)
    assert level is not None
    level.set("available", 2)
    with UnitOfWork(world.engine, DbosEnqueuer(world.jobs)) as uow:
        uow.enqueue(
            JobRequest(job="inventory.full_comparison", key="compare-now", args={"account_id": "acme"})
        )
        uow.commit()
    (problem,) = wait_for(
        lambda: [p for p in world.exceptions("stock_discrepancy") if p.details["sku"] == "STOVE-1"],
        "the discrepancy",
        timeout=60,
    )
    assert (problem.details["shopify"], problem.details["wanted"]) == (2, 9)
    assert problem.details["seen_in"] == "the full comparison"
    shows(world, "STOVE-1", 9, "the warehouse's figure set back")


def test_in_alert_only_mode_a_change_made_in_shopify_is_reported_and_left(
    tmp_path: Path, database_url: str
) -> None:
    alert_only = '[inventory]\non_discrepancy = "alert_only"\n'
    with open_world(tmp_path, database_url, shopify_locations=True, extra_config=alert_only) as world:
        snapshot(world, {"TENT-3P": 20})
        shows(world, "TENT-3P", 20, "the 846")
        world.control(
            "POST", "/inventory", {"sku": "TENT-3P", "location": "East Coast Fulfilment", "available": 50}
        )
        (problem,) = wait_for(
            lambda: world.exceptions("stock_discrepancy"), "the stock_discrepancy exception"
        )
        assert "left as it is" in problem.message
        # The warehouse's next report does not overwrite the value set in Shopify while the problem is open.
        world.loop.call(lambda: world.site.simulation.adjust("TENT-3P", -1, "damaged"))
        wait_for(
            lambda: any(entry.kind == "adjustment" for entry in _ledger(world, "TENT-3P")), "the 947 applied"
        )
        time.sleep(2)
        assert shopify_available(world, "TENT-3P") == 50


def _ledger(world: World, sku: str) -> list[Any]:
    with UnitOfWork(world.engine) as uow:
        return list(uow.stock.ledger(sku))
