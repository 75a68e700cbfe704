"""947 inventory adjustment: partner-style samples, what the sandbox writes read back through the codec in
4010 and 5010, the direction of a change (sign, reason, W19-16) and the errors of a 947 the reader refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.documents.inventory_adjustment_947 import read_947, write_947
from crossdock.connectors.x12.model import Segment
from crossdock.domain.warehouse import SourceDocument, StockAdjusted
from tests.support.x12_sets import Envelope, read_body, read_first_set, refusal, segments_of
from tests.support.x12_validator import validate_x12

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"
MOMENT = datetime(2026, 11, 29, 9, 30, 15, tzinfo=UTC)
LATER = datetime(2026, 11, 29, 11, 2, 0, tzinfo=UTC)
PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL")
ENVELOPE = Envelope("EAST3PL", "CROSSDOCK", control=4711, now=datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
SOURCE = SourceDocument(kind="x12/947", reference="EAST3PL/000004711/0001", file_name=None)


def _adjusted(sku: str, change: int, reason: str, **more: object) -> StockAdjusted:
    fields: dict[str, object] = {"occurred_at": MOMENT, "reason_code": None, "reference": "ADJ-1"} | more
    return StockAdjusted(
        warehouse="east",
        source=SOURCE,
        sku=sku,
        quantity_change=change,
        reason=reason,
        **fields,  # type: ignore[arg-type]
    )


def _file(body: tuple[Segment, ...], version: str) -> bytes:
    return ENVELOPE.file("947", "AW", body, version)


def _read_file(data: bytes) -> tuple[StockAdjusted, ...]:
    return read_first_set(data, read_947, PARTNER)


def _read_body(*texts: str) -> tuple[StockAdjusted, ...]:
    """A 947 body written as X12 text ("W19*AU*2*EA**SK*MUG"), after a valid W15 and N1."""
    envelope = _file(write_947([_adjusted("MUG", -1, "damaged")], partner=PARTNER), "004010")
    head = (Segment("W15", ("20261129", "ADJ-9")), Segment("N1", ("WH", "East")))
    return read_body(head + segments_of(*texts), read_947, PARTNER, envelope=envelope, code="947")


ADJUSTMENTS = (
    _adjusted("TENT-2P", -2, "damaged"),
    _adjusted("MUG", 3, "cycle_count"),
    _adjusted("MUG", -1, "cycle_count", occurred_at=LATER),
    _adjusted("LAMP", 1, "found"),
    _adjusted("STOVE", -4, "shrinkage"),
    _adjusted("STOVE", 2, "returned"),
    _adjusted("STOVE", -1, "received"),
    _adjusted("TENT-2P", -1, "other", reason_code="AW"),
)


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_written_adjustments_validate_and_read_back_the_same(version: str) -> None:
    data = _file(write_947(ADJUSTMENTS, partner=PARTNER), version)

    assert validate_x12(data) == []
    expected = tuple(
        adjustment if adjustment.reason_code else _with_code(adjustment) for adjustment in ADJUSTMENTS
    )
    assert _read_file(data) == expected


def _with_code(adjustment: StockAdjusted) -> StockAdjusted:
    codes = {"damaged": "AU", "cycle_count": "AA", "found": "51", "shrinkage": "UD", "returned": "CR"}
    return StockAdjusted(
        warehouse=adjustment.warehouse,
        occurred_at=adjustment.occurred_at,
        source=adjustment.source,
        sku=adjustment.sku,
        quantity_change=adjustment.quantity_change,
        reason=adjustment.reason,
        reason_code=codes.get(adjustment.reason, "AY"),
        reference=adjustment.reference,
    )


def test_the_writer_refuses_adjustments_a_947_cannot_carry() -> None:
    with pytest.raises(ValueError, match="share the warehouse and reference"):
        write_947(
            [_adjusted("MUG", 1, "found"), _adjusted("MUG", 1, "found", reference="ADJ-2")], partner=PARTNER
        )
    with pytest.raises(ValueError, match="reason 51 is an increase"):
        write_947([_adjusted("MUG", -1, "found")], partner=PARTNER)
    with pytest.raises(ValueError, match="reads back as 'damaged'"):
        write_947([_adjusted("MUG", -1, "other", reason_code="AU")], partner=PARTNER)
    with pytest.raises(ValueError, match="no adjustment"):
        write_947([], partner=PARTNER)


def test_a_partner_style_947_reads_signs_reasons_and_moments() -> None:
    data = (FIXTURES / "947_partner_style.edi").read_bytes()
    assert validate_x12(data) == []

    adjustments = _read_file(data)

    header_time = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    assert [
        (item.sku, item.quantity_change, item.reason, item.reason_code, item.occurred_at)
        for item in adjustments
    ] == [
        # AU (damaged in facility) is a decrease: the unsigned 2 is a debit.
        ("TENT-2P", -2, "damaged", "AU", header_time),
        # AA (physical count) has no direction: the sign says it; no SK, so the vendor item is the item.
        ("ST-100", -3, "cycle_count", "AA", header_time),
        # 51 (product located) is an increase; its W19 loop has its own G62*07.
        ("MUG-BLUE", 1, "found", "51", datetime(2026, 11, 30, 11, 15, tzinfo=UTC)),
        # AH (other) unsigned, but W19-16 "AD" (inventory adjustment - decrease).
        ("LAMP", -4, "other", "AH", header_time),
    ]
    assert {item.reference for item in adjustments} == {"ADJ-5521"}
    assert {item.source.reference for item in adjustments} == {"EAST3PL/000000401/0001"}


def test_without_g62_the_adjustment_day_starts_at_midnight_utc() -> None:
    (adjustment,) = _read_body("W19*AU*2.00*UN**SK*MUG")

    assert adjustment.occurred_at == datetime(2026, 11, 29, tzinfo=UTC)
    assert adjustment.quantity_change == -2
    assert adjustment.reference == "ADJ-9"


@pytest.mark.parametrize(
    ("texts", "rule", "index", "element"),
    [
        (("W19*ZZ*2*EA**SK*MUG",), "invalid-code", 4, 1),
        (("W19*AU*2.5*EA**SK*MUG",), "invalid-quantity", 4, 2),
        (("W19*AU*two*EA**SK*MUG",), "invalid-quantity", 4, 2),
        (("W19*AU*2*CA**SK*MUG",), "invalid-code", 4, 3),
        (("W19*51*-2*EA**SK*MUG",), "sign-mismatch", 4, 2),
        (("W19*51*2*EA**SK*MUG**********AD",), "sign-mismatch", 4, 16),
        (("W19*AU*2*EA",), "missing-element", 4, 6),
        (("G62*07*20261399", "W19*AU*2*EA**SK*MUG"), "invalid-date", 4, 2),
        ((), "missing-segment", 4, None),
    ],
    ids=[
        "unknown reason",
        "fraction",
        "not a number",
        "cases",
        "negative increase",
        "AD on an increase",
        "no item",
        "bad G62 date",
        "no W19",
    ],
)
def test_a_947_the_hub_cannot_sign_safely_is_refused(
    texts: tuple[str, ...], rule: str, index: int, element: int | None
) -> None:
    error = refusal(lambda: _read_body(*texts))

    assert (error.rule, error.segment_index, error.element) == (rule, index, element)


def test_a_947_that_does_not_start_with_w15_is_refused() -> None:
    envelope = _file(write_947([_adjusted("MUG", 1, "found")], partner=PARTNER), "005010")
    body = (Segment("N1", ("WH", "East")),)

    error = refusal(lambda: read_body(body, read_947, PARTNER, envelope=envelope, code="947"))

    assert (error.rule, error.segment_index, error.segment_tag) == ("missing-segment", 2, "W15")
