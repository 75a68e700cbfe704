"""The simulated 3PL site, driven by a fake clock."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.domain.orders import Address
from crossdock.domain.warehouse import (
    CancelConfirmed,
    CancelRefused,
    OrderAcknowledged,
    OrderRejected,
    PreparationStarted,
    ReceiptPosted,
    ReceivedLine,
    ReturnLine,
    ReturnReceived,
    Shipped,
    StockAdjusted,
    StockSnapshot,
    WarehouseEvent,
    WarehouseOrder,
    WarehouseOrderLine,
    WarehouseReturn,
)
from crossdock.sandbox.warehouse import SimulationError, SimulationKnobs, WarehouseSimulation
from crossdock.sandbox.warehouse.parcels import CARRIERS, tracking_number

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADDRESS = Address(first_name="Ada", last_name="Lovelace", address1="1 Main St", city="Austin", zip="78701")


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def order(key: str = "1001-A", *lines: tuple[str, int], carrier: str | None = None) -> WarehouseOrder:
    return WarehouseOrder(
        key=key,
        warehouse="hub-side name",
        shopify_order_id="gid://shopify/Order/1",
        order_name="#1001",
        ordered_at=START,
        ship_to_name="Ada Lovelace",
        ship_to=ADDRESS,
        lines=tuple(
            WarehouseOrderLine(line_number=number, sku=sku, quantity=quantity)
            for number, (sku, quantity) in enumerate(lines or (("MUG", 2),), 1)
        ),
        carrier_code=carrier,
    )


def simulation(clock: FakeClock, seed: int = 7, **knobs: object) -> WarehouseSimulation:
    site = WarehouseSimulation(
        warehouse="sandbox-3pl",
        clock=clock,
        seed=seed,
        knobs=SimulationKnobs(snapshot_interval_seconds=0, **knobs),  # type: ignore[arg-type]
    )
    site.set_stock("MUG", 10)
    site.set_stock("TEE", 5)
    return site


def kinds(events: list[WarehouseEvent]) -> list[str]:
    return [type(event).__name__ for event in events]


def test_an_order_is_acknowledged_picked_and_shipped_on_schedule() -> None:
    clock = FakeClock()
    site = simulation(clock)
    assert site.receive_order(order("1001-A", ("MUG", 2), ("TEE", 1)))
    site.tick(clock.advance(0.5))
    assert site.drain_events() == []
    site.tick(clock.advance(60))
    events = site.drain_events()
    assert kinds(events) == ["OrderAcknowledged", "PreparationStarted", "Shipped"]
    acknowledged, started, shipped = events
    assert isinstance(acknowledged, OrderAcknowledged) and acknowledged.warehouse_reference == "WO0000001"
    assert isinstance(started, PreparationStarted)
    assert isinstance(shipped, Shipped)
    # Each step happens when it was due, not when the clock was read.
    assert acknowledged.occurred_at == START + timedelta(seconds=1)
    assert started.occurred_at == START + timedelta(seconds=6)
    assert shipped.occurred_at == START + timedelta(seconds=16)
    assert {event.warehouse for event in events} == {"sandbox-3pl"}
    assert [(line.sku, line.quantity_shipped, line.quantity_ordered) for line in shipped.lines] == [
        ("MUG", 2, 2),
        ("TEE", 1, 1),
    ]
    assert not shipped.is_partial
    assert site.order("1001-A").status == "shipped"
    levels = {level.sku: level for level in site.stock_levels()}
    assert (levels["MUG"].on_hand, levels["MUG"].available, levels["MUG"].reserved) == (8, 8, 0)


def test_the_same_key_twice_is_one_order() -> None:
    clock = FakeClock()
    site = simulation(clock)
    assert site.receive_order(order("K", ("MUG", 1)))
    assert not site.receive_order(order("K", ("MUG", 9)))
    site.tick(clock.advance(100))
    shipped = [event for event in site.drain_events() if isinstance(event, Shipped)]
    assert len(shipped) == 1 and shipped[0].lines[0].quantity_shipped == 1
    assert len(site.orders()) == 1


def test_unknown_sku_rejects_the_order_naming_it() -> None:
    clock = FakeClock()
    site = simulation(clock, reject_when_short=False)
    site.receive_order(order("K", ("MUG", 1), ("GHOST", 1)))
    site.tick(clock.advance(100))
    (rejected,) = site.drain_events()
    assert isinstance(rejected, OrderRejected)
    assert rejected.skus == ("GHOST",) and "unknown SKU GHOST" in rejected.reason
    assert site.order("K").status == "rejected"


def test_short_stock_rejects_when_asked_to() -> None:
    clock = FakeClock()
    site = simulation(clock, reject_when_short=True)
    site.receive_order(order("K", ("TEE", 6)))
    site.tick(clock.advance(100))
    (rejected,) = site.drain_events()
    assert isinstance(rejected, OrderRejected) and rejected.skus == ("TEE",)
    assert "6 ordered, 5 available" in rejected.reason


def test_short_stock_ships_short_when_not_rejecting() -> None:
    clock = FakeClock()
    site = simulation(clock, reject_when_short=False)
    site.receive_order(order("K", ("TEE", 6)))
    site.tick(clock.advance(100))
    shipped = site.drain_events()[-1]
    assert isinstance(shipped, Shipped) and shipped.is_partial
    assert (shipped.lines[0].quantity_shipped, shipped.lines[0].quantity_ordered) == (5, 6)
    assert site.order("K").status == "shipped"


def test_a_change_before_picking_replaces_the_lines_and_is_refused_after() -> None:
    clock = FakeClock()
    site = simulation(clock)
    site.receive_order(order("K", ("MUG", 1)))
    site.tick(clock.advance(2))  # acknowledged, MUG allocated
    outcome = site.change_order(order("K", ("TEE", 3)))
    assert outcome.accepted, outcome.reason
    assert {level.sku: level.reserved for level in site.stock_levels()} == {"MUG": 0, "TEE": 3}
    site.pick_now("K")
    refused = site.change_order(order("K", ("TEE", 1)))
    assert not refused.accepted and "already picking" in refused.reason
    site.tick(clock.advance(100))
    shipped = site.drain_events()[-1]
    assert isinstance(shipped, Shipped) and [(line.sku, line.quantity_shipped) for line in shipped.lines] == [
        ("TEE", 3)
    ]


def test_a_change_that_the_stock_cannot_serve_is_refused_and_the_order_keeps_its_lines() -> None:
    clock = FakeClock()
    site = simulation(clock)
    site.receive_order(order("K", ("MUG", 1)))
    site.tick(clock.advance(2))
    outcome = site.change_order(order("K", ("TEE", 50)))
    assert not outcome.accepted and "insufficient stock" in outcome.reason
    assert site.order("K").order.lines[0].sku == "MUG"
    assert {level.sku: level.reserved for level in site.stock_levels()} == {"MUG": 1, "TEE": 0}


def test_cancel_before_picking_is_confirmed_and_frees_the_stock() -> None:
    clock = FakeClock()
    site = simulation(clock)
    site.receive_order(order("K", ("MUG", 4)))
    site.tick(clock.advance(2))
    site.drain_events()
    event = site.cancel_order("K")
    assert isinstance(event, CancelConfirmed)
    assert site.drain_events() == [event]
    assert site.order("K").status == "cancelled"
    assert site.stock_levels()[0].available == 10
    site.tick(clock.advance(1000))
    assert site.drain_events() == []


def test_cancel_after_picking_is_refused_and_names_the_shipment_once_shipped() -> None:
    clock = FakeClock()
    site = simulation(clock)
    site.receive_order(order("K", ("MUG", 1)))
    site.pick_now("K")
    during_pick = site.cancel_order("K")
    assert isinstance(during_pick, CancelRefused) and during_pick.shipment_id is None
    shipped = site.ship_now("K")
    after_ship = site.cancel_order("K")
    assert isinstance(after_ship, CancelRefused)
    assert after_ship.shipment_id == shipped.shipment_id
    assert shipped.shipment_id in after_ship.reason


def test_cancel_of_an_unknown_order_is_refused() -> None:
    site = simulation(FakeClock())
    event = site.cancel_order("NOPE")
    assert isinstance(event, CancelRefused) and "no order NOPE" in event.reason


def test_partial_shipments_send_the_rest_later() -> None:
    clock = FakeClock()
    site = simulation(clock, partial_share=1.0)
    site.receive_order(order("K", ("MUG", 3), ("TEE", 2)))
    site.tick(clock.advance(16))
    first = site.drain_events()[-1]
    assert isinstance(first, Shipped) and first.is_partial
    assert site.order("K").status == "partially_shipped"
    site.tick(clock.advance(30))
    second = site.drain_events()[-1]
    assert isinstance(second, Shipped) and second.shipment_id != first.shipment_id
    total = {line.sku: line.quantity_shipped for line in first.lines if line.quantity_shipped}
    for line in second.lines:
        total[line.sku] = total.get(line.sku, 0) + line.quantity_shipped
    assert total == {"MUG": 3, "TEE": 2}
    assert site.order("K").status == "shipped"


def test_ship_now_with_lines_ships_that_part() -> None:
    clock = FakeClock()
    site = simulation(clock)
    site.receive_order(order("K", ("MUG", 3)))
    first = site.ship_now("K", {"MUG": 1})
    assert first.lines[0].quantity_shipped == 1 and site.order("K").status == "partially_shipped"
    with pytest.raises(SimulationError, match="fewer units than asked"):
        site.ship_now("K", {"MUG": 5})
    site.ship_now("K")
    assert site.order("K").shipped == {1: 3}


def test_multi_parcel_shipments_share_one_carrier_with_plausible_tracking() -> None:
    clock = FakeClock()
    site = simulation(clock, multi_parcel_share=1.0)
    site.receive_order(order("K", ("MUG", 1), carrier="FDEG"))
    shipped = site.ship_now("K")
    assert len(shipped.parcels) in (2, 3)
    assert {(parcel.carrier_code, parcel.carrier_name) for parcel in shipped.parcels} == {("FDEG", "FedEx")}
    assert all(re.fullmatch(r"\d{12}", parcel.tracking_number) for parcel in shipped.parcels)


@pytest.mark.parametrize(
    ("scac", "pattern"),
    [("UPSN", r"1Z[0-9A-Z]{16}"), ("FDEG", r"\d{12}"), ("USPS", r"9400\d{18}"), ("DHLC", r"\d{10}")],
)
def test_tracking_numbers_follow_each_carriers_format(scac: str, pattern: str) -> None:
    (carrier,) = [carrier for carrier in CARRIERS if carrier.scac == scac]
    rng = random.Random(1)
    numbers = {tracking_number(carrier, rng) for _ in range(20)}
    assert len(numbers) == 20
    assert all(re.fullmatch(pattern, number) for number in numbers)


def test_stock_taken_away_after_acknowledgement_makes_the_latest_order_ship_short() -> None:
    clock = FakeClock()
    site = simulation(clock, reject_when_short=False)
    site.receive_order(order("EARLY", ("TEE", 3)))
    site.receive_order(order("LATE", ("TEE", 2)))
    site.tick(clock.advance(2))
    site.set_stock("TEE", 3)
    site.tick(clock.advance(100))
    events = site.drain_events()
    shipped = {event.order_key: event for event in events if isinstance(event, Shipped)}
    rejected = [event.order_key for event in events if isinstance(event, OrderRejected)]
    assert shipped["EARLY"].lines[0].quantity_shipped == 3
    assert "LATE" not in shipped and rejected == ["LATE"]
    assert site.order("LATE").status == "rejected"
    assert site.order("LATE").reason == "stock ran out after acknowledgement"


def test_adjust_and_snapshot_hooks_emit_their_events() -> None:
    clock = FakeClock()
    site = simulation(clock)
    adjusted = site.adjust("MUG", -2, "damaged")
    assert isinstance(adjusted, StockAdjusted) and adjusted.quantity_change == -2
    with pytest.raises(SimulationError, match="must not be negative"):
        site.adjust("MUG", -9, "shrinkage")
    snapshot = site.snapshot_now()
    assert isinstance(snapshot, StockSnapshot) and snapshot.complete
    assert {level.sku: level.on_hand for level in snapshot.levels} == {"MUG": 8, "TEE": 5}
    assert site.drain_events() == [adjusted, snapshot]


def test_snapshots_follow_their_schedule_after_the_steps_due_with_them() -> None:
    clock = FakeClock()
    site = simulation(clock)
    site.update_knobs(snapshot_interval_seconds=60)
    site.receive_order(order("K", ("MUG", 1)))
    site.tick(clock.advance(59))
    assert not any(isinstance(event, StockSnapshot) for event in site.drain_events())
    site.tick(clock.advance(1))
    (snapshot,) = [event for event in site.drain_events() if isinstance(event, StockSnapshot)]
    assert snapshot.occurred_at == START + timedelta(seconds=60)
    # The order shipped at 16 s: the snapshot counts it.
    assert {level.sku: level.on_hand for level in snapshot.levels}["MUG"] == 9
    # After a pause of several intervals one snapshot stands for the missed ones, then the rhythm resumes.
    site.tick(clock.advance(150))
    late = [event.occurred_at for event in site.drain_events() if isinstance(event, StockSnapshot)]
    assert late == [START + timedelta(seconds=120)]
    site.tick(clock.advance(30))
    resumed = [event.occurred_at for event in site.drain_events() if isinstance(event, StockSnapshot)]
    assert resumed == [START + timedelta(seconds=240)]


def test_random_adjustments_happen_at_the_configured_rate_and_keep_stock_sound() -> None:
    clock = FakeClock()
    site = simulation(clock, adjustment_rate=60.0)
    site.tick(clock.advance(3600))
    adjustments = [event for event in site.drain_events() if isinstance(event, StockAdjusted)]
    assert 30 <= len(adjustments) <= 90
    assert {event.reason for event in adjustments} <= {"shrinkage", "damaged", "cycle_count", "found"}
    assert all(level.on_hand >= 0 for level in site.stock_levels())


def test_returns_arrive_after_the_delay_with_damaged_units_kept_apart() -> None:
    clock = FakeClock()
    site = simulation(clock, return_delay_seconds=120, damaged_return_share=0.5)
    authorisation = WarehouseReturn(
        key="RMA-1",
        warehouse="hub-side",
        order_key="K",
        shopify_return_id="gid://shopify/Return/1",
        authorised_at=START,
        customer_name="Ada Lovelace",
        ship_from=ADDRESS,
        lines=(ReturnLine(1, "MUG", 10, "defective"),),
    )
    assert site.expect_return(authorisation)
    assert not site.expect_return(authorisation)
    site.tick(clock.advance(119))
    assert site.drain_events() == []
    site.tick(clock.advance(1))
    (received,) = site.drain_events()
    assert isinstance(received, ReturnReceived) and received.return_key == "RMA-1"
    by_disposition = {line.disposition: line.quantity for line in received.lines}
    assert sum(by_disposition.values()) == 10 and by_disposition.get("damaged", 0) > 0
    assert site.stock_levels()[0].on_hand == 10 + by_disposition.get("restock", 0)


def test_a_return_received_on_demand_keeps_the_damaged_units_named_and_only_once() -> None:
    site = simulation(FakeClock(), return_delay_seconds=3600)
    authorisation = WarehouseReturn(
        key="RMA-2",
        warehouse="hub-side",
        order_key="K",
        shopify_return_id="gid://shopify/Return/2",
        authorised_at=START,
        customer_name="Ada Lovelace",
        ship_from=ADDRESS,
        lines=(ReturnLine(1, "MUG", 3, "unwanted"),),
    )
    with pytest.raises(SimulationError, match="no return authorisation RMA-2"):
        site.receive_return_now("RMA-2")
    site.expect_return(authorisation)
    with pytest.raises(SimulationError, match="does not authorise TEE"):
        site.receive_return_now("RMA-2", {"TEE": 1})
    received = site.receive_return_now("RMA-2", {"MUG": 1})
    assert {line.disposition: line.quantity for line in received.lines} == {"restock": 2, "damaged": 1}
    assert site.drain_events() == [received]
    assert {level.sku: level.on_hand for level in site.stock_levels()}["MUG"] == 10 + 2
    with pytest.raises(SimulationError, match="received already"):
        site.receive_return_now("RMA-2")


def test_goods_received_are_put_away_once_per_reference() -> None:
    site = simulation(FakeClock())
    posted = site.receive_goods("ASN-7", [ReceivedLine("NEW", 5, damaged=1)])
    assert isinstance(posted, ReceiptPosted) and posted.reference == "ASN-7"
    assert site.receive_goods("ASN-7", [ReceivedLine("NEW", 5)]) is None
    assert {level.sku: level.on_hand for level in site.stock_levels()}["NEW"] == 4


def test_a_saved_simulation_continues_exactly_where_it_stopped() -> None:
    clock = FakeClock()
    site = simulation(clock, partial_share=0.5, multi_parcel_share=0.5)
    for number in range(4):
        site.receive_order(order(f"K{number}", ("MUG", 2), ("TEE", 1)))
    site.tick(clock.advance(8))
    site.drain_events()
    saved = json.loads(json.dumps(site.to_state()))
    restored = WarehouseSimulation.from_state(saved, clock=clock)
    site.tick(clock.advance(200))
    restored.tick(clock.now)
    original_events = [(type(e).__name__, getattr(e, "shipment_id", None)) for e in site.drain_events()]
    restored_events = [(type(e).__name__, getattr(e, "shipment_id", None)) for e in restored.drain_events()]
    assert original_events == restored_events and len(original_events) >= 4
    assert restored.stock_levels() == site.stock_levels()


def test_unknown_knobs_and_bad_shares_are_refused() -> None:
    site = simulation(FakeClock())
    with pytest.raises(SimulationError, match="unknown knob"):
        site.update_knobs(speed=2)
    with pytest.raises(SimulationError, match="partial_share must be a share"):
        site.update_knobs(partial_share=1.5)
    assert site.knobs.partial_share == 0.0


# --- invariants -----------------------------------------------------------------------------------------

_ACTIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("order"), st.integers(0, 5), st.sampled_from(["MUG", "TEE", "CAP"]), st.integers(0, 7)
        ),
        st.tuples(st.just("cancel"), st.integers(0, 5)),
        st.tuples(st.just("change"), st.integers(0, 5), st.sampled_from(["MUG", "TEE"]), st.integers(1, 4)),
        st.tuples(st.just("wait"), st.integers(0, 40)),
        st.tuples(st.just("stock"), st.sampled_from(["MUG", "TEE"]), st.integers(0, 12)),
        st.tuples(st.just("adjust"), st.sampled_from(["MUG", "TEE"]), st.integers(-3, 3)),
        st.tuples(st.just("ship"), st.integers(0, 5)),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    actions=_ACTIONS,
    seed=st.integers(0, 1000),
    partial=st.sampled_from([0.0, 0.5, 1.0]),
    reject_when_short=st.booleans(),
)
def test_invariants_hold_whatever_happens(
    actions: list[tuple[Any, ...]], seed: int, partial: float, reject_when_short: bool
) -> None:
    clock = FakeClock()
    site = simulation(
        clock, seed=seed, partial_share=partial, multi_parcel_share=0.3, reject_when_short=reject_when_short
    )
    site.update_knobs(adjustment_rate=120.0)
    received: dict[str, int] = {}
    events: list[WarehouseEvent] = []
    for action in actions:
        kind = action[0]
        if kind == "order":
            key = f"K{action[1]}"
            if site.receive_order(order(key, (action[2], action[3] + 1))):
                received[key] = received.get(key, 0) + 1
        elif kind == "cancel":
            key = f"K{action[1]}"
            status_before = site.order(key).status if key in received else None
            event = site.cancel_order(key)
            if status_before in ("picking", "partially_shipped", "shipped"):
                assert isinstance(event, CancelRefused)
        elif kind == "change":
            site.change_order(order(f"K{action[1]}", (action[2], action[3])))
        elif kind == "wait":
            site.tick(clock.advance(action[1]))
        elif kind == "stock":
            site.set_stock(action[1], action[2])
        elif kind == "adjust":
            delta = action[2]
            if delta and site.stock_levels() and _on_hand(site, action[1]) + delta >= 0:
                site.adjust(action[1], delta, "cycle_count")
        elif kind == "ship":
            key = f"K{action[1]}"
            shippable = ("acknowledged", "picking", "partially_shipped")
            if (
                key in received
                and site.order(key).status in shippable
                and site.order(key).remaining_allocated()
            ):
                site.ship_now(key)
        events.extend(site.drain_events())
        for level in site.stock_levels():
            assert level.on_hand >= 0 and level.available >= 0 and (level.reserved or 0) >= 0
    site.tick(clock.advance(10_000))
    events.extend(site.drain_events())
    assert all(count == 1 for count in received.values())
    assert len(site.orders()) == len(received)
    for simulated in site.orders():
        assert simulated.status in ("shipped", "cancelled", "rejected"), simulated
        for line in simulated.order.lines:
            assert simulated.shipped.get(line.line_number, 0) <= line.quantity
    shipped_units: dict[tuple[str, str], int] = {}
    for event in events:
        if isinstance(event, Shipped):
            for shipped_line in event.lines:
                assert shipped_line.quantity_shipped <= shipped_line.quantity_ordered
                unit_key = (event.order_key, shipped_line.sku)
                shipped_units[unit_key] = shipped_units.get(unit_key, 0) + shipped_line.quantity_shipped
    for (key, sku), units in shipped_units.items():
        ordered = sum(line.quantity for line in site.order(key).order.lines if line.sku == sku)
        assert units <= ordered
    # The outbox is in time order: a face writes events in the order they happened.
    moments = [event.occurred_at for event in events]
    assert moments == sorted(moments)


def _on_hand(site: WarehouseSimulation, sku: str) -> int:
    return {level.sku: level.on_hand for level in site.stock_levels()}.get(sku, 0)
