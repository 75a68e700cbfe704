"""The contract every warehouse connector keeps, run through its sandbox.

A connector's test module subclasses ``WarehouseConnectorContract`` and provides a ``harness`` fixture that
returns a ``WarehouseHarness``: the connector under test wired to its sandbox, plus the sandbox's hands (set
stock, pick, ship, count stock). Each test drives the warehouse the way a real one would behave and checks
what the connector reports, in canonical events only, so the same tests hold for X12 files, a REST API with
webhooks or CSV files.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import pytest

from crossdock.connectors.base import Capabilities, EventSource, OrderSink, ReturnSink, Sent
from crossdock.domain.orders import Address
from crossdock.domain.warehouse import (
    CancelConfirmed,
    CancelRefused,
    OrderAcknowledged,
    OrderRejected,
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

T = TypeVar("T")

ADDRESS = Address(
    first_name="Ada",
    last_name="Lovelace",
    address1="12 Harbour Road",
    city="Portland",
    province_code="ME",
    zip="04101",
    country_code="US",
    phone="+1 207 555 0100",
)


class WarehouseHarness(Protocol):
    connector: Any
    warehouse: str

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run one of the connector's coroutines (on the loop the sandbox serves from)."""
        ...

    def events(
        self, until: Callable[[Sequence[WarehouseEvent]], bool], *, timeout: float = 20.0
    ) -> list[WarehouseEvent]:
        """Everything the connector reported since the harness started (through the hub's intake where the
        connector needs it), waiting until ``until`` holds; fails the test on timeout."""
        ...

    def set_stock(self, sku: str, units: int) -> None: ...
    def pick(self, order_key: str) -> None: ...
    def ship(self, order_key: str, quantities: Mapping[str, int] | None = None) -> None: ...
    def snapshot(self) -> None: ...
    def adjust(self, sku: str, delta: int, reason: str) -> None: ...
    def receive_return(self, return_key: str, damaged: Mapping[str, int] | None = None) -> None: ...

    def orders_at_warehouse(self) -> dict[str, int]:
        """How many orders the warehouse created under each key (a duplicate would count 2)."""
        ...

    def lines_at_warehouse(self, order_key: str) -> dict[str, int]: ...


def make_order(key: str, warehouse: str, lines: Mapping[str, int]) -> WarehouseOrder:
    return WarehouseOrder(
        key=key,
        warehouse=warehouse,
        shopify_order_id="5551001",
        order_name=f"#{key}",
        ordered_at=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        ship_to_name="Ada Lovelace",
        ship_to=ADDRESS,
        lines=tuple(
            WarehouseOrderLine(line_number=number, sku=sku, quantity=quantity, description=f"{sku} item")
            for number, (sku, quantity) in enumerate(lines.items(), start=1)
        ),
        email="ada@example.com",
    )


def of_kind(events: Sequence[WarehouseEvent], kind: type[T], **matching: object) -> list[T]:
    return [
        event
        for event in events
        if isinstance(event, kind) and all(getattr(event, name) == value for name, value in matching.items())
    ]


class WarehouseConnectorContract:
    """Subclass it in a test module with a ``harness`` fixture (function-scoped: a fresh sandbox per test)."""

    def test_declares_its_capabilities_and_implements_its_protocols(self, harness: WarehouseHarness) -> None:
        connector = harness.connector
        assert isinstance(connector.capabilities, Capabilities)
        assert isinstance(connector, OrderSink) and isinstance(connector, EventSource)
        assert isinstance(connector, ReturnSink) == connector.capabilities.accepts_returns

    def test_an_order_sent_twice_is_created_once_and_acknowledged(self, harness: WarehouseHarness) -> None:
        harness.set_stock("TENT-2P", 10)
        order = make_order("C-ONCE", harness.warehouse, {"TENT-2P": 2})
        first: Sent = harness.run(harness.connector.send_order(order))
        second: Sent = harness.run(harness.connector.send_order(order))
        assert second.key == first.key and second.repeated
        events = harness.events(lambda seen: bool(of_kind(seen, OrderAcknowledged, order_key="C-ONCE")))
        assert harness.orders_at_warehouse() == {"C-ONCE": 1}
        assert not of_kind(events, OrderRejected, order_key="C-ONCE")

    def test_a_shipment_reports_lines_and_parcels_with_tracking(self, harness: WarehouseHarness) -> None:
        harness.set_stock("TENT-2P", 10)
        harness.set_stock("STOVE", 10)
        harness.run(
            harness.connector.send_order(make_order("C-SHIP", harness.warehouse, {"TENT-2P": 2, "STOVE": 1}))
        )
        harness.events(lambda seen: bool(of_kind(seen, OrderAcknowledged, order_key="C-SHIP")))
        harness.ship("C-SHIP")
        events = harness.events(lambda seen: bool(of_kind(seen, Shipped, order_key="C-SHIP")))
        (shipped,) = of_kind(events, Shipped, order_key="C-SHIP")
        assert {line.sku: line.quantity_shipped for line in shipped.lines} == {"TENT-2P": 2, "STOVE": 1}
        assert not shipped.is_partial
        assert shipped.parcels and all(parcel.tracking_number for parcel in shipped.parcels)
        assert all(parcel.carrier_name for parcel in shipped.parcels)

    def test_a_partial_shipment_then_the_rest_add_up_to_the_order(self, harness: WarehouseHarness) -> None:
        harness.set_stock("TENT-2P", 10)
        harness.run(harness.connector.send_order(make_order("C-PART", harness.warehouse, {"TENT-2P": 3})))
        harness.events(lambda seen: bool(of_kind(seen, OrderAcknowledged, order_key="C-PART")))
        harness.ship("C-PART", {"TENT-2P": 1})
        events = harness.events(lambda seen: bool(of_kind(seen, Shipped, order_key="C-PART")))
        (first,) = of_kind(events, Shipped, order_key="C-PART")
        assert first.is_partial
        harness.ship("C-PART")
        events = harness.events(lambda seen: len(of_kind(seen, Shipped, order_key="C-PART")) == 2)
        shipments = of_kind(events, Shipped, order_key="C-PART")
        assert len({shipment.shipment_id for shipment in shipments}) == 2
        assert sum(line.quantity_shipped for shipment in shipments for line in shipment.lines) == 3

    def test_a_cancellation_before_picking_is_confirmed(self, harness: WarehouseHarness) -> None:
        if not harness.connector.capabilities.can_cancel_orders:
            pytest.skip("this warehouse cannot cancel orders")
        harness.set_stock("TENT-2P", 10)
        order = make_order("C-CANCEL", harness.warehouse, {"TENT-2P": 1})
        harness.run(harness.connector.send_order(order))
        harness.events(lambda seen: bool(of_kind(seen, OrderAcknowledged, order_key="C-CANCEL")))
        harness.run(harness.connector.cancel_order(order))
        events = harness.events(lambda seen: bool(of_kind(seen, CancelConfirmed, order_key="C-CANCEL")))
        assert not of_kind(events, CancelRefused, order_key="C-CANCEL")

    def test_a_cancellation_after_picking_is_refused(self, harness: WarehouseHarness) -> None:
        if not harness.connector.capabilities.can_cancel_orders:
            pytest.skip("this warehouse cannot cancel orders")
        harness.set_stock("TENT-2P", 10)
        order = make_order("C-LATE", harness.warehouse, {"TENT-2P": 1})
        harness.run(harness.connector.send_order(order))
        harness.events(lambda seen: bool(of_kind(seen, OrderAcknowledged, order_key="C-LATE")))
        harness.pick("C-LATE")
        harness.run(harness.connector.cancel_order(order))
        events = harness.events(lambda seen: bool(of_kind(seen, CancelRefused, order_key="C-LATE")))
        assert not of_kind(events, CancelConfirmed, order_key="C-LATE")

    def test_a_change_before_picking_replaces_the_lines(self, harness: WarehouseHarness) -> None:
        if not harness.connector.capabilities.can_update_orders:
            pytest.skip("this warehouse cannot change orders")
        harness.set_stock("TENT-2P", 10)
        harness.set_stock("STOVE", 10)
        harness.run(harness.connector.send_order(make_order("C-EDIT", harness.warehouse, {"TENT-2P": 1})))
        harness.events(lambda seen: bool(of_kind(seen, OrderAcknowledged, order_key="C-EDIT")))
        changed = make_order("C-EDIT", harness.warehouse, {"TENT-2P": 2, "STOVE": 1})
        harness.run(harness.connector.update_order(changed))
        harness.events(lambda seen: harness.lines_at_warehouse("C-EDIT") == {"TENT-2P": 2, "STOVE": 1})
        assert harness.orders_at_warehouse() == {"C-EDIT": 1}

    def test_stock_is_reported_as_snapshots_and_adjustments(self, harness: WarehouseHarness) -> None:
        reports = harness.connector.capabilities.stock_reports
        harness.set_stock("TENT-2P", 7)
        if "snapshot" in reports:
            harness.snapshot()
            events = harness.events(lambda seen: bool(of_kind(seen, StockSnapshot)))
            levels = {level.sku: level for level in of_kind(events, StockSnapshot)[-1].levels}
            assert levels["TENT-2P"].on_hand == 7
        if "delta" in reports:
            harness.adjust("TENT-2P", -2, "damaged")
            events = harness.events(lambda seen: bool(of_kind(seen, StockAdjusted, sku="TENT-2P")))
            (adjusted,) = of_kind(events, StockAdjusted, sku="TENT-2P")
            assert (adjusted.quantity_change, adjusted.reason) == (-2, "damaged")

    def test_a_return_is_received_with_dispositions(self, harness: WarehouseHarness) -> None:
        if not harness.connector.capabilities.accepts_returns:
            pytest.skip("this warehouse takes no returns")
        authorisation = WarehouseReturn(
            key="RMA-C1",
            warehouse=harness.warehouse,
            order_key="C-SHIP",
            shopify_return_id="9001",
            authorised_at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
            customer_name="Ada Lovelace",
            ship_from=ADDRESS,
            lines=(ReturnLine(1, "TENT-2P", 2, "unwanted"),),
        )
        harness.run(harness.connector.create_return(authorisation))
        harness.receive_return("RMA-C1", damaged={"TENT-2P": 1})
        events = harness.events(lambda seen: bool(of_kind(seen, ReturnReceived, return_key="RMA-C1")))
        (received,) = of_kind(events, ReturnReceived, return_key="RMA-C1")
        by_disposition = {(line.sku, line.disposition): line.quantity for line in received.lines}
        assert by_disposition == {("TENT-2P", "restock"): 1, ("TENT-2P", "damaged"): 1}
