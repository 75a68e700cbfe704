"""Returns end to end, over real HTTP and SFTP: a customer asks the Shopify sandbox for a return of a shipped
order and the merchant approves it; the hub reads the return's lines, sends one 180 to the X12 3PL sandbox,
which receives the goods and answers with a 944 (restocked and damaged units); the restocked units reach
Shopify's stock, the return is closed in Shopify, and the order's timeline shows each step. A 944 that does
not match the authorisation becomes a ``return_mismatch`` exception and leaves the return open."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crossdock.domain.warehouse import ReturnedLine, ReturnReceived, SourceDocument
from crossdock.store.unit_of_work import UnitOfWork
from tests.support.order_world import WAREHOUSE, World, open_world, wait_for


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
    wait_for(lambda: shopify_available(world, sku) == units, f"Shopify to show {units} x {sku} ({what})", 90)


def shipped_order(world: World, lines: dict[str, int]) -> tuple[str, str, str]:
    """An order placed, sent to the 3PL, shipped in full and fulfilled in Shopify: its name, GID and key."""
    placed = world.place(lines)
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    world.ship(key)
    world.reaches(name, "shipped")
    wait_for(lambda: world.fulfillments(gid), "the Shopify fulfillment")
    return name, gid, key


def returned_and_approved(world: World, name: str, gid: str, lines: dict[str, int]) -> str:
    """The customer asks for a return, the merchant approves it: the return's GID."""
    asked = world.control(
        "POST",
        f"/orders/{gid}/returns",
        {"lines": [{"sku": sku, "quantity": units, "reason": "UNWANTED"} for sku, units in lines.items()]},
    )
    # A merchant approves a request they have seen. Sent in the same millisecond, the two unordered webhooks
    # may be handled approval first, and the request would then be older news rather than the first step of
    # the timeline this test reads (test_return_intake covers that order).
    wait_for(
        lambda: any(entry.startswith("return_requested:") for entry in world.timeline(name)),
        "the hub to record the return request",
    )
    world.control("POST", f"/returns/{asked['id']}/approve")
    return str(asked["id"])


def expected_at_3pl(world: World, rma_key: str) -> Any:
    def check() -> Any:
        expected = world.loop.call(lambda: world.site.simulation.returns())
        return next((each for each in expected if each.authorisation.key == rma_key), None)

    return wait_for(check, f"the 3PL to expect return {rma_key}")


def shopify_return(world: World, return_gid: str) -> Any:
    return world.shop.state.returns[int(return_gid.rsplit("/", 1)[1])]


def test_a_return_is_authorised_received_restocked_in_part_and_closed(world: World) -> None:
    name, gid, key = shipped_order(world, {"TENT-2P": 2, "STOVE-1": 1})
    world.loop.call(lambda: world.site.simulation.snapshot_now())
    shows(world, "TENT-2P", 48, "the count after the shipment")
    return_gid = returned_and_approved(world, name, gid, {"TENT-2P": 2})
    rma_key = "RMA" + return_gid.rsplit("/", 1)[1]

    expected = expected_at_3pl(world, rma_key)
    authorisation = expected.authorisation
    assert authorisation.order_key == key
    assert [(line.sku, line.quantity) for line in authorisation.lines] == [("TENT-2P", 2)]
    assert authorisation.customer_name == "Ada Lovelace"
    assert len(world.files_received("180")) == 1

    world.loop.call(lambda: world.site.simulation.receive_return_now(rma_key, {"TENT-2P": 1}))
    shows(world, "TENT-2P", 49, "1 unit restocked, the damaged one not")
    world.reaches(name, "returned")
    wait_for(lambda: shopify_return(world, return_gid).status == "CLOSED", "the return to close in Shopify")

    order = world.order(name)
    assert order is not None
    with UnitOfWork(world.engine) as uow:
        (returned,) = uow.returns.of_order(order.id)
        ledger = uow.stock.ledger("TENT-2P")
    assert returned.status == "closed" and returned.warehouse_code == WAREHOUSE
    assert [(line.sku, line.quantity, line.disposition) for line in returned.value.received] == [
        ("TENT-2P", 1, "restock"),
        ("TENT-2P", 1, "damaged"),
    ]
    assert [(entry.kind, entry.change, entry.available_after) for entry in ledger[:2]] == [
        ("return", 1, 49),
        ("snapshot", 48, 48),
    ]
    assert shopify_available(world, "STOVE-1") == 49  # nothing of it came back
    kinds = [entry.split(":", 1)[0] for entry in world.timeline(name)]
    steps = [
        "return_requested",
        "return_approved",
        "return_lines_read",
        "return_authorised",
        "return_received",
        "return_closed_in_shopify",
    ]
    assert [kind for kind in kinds if kind in steps] == steps
    received = next(entry for entry in world.timeline(name) if entry.startswith("return_received:"))
    assert "restocked 1 x TENT-2P" in received and "damaged, not for sale 1 x TENT-2P" in received
    assert any(
        entry.startswith("status_changed:") and "→ returned" in entry for entry in world.timeline(name)
    )
    assert world.exceptions("return_mismatch") == []
    assert len(world.files_received("180")) == 1


def test_a_receipt_that_does_not_match_the_authorisation_is_an_exception(world: World) -> None:
    name, gid, _ = shipped_order(world, {"TENT-2P": 1, "STOVE-1": 1})
    return_gid = returned_and_approved(world, name, gid, {"TENT-2P": 1})
    rma_key = "RMA" + return_gid.rsplit("/", 1)[1]
    expected_at_3pl(world, rma_key)

    world.warehouse_sends_944(
        ReturnReceived(
            warehouse=WAREHOUSE,
            occurred_at=datetime.now(UTC).replace(microsecond=0),
            source=SourceDocument("x12/944", "by hand"),
            return_key=rma_key,
            lines=(
                ReturnedLine("TENT-2P", 2, "restock"),
                ReturnedLine("STOVE-1", 1, "restock"),
            ),
        )
    )
    (mismatch,) = wait_for(lambda: world.exceptions("return_mismatch"), "the return_mismatch exception")
    assert mismatch.actions == ["resolve", "ignore"]
    assert {
        (m["sku"], m["kind"], m["authorised"], m["received"]) for m in mismatch.details["mismatches"]
    } == {
        ("TENT-2P", "more_than_authorised", 1, 2),
        ("STOVE-1", "not_authorised", 0, 1),
    }
    assert name in mismatch.message
    world.reaches(name, "returned")
    assert shopify_return(world, return_gid).status == "OPEN"
    assert any(entry.startswith("return_mismatch:") for entry in world.timeline(name))
