"""870 order status report: each of the five order outcomes written the way the sandbox writes it, checked by
bots and read back through the codec in 4010 and 5010; a partner-style 870; the 870s the reader refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec import read_interchange
from crossdock.connectors.x12.documents.order_status_870 import OrderStatusEvent, read_870, write_870
from crossdock.connectors.x12.documents.registry import read_transaction_set
from crossdock.connectors.x12.model import Segment
from crossdock.domain.warehouse import (
    CancelConfirmed,
    CancelRefused,
    OrderAcknowledged,
    OrderRejected,
    PreparationStarted,
    SourceDocument,
)
from tests.support.x12_sets import Envelope, read_body, read_first_set, refusal, segments_of
from tests.support.x12_validator import validate_x12

MOMENT = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL")
ENVELOPE = Envelope("EAST3PL", "CROSSDOCK", control=4711, now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
SOURCE = SourceDocument(kind="x12/870", reference="EAST3PL/000004711/0001", file_name=None)
# A reason longer than one REF03 (80 characters) travels in several REF*ZZ.
LONG_REASON = "insufficient stock: " + ", ".join(
    f"SKU-{number} (2 ordered, 0 available)" for number in range(4)
)

EVENTS: tuple[OrderStatusEvent, ...] = (
    OrderAcknowledged("east", MOMENT, SOURCE, order_key="1001-A", warehouse_reference="WH-000017"),
    OrderAcknowledged("east", MOMENT, SOURCE, order_key="1005-A"),
    OrderRejected("east", MOMENT, SOURCE, order_key="1002-A", reason=LONG_REASON, skus=("MUG", "TEE")),
    OrderRejected("east", MOMENT, SOURCE, order_key="1006-A", reason="the order has no unit to ship"),
    PreparationStarted("east", MOMENT, SOURCE, order_key="1001-A"),
    CancelConfirmed("east", MOMENT, SOURCE, order_key="1003-A"),
    CancelRefused(
        "east", MOMENT, SOURCE, order_key="1004-A", reason="order 1004-A is shipped", shipment_id="S9"
    ),
    CancelRefused("east", MOMENT, SOURCE, order_key="1007-A", reason="no order 1007-A at this warehouse"),
)


def _file(body: tuple[Segment, ...], version: str) -> bytes:
    return ENVELOPE.file("870", "RS", body, version)


def _read_file(data: bytes) -> tuple[OrderStatusEvent, ...]:
    return read_first_set(data, read_870, PARTNER)


def _read_body(*texts: str) -> tuple[OrderStatusEvent, ...]:
    """An 870 body written as X12 text ("PRF*1001-A"), the first being the BSR."""
    envelope = _file(write_870(EVENTS[:1], partner=PARTNER), "004010")
    return read_body(segments_of(*texts), read_870, PARTNER, envelope=envelope, code="870")


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("event", EVENTS, ids=lambda event: f"{type(event).__name__}-{event.order_key}")
def test_each_outcome_validates_and_reads_back_the_same(event: OrderStatusEvent, version: str) -> None:
    data = _file(write_870([event], partner=PARTNER), version)

    assert validate_x12(data) == []
    assert _read_file(data) == (event,)


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_several_outcomes_share_one_870_in_order(version: str) -> None:
    data = _file(write_870(EVENTS, partner=PARTNER, report_id="RS-1"), version)

    assert validate_x12(data) == []
    assert _read_file(data) == EVENTS
    interchange = read_interchange(data)
    (group,) = interchange.groups
    assert group.functional_id == "RS"
    reading = read_transaction_set(group.transaction_sets[0], interchange, group, PARTNER, warehouse="east")
    assert reading.kind == "order_status"
    assert reading.value == EVENTS


def test_the_written_segments_use_the_agreed_codes() -> None:
    body = write_870([EVENTS[2], EVENTS[6]], partner=PARTNER, report_id="RS-1")

    texts = ["*".join((segment.tag, *segment.elements)) for segment in body]
    assert texts[0] == "BSR*2*PA*RS-1*20260302***093015"
    assert texts[1:5] == ["HL*1**O", "PRF*1002-A", "ISR*DE*20260302", "DTM*009*20260302*093015*UT"]
    assert texts[5:7] == [f"REF*ZZ**{LONG_REASON[:80]}", f"REF*ZZ**{LONG_REASON[80:]}"]
    assert texts[7:11] == ["HL*2*1*I", "PO1******SK*MUG", "HL*3*1*I", "PO1******SK*TEE"]
    assert texts[11:] == [
        "HL*4**O",
        "PRF*1004-A",
        "ISR*ZZ*20260302",
        "DTM*009*20260302*093015*UT",
        "REF*SI*S9",
        "REF*ZZ**order 1004-A is shipped",
    ]


def test_the_writer_refuses_what_an_870_cannot_carry() -> None:
    with pytest.raises(ValueError, match="no status"):
        write_870([], partner=PARTNER)
    with pytest.raises(ValueError, match="PRF01"):
        write_870([PreparationStarted("east", MOMENT, SOURCE, order_key="K" * 23)], partner=PARTNER)
    with pytest.raises(ValueError, match="PO1-07"):
        write_870(
            [OrderRejected("east", MOMENT, SOURCE, order_key="1", reason="r", skus=("S" * 49,))],
            partner=PARTNER,
        )
    with pytest.raises(ValueError, match="REF02 \\(VN\\)"):
        write_870(
            [OrderAcknowledged("east", MOMENT, SOURCE, order_key="1", warehouse_reference="W" * 31)],
            partner=PARTNER,
        )
    with pytest.raises(ValueError, match="BSR03"):
        write_870(EVENTS[:1], partner=PARTNER, report_id="R" * 31)


def test_a_partner_style_870_reads_dates_items_and_references() -> None:
    events = _read_body(
        "BSR*2*PP*8801*20260303***1400",
        "REF*IA*EAST",
        "HL*1**O",
        "PRF*1001-A*REL",
        "ISR*NN",
        "REF*VN*SO-77",
        "HL*2**O",
        "PRF*1002-A",
        "ISR*DE*20260302",
        "REF*ZZ*OOS",
        "HL*3*2*I",
        "PO1*1*2*EA***VN*V-MUG*SK*MUG",
        "ISR*DS",
        "HL*4*2*I",
        "PO1*2*1*EA***VN*V-TEE",
    )

    acknowledged, rejected = events
    # No DTM*009 and no ISR02: the moment of the report (BSR04/BSR07).
    assert acknowledged == OrderAcknowledged(
        "east",
        datetime(2026, 3, 3, 14, 0, tzinfo=UTC),
        acknowledged.source,
        order_key="1001-A",
        warehouse_reference="SO-77",
    )
    # ISR02 alone: that day at midnight UTC; a REF*ZZ reason in REF02 is read too; SK before VN.
    assert rejected == OrderRejected(
        "east",
        datetime(2026, 3, 2, tzinfo=UTC),
        rejected.source,
        order_key="1002-A",
        reason="OOS",
        skus=("MUG", "V-TEE"),
    )
    assert acknowledged.source.kind == "x12/870"
    assert acknowledged.source.reference == "EAST3PL/000004711/0001"


@pytest.mark.parametrize(
    ("texts", "rule", "index", "tag", "element"),
    [
        (("HL*1**O", "PRF*1001-A", "ISR*NN"), "missing-segment", 2, "BSR", None),
        (("BSR*2*PA*1*20260302", "HL*1**O", "ISR*NN"), "missing-segment", 4, "PRF", None),
        (("BSR*2*PA*1*20260302", "HL*1**O", "PRF*1001-A"), "missing-segment", 5, "ISR", None),
        (("BSR*2*PA*1*20260302", "HL*1**O", "PRF*1001-A", "ISR*CC"), "invalid-code", 5, "ISR", 1),
        (("BSR*2*PA*1*20260302", "HL*1**O", "PRF*", "ISR*NN"), "missing-element", 4, "PRF", 1),
        (("BSR*2*PA*1*2026030", "HL*1**O", "PRF*1", "ISR*NN"), "invalid-date", 2, "BSR", 4),
        (("BSR*2*PA*1*20260302", "HL*1**O", "PRF*1", "ISR*NN*20261301"), "invalid-date", 5, "ISR", 2),
        (
            ("BSR*2*PA*1*20260302", "HL*1**O", "PRF*1", "ISR*NN", "DTM*009*20260302*2561"),
            "invalid-date",
            6,
            "DTM",
            2,
        ),
        (("BSR*2*PA*1*20260302", "HL*1**S"), "missing-segment", 4, "HL", None),
        (("BSR*2*PA*1*20260302", "HL*1**O", "PRF*1", "ISR*DE", "HL*2*9*I"), "invalid-hierarchy", 6, "HL", 2),
        (
            ("BSR*2*PA*1*20260302", "HL*1**O", "PRF*1", "ISR*DE", "HL*2*1*I", "PO1*1"),
            "missing-element",
            7,
            "PO1",
            7,
        ),
    ],
    ids=[
        "no BSR",
        "no PRF",
        "no ISR",
        "unknown status",
        "empty PRF01",
        "bad BSR date",
        "bad ISR date",
        "bad DTM time",
        "no order level",
        "orphan item",
        "item without code",
    ],
)
def test_an_870_the_hub_cannot_read_is_refused_naming_the_segment(
    texts: tuple[str, ...], rule: str, index: int, tag: str, element: int | None
) -> None:
    error = refusal(lambda: _read_body(*texts))

    assert (error.rule, error.segment_index, error.segment_tag, error.element) == (rule, index, tag, element)
