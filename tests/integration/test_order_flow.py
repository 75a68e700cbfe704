"""Orders end to end, over real HTTP and SFTP: the Shopify sandbox sends signed webhooks to the hub, the hub
sends 940s to the X12 3PL sandbox over SFTP, the 3PL answers with 870s and 945s, and the hub fulfils the
orders in the Shopify sandbox with their tracking."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app as cli
from crossdock.connectors.x12.codec import read_interchange
from crossdock.connectors.x12.model import Segment
from crossdock.domain.warehouse import Shipped
from crossdock.flows.order_dispatch import ADVANCE
from crossdock.jobs.enqueuer import DbosEnqueuer
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from tests.support.order_world import ADDRESS, DOMAIN, WAREHOUSE, World, open_world, wait_for

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    with open_world(tmp_path, database_url) as opened:
        yield opened


def test_an_order_reaches_the_3pl_once_and_its_shipment_is_fulfilled_with_tracking(world: World) -> None:
    placed = world.place({"TENT-2P": 2, "STOVE-1": 1})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    # Intake took the order to its warehouse in the webhook's own processing, with no orders.advance job.
    assert world.jobs.list_workflows(workflow_id_prefix=f"{ADVANCE}:") == []
    key = world.warehouse_key(name)
    simulated = world.at_warehouse(key)
    assert {line.sku: line.quantity for line in simulated.order.lines} == {"TENT-2P": 2, "STOVE-1": 1}
    assert world.status_metafield(gid) in ("accepted", "sent")
    world.ship(key)
    world.reaches(name, "shipped")
    (fulfillment,) = wait_for(lambda: world.fulfillments(gid), "the Shopify fulfillment")
    assert sum(item.quantity for item in fulfillment.line_items) == 3
    assert fulfillment.tracking and fulfillment.tracking[0].number
    assert fulfillment.tracking[0].company in ("UPS", "FedEx", "USPS", "DHL Express")
    wait_for(lambda: world.status_metafield(gid) == "shipped", "the status metafield to say shipped")
    assert len(world.files_received("940")) == 1
    assert any(entry.startswith("routed:") for entry in world.timeline(name))
    # Recorded once Shopify answered, in a transaction of its own: it may follow the fulfillment by a moment.
    wait_for(
        lambda: any(entry.startswith("fulfilled_in_shopify:") for entry in world.timeline(name)),
        "the fulfillment on the timeline",
    )


def test_a_partial_shipment_then_the_rest_make_two_fulfillments_and_a_fulfilled_order(world: World) -> None:
    placed = world.place({"TENT-2P": 3})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    world.ship(key, {"TENT-2P": 1})
    world.reaches(name, "partially_shipped")
    wait_for(lambda: len(world.fulfillments(gid)) == 1, "the first fulfillment")
    world.ship(key)
    world.reaches(name, "shipped")
    fulfillments = wait_for(
        lambda: world.fulfillments(gid) if len(world.fulfillments(gid)) == 2 else None, "two"
    )
    assert sorted(sum(item.quantity for item in f.line_items) for f in fulfillments) == [1, 2]
    order = world.shopify_order(gid)
    remaining = sum(
        item.remaining_quantity
        for number in order.fulfillment_order_ids
        for item in world.shop.state.fulfillment_orders[number].line_items
    )
    assert remaining == 0


def test_a_cancellation_before_picking_is_confirmed_by_the_3pl(world: World) -> None:
    placed = world.place({"STOVE-1": 1})
    name = placed["name"]
    world.reaches(name, "accepted")
    world.at_warehouse(world.warehouse_key(name))
    world.control("POST", f"/orders/{placed['id']}/cancel", {"reason": "CUSTOMER"})
    world.reaches(name, "cancelled")
    assert len(world.files_received("940")) == 2  # the order (purpose N), then its cancellation (F)
    assert world.exceptions("cancel_refused") == []


def test_a_cancellation_after_picking_is_refused_and_becomes_an_exception(world: World) -> None:
    placed = world.place({"STOVE-1": 1})
    name = placed["name"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    world.pick(key)
    world.reaches(name, "in_preparation")
    world.control("POST", f"/orders/{placed['id']}/cancel", {"reason": "CUSTOMER"})
    world.reaches(name, "cancel_refused")
    (refusal,) = wait_for(lambda: world.exceptions("cancel_refused"), "the cancel_refused exception")
    assert name in refusal.message
    # The warehouse ships what it had picked. Shopify closed the cancelled order's fulfillment orders, so
    # nothing can be fulfilled there: the timeline says so, and the exception stays open for a return.
    world.ship(key)
    world.reaches(name, "shipped")
    attempt = wait_for(
        lambda: [e for e in world.timeline(name) if e.startswith("fulfilled_in_shopify:")], "the attempt"
    )
    assert "the order was cancelled in Shopify; shipped 1 x STOVE-1" in attempt[0]
    assert world.fulfillments(placed["id"]) == []


def test_an_edit_before_picking_is_sent_as_a_change(world: World) -> None:
    placed = world.place({"TENT-2P": 1})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    (line,) = world.shopify_order(gid).line_items
    world.control(
        "POST",
        f"/orders/{gid}/edit",
        {"set_quantities": {str(line.id): 2}, "add_lines": [{"sku": "STOVE-1", "quantity": 1}]},
    )

    def lines_at_3pl() -> dict[str, int] | None:
        simulated = world.loop.call(lambda: world.site.simulation.order(key))
        found = {item.sku: item.quantity for item in simulated.order.lines}
        return found if found == {"TENT-2P": 2, "STOVE-1": 1} else None

    wait_for(lines_at_3pl, "the change to reach the 3PL")
    assert world.status(name) == "accepted"
    world.ship(key)
    world.reaches(name, "shipped")


def test_an_edit_after_picking_is_a_late_modification(world: World) -> None:
    placed = world.place({"TENT-2P": 1})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    world.pick(key)
    world.reaches(name, "in_preparation")
    (line,) = world.shopify_order(gid).line_items
    world.control("POST", f"/orders/{gid}/edit", {"set_quantities": {str(line.id): 2}})
    (late,) = wait_for(lambda: world.exceptions("late_modification"), "the late_modification exception")
    assert name in late.message
    assert len(world.files_received("940")) == 1


def test_an_unpaid_order_waits_until_it_is_paid(world: World) -> None:
    placed = world.place({"STOVE-1": 1}, financial_status="PENDING")
    name = placed["name"]
    held = world.reaches(name, "on_hold")
    assert held.state.holds == frozenset({"unpaid"})
    assert world.files_received("940") == []
    world.control("POST", f"/orders/{placed['id']}/pay")
    world.reaches(name, "accepted")


def test_duplicated_and_reordered_webhooks_send_one_order(world: World) -> None:
    world.control("PUT", "/webhooks/faults", {"duplicate_rate": 1.0, "reorder": True})
    placed = world.place({"TENT-3P": 1})
    world.reaches(placed["name"], "accepted")
    time.sleep(1.5)  # the duplicates and any late delivery arrive
    assert len(world.files_received("940")) == 1
    assert world.status(placed["name"]) == "accepted"


def test_an_unknown_sku_waits_for_an_alias_then_is_dispatched(world: World) -> None:
    # A product created in Shopify after the catalog was imported: its SKU is unknown to the hub.
    location = next(iter(world.shop.state.locations.values()))
    world.shop.state.add_product("Lantern", [("LANTERN-OLD", "19.00", {location.id: 10})])
    placed = world.place({"LANTERN-OLD": 1})
    name = placed["name"]
    (problem,) = wait_for(lambda: world.exceptions("unknown_sku"), "the unknown_sku exception")
    assert problem.details["unknown_skus"] == ["LANTERN-OLD"]
    assert world.status(name) == "received"
    # Retried before the SKU is mapped: the order is looked at again and the problem counted once more.
    assert "is looked at again" in world.cli("exceptions", "retry", str(problem.id)).output
    wait_for(
        lambda: [p for p in world.exceptions("unknown_sku") if p.occurrences == 2], "the retry's validation"
    )
    world.cli("skus", "alias", "LANTERN-OLD", "STOVE-1", "--account", "acme")
    world.reaches(name, "accepted")
    simulated = world.at_warehouse(world.warehouse_key(name))
    assert [item.sku for item in simulated.order.lines] == ["STOVE-1"]
    assert [problem.status for problem in world.exceptions("unknown_sku", status=None)] == ["resolved"]


def test_a_bundle_is_sent_as_its_components_and_fulfilled_as_the_bundle(world: World) -> None:
    with UnitOfWork(world.engine) as uow:
        uow.sku_mappings.replace_bundle("acme", "CAMP-KIT", {"TENT-2P": 1, "STOVE-1": 2})
        uow.commit()
    placed = world.place({"CAMP-KIT": 2})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    simulated = world.at_warehouse(key)
    assert {item.sku: item.quantity for item in simulated.order.lines} == {"TENT-2P": 2, "STOVE-1": 4}
    world.ship(key)
    world.reaches(name, "shipped")
    (fulfillment,) = wait_for(lambda: world.fulfillments(gid), "the bundle's fulfillment")
    assert [item.quantity for item in fulfillment.line_items] == [2]


def test_a_dispatch_repeated_after_a_crash_sends_no_second_order(world: World) -> None:
    placed = world.place({"TENT-2P": 1})
    name = placed["name"]
    world.reaches(name, "accepted")
    order = world.order(name)
    assert order is not None
    with UnitOfWork(world.engine) as uow:
        (part,) = uow.warehouse_orders.of_order(order.id)
    # The dispatch job runs again, as after a crash between the upload and its commit.
    with UnitOfWork(world.engine, DbosEnqueuer(world.jobs)) as uow:
        uow.enqueue(
            JobRequest(
                job="orders.dispatch",
                key="replayed-after-crash",
                args={"warehouse_order_id": part.id, "action": "send"},
                partition=WAREHOUSE,
            )
        )
        uow.commit()
    wait_for(
        lambda: any("(already sent)" in entry for entry in world.timeline(name)),
        "the repeated dispatch to end",
    )
    assert len(world.files_received("940")) == 1
    assert world.loop.call(lambda: len(world.site.simulation.orders())) == 1


def test_a_webhook_the_shop_dropped_is_recovered_by_the_poll_and_dispatched(world: World) -> None:
    world.control("PUT", "/webhooks/faults", {"drop_rate": 1.0})
    placed = world.place({"STOVE-1": 2})
    time.sleep(0.5)
    assert world.order(placed["name"]) is None
    with UnitOfWork(world.engine, DbosEnqueuer(world.jobs)) as uow:
        uow.enqueue(
            JobRequest(
                job="shopify.poll_orders", key="poll-now", args={"shop": "acme-main"}, partition=DOMAIN
            )
        )
        uow.commit()
    world.reaches(placed["name"], "accepted")


def test_a_manual_hold_stops_an_order_until_released(world: World) -> None:
    placed = world.place({"STOVE-1": 1}, financial_status="PENDING")
    name = placed["name"]
    world.reaches(name, "on_hold")
    world.cli("orders", "hold", name, "--note", "address to confirm with the buyer")
    held = wait_for(
        lambda: (found := world.order(name)) and found.state.holds == {"unpaid", "manual"} and found,
        "both holds",
    )
    assert held.state.status == "on_hold"
    # Paid: the payment hold goes, the manual one stays.
    world.control("POST", f"/orders/{placed['id']}/pay")
    wait_for(lambda: (found := world.order(name)) and found.state.holds == {"manual"}, "the payment release")
    time.sleep(1)
    assert world.files_received("940") == []
    world.cli("orders", "release", name)
    world.reaches(name, "accepted")


def fulfilled_with_new_tracking(world: World, tracking_number: str) -> tuple[str, str, Shipped]:
    """An order shipped and fulfilled in Shopify: its name, GID, and its shipment with the first parcel's
    tracking number replaced by ``tracking_number`` (what a 945 correcting it says)."""
    placed = world.place({"TENT-3P": 1})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    world.ship(key)
    wait_for(lambda: world.fulfillments(gid), "the fulfillment")
    shipment = world.shipment_of(name)
    parcels = (replace(shipment.parcels[0], tracking_number=tracking_number),)
    return name, gid, replace(shipment, parcels=parcels)


def test_corrected_tracking_replaces_the_fulfillments_tracking(world: World) -> None:
    name, gid, corrected = fulfilled_with_new_tracking(world, "1Z999AA10000000001")
    world.warehouse_sends_945(corrected, order_name=name)
    wait_for(
        lambda: [info.number for info in world.fulfillments(gid)[0].tracking] == ["1Z999AA10000000001"],
        "the corrected tracking in Shopify",
    )
    assert len(world.fulfillments(gid)) == 1


def test_a_file_the_hub_cannot_read_is_rejected_alone_and_the_file_beside_it_is_applied(world: World) -> None:
    """Files collected together are handled in a shared transaction; one the hub cannot read makes it roll
    back, and each file is then handled alone: the bad one answered with a rejecting 997 and kept as an
    exception, the good one applied."""
    name, gid, corrected = fulfilled_with_new_tracking(world, "1Z999AA10000000002")
    # A 945 without its W06 header: the envelope is sound, the set is not.
    broken = world.partner_interchange([("945", "SW", (Segment("N1", ("ST", "Ada")),))], 900003, NOW)
    world.warehouse_writes("945_broken.edi", broken)
    world.warehouse_sends_945(corrected, order_name=name)

    wait_for(
        lambda: [info.number for info in world.fulfillments(gid)[0].tracking] == ["1Z999AA10000000002"],
        "the corrected tracking in Shopify",
    )
    (problem,) = wait_for(lambda: world.exceptions("input_rejected"), "the broken file's exception")
    assert problem.details["file_name"] == "945_broken.edi" and problem.details["set"] == "945"
    wait_for(lambda: "900003" in rejected_groups(world), "the 997 rejecting the broken file")
    assert "900001" not in rejected_groups(world)


def rejected_groups(world: World) -> list[str]:
    """The control numbers of the groups the hub's 997s (as the 3PL received them) rejected."""
    rejected = []
    folder = world.site.root / "sftp" / "in" / "archive"
    for name in world.files_received("997"):
        for group in read_interchange((folder / name).read_bytes()).groups:
            for answer in group.transaction_sets:
                tags = {segment.tag: segment for segment in answer.segments}
                if tags["AK9"].element(1) == "R":
                    rejected.append(tags["AK1"].element(2))
    return rejected


def test_an_order_cancelled_while_its_warehouse_is_unreachable_is_never_sent(world: World) -> None:
    world.loop.call(lambda: setattr(world.site.sftp, "outage", True))
    placed = world.place({"TENT-2P": 1})
    name = placed["name"]
    # Routed, its 940 recorded, the upload failing while the 3PL's server is down.
    wait_for(lambda: any(e.startswith("routed:") for e in world.timeline(name)), "the routing")
    world.control("POST", f"/orders/{placed['id']}/cancel", {"reason": "CUSTOMER"})
    world.reaches(name, "cancelled")
    world.loop.call(lambda: setattr(world.site.sftp, "outage", False))
    wait_for(
        lambda: (
            any(
                "cancelled before it was dispatched" in e or "cancellation follows" in e
                for e in world.timeline(name)
            )
            or None
        ),
        "the queued dispatch to run again",
        timeout=60,
    )
    time.sleep(1)
    names = world.files_received("940")
    # Either nothing reached the 3PL, or (the upload had gone through) its cancellation followed it.
    assert (
        names == []
        or world.loop.call(lambda: world.site.simulation.order(world.warehouse_key(name)).status)
        == "cancelled"
    )


def test_a_held_order_is_an_exception_released_from_the_exceptions(world: World) -> None:
    name = world.place({"STOVE-1": 1})["name"]
    world.reaches(name, "accepted")
    held_name = world.place({"TENT-2P": 1}, financial_status="PENDING")["name"]
    world.reaches(held_name, "on_hold")
    world.cli("orders", "hold", held_name, "--note", "fraud check")
    (held,) = wait_for(lambda: world.exceptions("order_held"), "the order_held exception")
    assert held.actions == ["release"] and "fraud check" in held.message

    output = world.cli("exceptions", "release", str(held.id)).output
    assert f"order {held_name} released; still held: unpaid" in output
    assert world.exceptions("order_held") == []
    assert world.exceptions("order_held", status="resolved")[0].closed_by == "cli"


@pytest.fixture
def us_only_world(tmp_path: Path, database_url: str) -> Iterator[World]:
    with open_world(tmp_path, database_url, warehouse_countries=("US",)) as opened:
        yield opened


def test_an_order_the_router_cannot_place_is_rerouted_by_an_operator(us_only_world: World) -> None:
    world = us_only_world
    address = {**ADDRESS, "city": "Montreal", "province_code": "QC", "zip": "H2X 1Y4", "country_code": "CA"}
    name = world.place({"STOVE-1": 1}, shipping_address=address)["name"]
    (failed,) = wait_for(lambda: world.exceptions("routing_failed"), "the routing_failed exception")
    assert failed.actions == ["retry", "reroute", "ignore"]

    refused = CliRunner().invoke(
        cli,
        ["--config", str(world.config), "exceptions", "reroute", str(failed.id), "--warehouse", "nowhere"],
        env=world.environ,
    )
    assert refused.exit_code == 1 and "no warehouse 'nowhere' serves account acme" in refused.output
    assert world.files_received("940") == []

    output = world.cli("exceptions", "reroute", str(failed.id), "--warehouse", WAREHOUSE).output
    assert f"order {name} goes to {WAREHOUSE}" in output
    stored = world.reaches(name, "accepted")
    assert world.warehouse_key(name) == f"CD{stored.id}-1"
    assert world.exceptions("routing_failed") == []
    assert world.exceptions("routing_failed", status="resolved")[0].closed_by == "cli"
    timeline = world.timeline(name)
    assert any(entry.startswith("routed: routed (operator): cli chose") for entry in timeline)
    assert len(world.files_received("940")) == 1
