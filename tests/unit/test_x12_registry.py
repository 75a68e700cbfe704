"""The set registry: every set code crossdock reads goes to its reader and comes back as its documented kind,
for partner-style samples and for sets written by the modules' own writers; a set code without a reader is
refused naming it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec import read_interchange
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.functional_ack_997 import (
    FunctionalAcknowledgment,
    read_997,
    write_997,
)
from crossdock.connectors.x12.documents.inventory_adjustment_947 import read_947
from crossdock.connectors.x12.documents.inventory_advice_846 import read_846
from crossdock.connectors.x12.documents.order_status_870 import read_870, write_870
from crossdock.connectors.x12.documents.registry import SUPPORTED_SETS, SetReading, read_transaction_set
from crossdock.connectors.x12.documents.return_authorisation_180 import ReturnAuthorisationReceived, read_180
from crossdock.connectors.x12.documents.shipping_advice_945 import read_945
from crossdock.connectors.x12.documents.shipping_order_940 import ShippingOrderReceived, read_940
from crossdock.connectors.x12.documents.warehouse_receipt_944 import read_944, write_944
from crossdock.connectors.x12.model import Segment, TransactionSet
from crossdock.domain.warehouse import (
    CancelConfirmed,
    OrderAcknowledged,
    ReceiptPosted,
    ReceivedLine,
    ReturnedLine,
    ReturnReceived,
    Shipped,
    SourceDocument,
    StockAdjusted,
    StockSnapshot,
)
from tests.support.x12_sets import Envelope, read_back, refusal
from tests.support.x12_validator import validate_x12

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"
MOMENT = datetime(2026, 12, 1, 9, 15, tzinfo=UTC)
PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL", depositor_code="ACME")
N9_PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="WEST3PL", tracking_location="N9")
VERSIONED = {
    version: X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL", version=version)
    for version in ("004010", "005010")
}
SOURCE = SourceDocument(kind="x12/944", reference="EAST3PL/000004711/0001", file_name="in.edi")
ENVELOPE = Envelope("EAST3PL", "CROSSDOCK", control=4711, now=datetime(2026, 12, 1, 10, 0, tzinfo=UTC))

_Reader = Callable[[TransactionSet, ReadContext], object]


def _file(code: str, functional_id: str, body: Sequence[Segment], version: str = "004010") -> bytes:
    return ENVELOPE.file(code, functional_id, body, version)


def _read(
    data: bytes, partner: X12PartnerSettings = PARTNER, **options: str
) -> tuple[SetReading, ReadContext]:
    """The first set of ``data`` read through the registry, and the context its reader should have had."""
    interchange, group = read_back(data)
    reading = read_transaction_set(group.transaction_sets[0], interchange, group, partner, **options)
    context = ReadContext(
        options.get("warehouse", "unknown"), partner, interchange, group, file_name=options.get("file_name")
    )
    return reading, context


def _direct(data: bytes, reader: _Reader, context: ReadContext) -> object:
    return reader(read_back(data)[1].transaction_sets[0], context)


def test_the_registry_supports_exactly_the_documented_sets() -> None:
    assert SUPPORTED_SETS == ("180", "846", "870", "940", "944", "945", "947", "997")


@pytest.mark.parametrize(
    ("name", "partner", "kind", "reader", "value_type"),
    [
        ("940_partner_style.edi", PARTNER, "shipping_order", read_940, ShippingOrderReceived),
        ("codec_940_4010.edi", PARTNER, "shipping_order", read_940, ShippingOrderReceived),
        ("945_man_multi_parcel.edi", PARTNER, "shipped", read_945, Shipped),
        ("945_n9_tracking_5010.edi", N9_PARTNER, "shipped", read_945, Shipped),
        ("846_partner_style.edi", PARTNER, "stock_snapshot", read_846, StockSnapshot),
        ("846_change_5010.edi", PARTNER, "stock_snapshot", read_846, StockSnapshot),
        ("947_partner_style.edi", PARTNER, "stock_adjustments", read_947, tuple),
        ("944_receipt_4010.edi", PARTNER, "receipt", read_944, ReceiptPosted),
        ("944_return_5010.edi", PARTNER, "return_received", read_944, ReturnReceived),
        ("180_partner_style.edi", PARTNER, "return_authorisation", read_180, ReturnAuthorisationReceived),
        ("997_accepted_4010.edi", PARTNER, "functional_acknowledgment", read_997, FunctionalAcknowledgment),
        ("997_partial_5010.edi", PARTNER, "functional_acknowledgment", read_997, FunctionalAcknowledgment),
    ],
)
def test_each_partner_style_sample_reads_as_its_kind(
    name: str, partner: X12PartnerSettings, kind: str, reader: _Reader, value_type: type
) -> None:
    data = (FIXTURES / name).read_bytes()

    reading, context = _read(data, partner, warehouse="east", file_name=name)

    assert reading.kind == kind
    assert type(reading.value) is value_type
    assert reading.value == _direct(data, reader, context)
    assert reading == SetReading(kind, _direct(data, reader, context))


def test_a_947_reads_as_a_tuple_of_stock_adjustments() -> None:
    data = (FIXTURES / "947_partner_style.edi").read_bytes()

    reading, _ = _read(data, warehouse="east")

    assert isinstance(reading.value, tuple)
    # One adjustment per W19 of the sample, in file order.
    assert [type(adjustment) for adjustment in reading.value] == [StockAdjusted] * 4
    assert [adjustment.sku for adjustment in reading.value] == ["TENT-2P", "ST-100", "MUG-BLUE", "LAMP"]


RECEIPT = ReceiptPosted(
    warehouse="east",
    occurred_at=MOMENT,
    source=SOURCE,
    reference="ASN-9",
    lines=(ReceivedLine("TENT-2P", 3, damaged=1),),
)
RETURN = ReturnReceived(
    warehouse="east",
    occurred_at=MOMENT,
    source=SOURCE,
    return_key="RMA-9",
    lines=(ReturnedLine("MUG", 2, "restock"), ReturnedLine("MUG", 1, "damaged")),
)


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize(
    ("event", "kind"), [(RECEIPT, "receipt"), (RETURN, "return_received")], ids=["receipt", "return"]
)
def test_a_written_944_reads_as_a_receipt_or_a_customer_return(
    event: ReceiptPosted | ReturnReceived, kind: str, version: str
) -> None:
    partner = VERSIONED[version]
    data = _file("944", "RE", write_944(event, partner=partner), version)
    assert validate_x12(data) == []

    reading, _ = _read(data, partner, warehouse="east", file_name="in.edi")

    assert reading == SetReading(kind, event)


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_written_870_reads_as_order_status(version: str) -> None:
    source = SourceDocument(kind="x12/870", reference="EAST3PL/000004711/0001")
    events = (
        OrderAcknowledged("east", MOMENT, source, order_key="1001-A", warehouse_reference="WH-17"),
        CancelConfirmed("east", MOMENT, source, order_key="1003-A"),
    )
    data = _file("870", "RS", write_870(events, partner=PARTNER), version)
    assert validate_x12(data) == []

    reading, context = _read(data, warehouse="east")

    assert reading == SetReading("order_status", events)
    assert reading.value == _direct(data, read_870, context)


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_written_997_reads_as_a_functional_acknowledgment(version: str) -> None:
    partner = VERSIONED[version]
    received = read_interchange(_file("944", "RE", write_944(RECEIPT, partner=partner), version))
    body = write_997(received, received.groups[0], None, partner=partner)
    data = _file("997", "FA", body, version)
    assert validate_x12(data) == []

    reading, _ = _read(data, partner, warehouse="east")

    assert reading.kind == "functional_acknowledgment"
    assert isinstance(reading.value, FunctionalAcknowledgment)
    assert (
        reading.value.functional_id,
        reading.value.group_control_number,
        reading.value.group_status,
        reading.value.group_accepted,
        reading.value.sets_accepted,
        reading.value.source,
    ) == ("RE", "4711", "A", True, 1, SourceDocument("x12/997", "EAST3PL/000004711/0001"))


def test_the_warehouse_defaults_to_unknown_and_the_file_name_reaches_the_source() -> None:
    data = (FIXTURES / "944_receipt_4010.edi").read_bytes()

    reading, _ = _read(data, file_name="944_receipt_4010.edi")

    assert isinstance(reading.value, ReceiptPosted)
    assert reading.value.warehouse == "unknown"
    assert reading.value.source == SourceDocument(
        "x12/944", "EAST3PL/000000501/0001", file_name="944_receipt_4010.edi"
    )


def test_a_reader_error_passes_through_the_registry() -> None:
    data = _file("944", "RE", (Segment("N1", ("WH", "East")),))

    error = refusal(lambda: _read(data))

    assert (error.rule, error.segment_index, error.segment_tag) == ("missing-segment", 2, "W17")


@pytest.mark.parametrize("code", ["856", "999", "943", ""])
def test_a_set_code_without_a_reader_is_refused_naming_it(code: str) -> None:
    interchange, group = read_back((FIXTURES / "944_receipt_4010.edi").read_bytes())
    transaction_set = TransactionSet(code, "0042", group.transaction_sets[0].segments)

    error = refusal(
        lambda: read_transaction_set(transaction_set, interchange, group, PARTNER, warehouse="east")
    )

    assert (error.rule, error.segment_index, error.segment_tag, error.element) == (
        "unsupported-set",
        None,
        "ST",
        1,
    )
    assert error.message == (
        f"transaction set {code!r} (ST02 0042) is not one crossdock reads; "
        "it reads 180, 846, 870, 940, 944, 945, 947, 997"
    )
