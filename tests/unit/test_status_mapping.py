"""The table from warehouse events to order status events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crossdock.domain import order_status as status
from crossdock.domain import warehouse as wh
from crossdock.domain.status_mapping import shipment_completes, status_event
from crossdock.domain.warehouse_serialization import EVENT_TYPES

MOMENT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SOURCE = wh.SourceDocument("x12/945", "E/1/1")


def shipped(**units: int) -> wh.Shipped:
    return wh.Shipped(
        "east",
        MOMENT,
        SOURCE,
        order_key="O",
        shipment_id=f"S-{sorted(units.items())}",
        lines=tuple(wh.ShippedLine(sku, quantity, quantity) for sku, quantity in units.items()),
    )


def test_every_order_event_maps_and_stock_events_do_not() -> None:
    assert (
        status_event(wh.OrderAcknowledged("east", MOMENT, SOURCE, order_key="O"))
        == status.WarehouseAccepted()
    )
    assert status_event(wh.OrderRejected("east", MOMENT, SOURCE, order_key="O", reason="short")) == (
        status.WarehouseRejected(reason="short")
    )
    assert (
        status_event(wh.PreparationStarted("east", MOMENT, SOURCE, order_key="O"))
        == status.PreparationStarted()
    )
    assert status_event(wh.CancelConfirmed("east", MOMENT, SOURCE, order_key="O")) == status.CancelConfirmed()
    assert status_event(wh.CancelRefused("east", MOMENT, SOURCE, order_key="O", reason="picked")) == (
        status.CancelRefused(reason="picked")
    )
    assert status_event(wh.ReturnReceived("east", MOMENT, SOURCE, return_key="R")) == status.Returned()
    stock_kinds = {"StockSnapshot", "StockAdjusted", "ReceiptPosted"}
    assert {"Shipped"} | stock_kinds | {"OrderAcknowledged"} <= set(EVENT_TYPES)
    assert status_event(wh.StockSnapshot("east", MOMENT, SOURCE)) is None
    assert status_event(wh.StockAdjusted("east", MOMENT, SOURCE, sku="A", quantity_change=-1)) is None
    assert status_event(wh.ReceiptPosted("east", MOMENT, SOURCE, reference="ASN")) is None


def test_a_shipment_is_complete_once_every_unit_has_left_counting_earlier_ones() -> None:
    ordered = {"TENT": 3, "STOVE": 1}
    assert status_event(shipped(TENT=1), ordered=ordered) == status.ShipmentRecorded(complete=False)
    assert status_event(shipped(TENT=2, STOVE=1), ordered=ordered, shipped_before={"TENT": 1}) == (
        status.ShipmentRecorded(complete=True)
    )
    assert not shipment_completes(shipped(TENT=3), ordered, {})
    with pytest.raises(ValueError, match="units ordered"):
        status_event(shipped(TENT=1))
