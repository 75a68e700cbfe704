"""The canonical warehouse values: their invariants, and the journal's JSON form of every event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.domain.orders import Address
from crossdock.domain.warehouse import (
    CancelConfirmed,
    CancelRefused,
    InvalidWarehouseValue,
    OrderAcknowledged,
    OrderRejected,
    Parcel,
    PreparationStarted,
    ReceiptPosted,
    ReceivedLine,
    ReturnedLine,
    ReturnReceived,
    Shipped,
    ShippedLine,
    SourceDocument,
    StockAdjusted,
    StockLevel,
    StockSnapshot,
    WarehouseEvent,
    WarehouseOrder,
    WarehouseOrderLine,
)
from crossdock.domain.warehouse_serialization import (
    EVENT_TYPES,
    UnknownEventKind,
    event_from_document,
    event_subject,
    event_to_document,
)

MOMENT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
SOURCE = SourceDocument(kind="x12/945", reference="EAST/000000001/0001", file_name="945_1.edi")


def test_a_warehouse_order_needs_lines_numbered_once_and_a_utc_time() -> None:
    line = WarehouseOrderLine(line_number=1, sku="TENT", quantity=2)
    common = dict(
        key="ORD-1",
        warehouse="east",
        shopify_order_id="1001",
        order_name="#1001",
        ship_to_name="Ada Lovelace",
        ship_to=Address(address1="1 Main St", city="Springfield", zip="12345", country_code="US"),
    )
    order = WarehouseOrder(ordered_at=MOMENT, lines=(line,), **common)
    assert order.total_quantity == 2
    with pytest.raises(InvalidWarehouseValue, match="no line"):
        WarehouseOrder(ordered_at=MOMENT, lines=(), **common)
    with pytest.raises(InvalidWarehouseValue, match="numbers a line twice"):
        WarehouseOrder(ordered_at=MOMENT, lines=(line, line), **common)
    with pytest.raises(InvalidWarehouseValue, match="UTC"):
        local = datetime(2026, 11, 28, 9, 30, tzinfo=timezone(timedelta(hours=2)))
        WarehouseOrder(ordered_at=local, lines=(line,), **common)
    with pytest.raises(InvalidWarehouseValue, match="negative"):
        WarehouseOrderLine(line_number=1, sku="TENT", quantity=-1)


def test_a_shipment_is_partial_when_a_line_ships_less_than_ordered() -> None:
    full = ShippedLine(sku="A", quantity_shipped=2, quantity_ordered=2)
    short = ShippedLine(sku="B", quantity_shipped=1, quantity_ordered=3)
    shipped = Shipped("east", MOMENT, SOURCE, order_key="O", shipment_id="S", lines=(full,))
    assert not shipped.is_partial
    assert Shipped("east", MOMENT, SOURCE, order_key="O", shipment_id="S", lines=(full, short)).is_partial
    with pytest.raises(InvalidWarehouseValue, match="shipment_id"):
        Shipped("east", MOMENT, SOURCE, order_key="O", shipment_id="")


EXAMPLES: list[WarehouseEvent] = [
    OrderAcknowledged("east", MOMENT, SOURCE, order_key="O-1", warehouse_reference="W-9"),
    OrderRejected("east", MOMENT, SOURCE, order_key="O-1", reason="short", skus=("A", "B")),
    PreparationStarted("east", MOMENT, SOURCE, order_key="O-1"),
    Shipped(
        "east",
        MOMENT,
        SOURCE,
        order_key="O-1",
        shipment_id="S-1",
        lines=(ShippedLine("A", 1, 2, line_number=1, lot="L1"),),
        parcels=(Parcel("1Z9", "UPSN", "UPS", "GND", "https://ups.example/1Z9", 1.5),),
    ),
    CancelConfirmed("east", MOMENT, SOURCE, order_key="O-1"),
    CancelRefused("east", MOMENT, SOURCE, order_key="O-1", reason="shipped", shipment_id="S-1"),
    StockSnapshot("east", MOMENT, SOURCE, levels=(StockLevel("A", 5, 3, 2),), complete=True),
    StockAdjusted("east", MOMENT, SOURCE, sku="A", quantity_change=-2, reason="damaged", reason_code="07"),
    ReceiptPosted("east", MOMENT, SOURCE, reference="ASN-1", lines=(ReceivedLine("A", 10, 1),)),
    ReturnReceived("east", MOMENT, SOURCE, return_key="RMA-1", lines=(ReturnedLine("A", 1, "damaged"),)),
]


def test_every_event_kind_has_an_example() -> None:
    assert sorted(type(event).__name__ for event in EXAMPLES) == sorted(EVENT_TYPES)


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda event: type(event).__name__)
def test_every_event_survives_its_json_form(event: WarehouseEvent) -> None:
    document = event_to_document(event)
    assert document["kind"] == type(event).__name__
    assert event_from_document(document) == event


def test_event_subjects_name_the_order_or_the_sku() -> None:
    assert event_subject(EXAMPLES[3]) == ("O-1", None)
    assert event_subject(EXAMPLES[7]) == (None, "A")
    assert event_subject(EXAMPLES[9]) == ("RMA-1", None)


def test_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(UnknownEventKind, match="'Teleported'"):
        event_from_document({"kind": "Teleported"})


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20)


@given(
    sku=texts.filter(str.strip),
    shipped=st.integers(0, 1000),
    ordered=st.integers(0, 1000),
    tracking=texts.filter(str.strip),
    when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_shipments_round_trip_through_json(
    sku: str, shipped: int, ordered: int, tracking: str, when: datetime
) -> None:
    event = Shipped(
        "east",
        when,
        SOURCE,
        order_key="O",
        shipment_id="S",
        lines=(ShippedLine(sku, shipped, ordered),),
        parcels=(Parcel(tracking),),
    )
    assert event_from_document(event_to_document(event)) == event
