"""846 inventory advice: partner-style samples, what the sandbox writes read back through the codec in 4010
and 5010, and the errors of an 846 the reader refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.documents.inventory_advice_846 import read_846, write_846
from crossdock.connectors.x12.model import Segment
from crossdock.domain.warehouse import SourceDocument, StockLevel, StockSnapshot
from tests.support.x12_sets import Envelope, read_body, read_first_set, refusal, segments_of
from tests.support.x12_validator import validate_x12

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"
MOMENT = datetime(2026, 11, 29, 6, 0, 30, tzinfo=UTC)
PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL")
ENVELOPE = Envelope("EAST3PL", "CROSSDOCK", control=4711, now=datetime(2026, 11, 29, 6, 5, tzinfo=UTC))
SOURCE = SourceDocument(kind="x12/846", reference="EAST3PL/000004711/0001", file_name="846_test.edi")
SNAPSHOT = StockSnapshot(
    warehouse="east",
    occurred_at=MOMENT,
    source=SOURCE,
    levels=(StockLevel("TENT-2P", on_hand=12, available=9, reserved=3), StockLevel("MUG", 4, 4, reserved=0)),
    complete=True,
)


def _file(body: tuple[Segment, ...], version: str) -> bytes:
    return ENVELOPE.file("846", "IB", body, version)


def _read_file(data: bytes, file_name: str | None = "846_test.edi") -> StockSnapshot:
    return read_first_set(data, read_846, PARTNER, file_name=file_name)


def _read_body(*segments: Segment) -> StockSnapshot:
    envelope = _file(write_846(SNAPSHOT, partner=PARTNER), "004010")
    return read_body(segments, read_846, PARTNER, envelope=envelope, code="846")


BIA = Segment("BIA", ("08", "SI", "INV1", "20261129", "0600"))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_written_snapshot_validates_and_reads_back_the_same(version: str) -> None:
    data = _file(write_846(SNAPSHOT, partner=PARTNER), version)

    assert validate_x12(data) == []
    assert _read_file(data) == SNAPSHOT


def test_a_partial_snapshot_is_written_as_a_change_and_reads_back_partial() -> None:
    partial = StockSnapshot("east", MOMENT, SOURCE, levels=SNAPSHOT.levels[:1], complete=False)
    body = write_846(partial, partner=PARTNER, reference="CHG-1")

    assert body[0] == Segment("BIA", ("04", "SI", "CHG-1", "20261129", "060030"))
    assert _read_file(_file(body, "005010")) == partial


def test_the_writer_refuses_what_an_846_cannot_say() -> None:
    twice = StockSnapshot("east", MOMENT, SOURCE, levels=(StockLevel("MUG", 1, 1), StockLevel("MUG", 2, 2)))
    with pytest.raises(ValueError, match="lists an item twice"):
        write_846(twice, partner=PARTNER)
    oversold = StockSnapshot("east", MOMENT, SOURCE, levels=(StockLevel("MUG", 1, 2),))
    with pytest.raises(ValueError, match="2 available of 1 on hand"):
        write_846(oversold, partner=PARTNER)


def test_a_partner_style_status_advice_reads_with_its_qualifiers_and_lots() -> None:
    data = (FIXTURES / "846_partner_style.edi").read_bytes()
    assert validate_x12(data) == []

    snapshot = _read_file(data, file_name="846_partner_style.edi")

    assert snapshot.complete is True
    assert snapshot.occurred_at == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert snapshot.source == SourceDocument("x12/846", "EAST3PL/000000301/0001", "846_partner_style.edi")
    assert snapshot.levels == (
        # Two LINs (two lots) of TENT-2P add up; the SK id wins over the U.P.C.; QH (on hold) is skipped.
        StockLevel("TENT-2P", on_hand=15, available=12, reserved=3),
        # Only "available" given: it stands for on hand too, nothing is known to be reserved.
        StockLevel("STOVE", on_hand=4, available=4, reserved=None),
        # No SK: the vendor's item number is the item code.
        StockLevel("MUG-BLUE", on_hand=5, available=5, reserved=0),
    )


def test_a_5010_change_with_other_delimiters_is_a_partial_snapshot() -> None:
    data = (FIXTURES / "846_change_5010.edi").read_bytes()
    assert validate_x12(data) == []

    snapshot = _read_file(data)

    assert snapshot.complete is False
    assert snapshot.occurred_at == datetime(2026, 11, 30, 10, 15, 30, tzinfo=UTC)
    # QTY-03 "EA:1" is a composite with ":" as component separator: its unit is EA. 63 (on order) is skipped.
    assert snapshot.levels == (StockLevel("LAMP", on_hand=8, available=6, reserved=2),)


def test_a_cancellation_or_request_is_refused_rather_than_read_as_stock() -> None:
    error = refusal(
        lambda: _read_body(
            Segment("BIA", ("01", "SI", "INV1", "20261129")), Segment("LIN", ("1", "SK", "MUG"))
        )
    )

    assert (error.rule, error.segment_index, error.segment_tag) == ("invalid-code", 2, "BIA")
    assert error.element == 1


def _segments(*texts: str) -> tuple[Segment, ...]:
    """Segments written as X12 text ("LIN*1*SK*MUG"); "BIA" alone stands for a valid BIA."""
    return tuple(
        BIA if text == "BIA" else segment for text, segment in zip(texts, segments_of(*texts), strict=True)
    )


@pytest.mark.parametrize(
    ("texts", "rule", "index", "tag", "element"),
    [
        (("LIN*1*SK*MUG",), "missing-segment", 2, "BIA", None),
        (("BIA",), "missing-segment", 3, "LIN", None),
        (("BIA", "CTT*0"), "missing-segment", 3, "LIN", None),
        (("BIA*00*SI*INV1*2026113", "LIN*1*SK*X"), "invalid-date", 2, "BIA", 4),
        (("BIA", "LIN*1*SK*"), "missing-element", 3, "LIN", 3),
        (("BIA", "LIN*1*SK*MUG", "QTY*33*2.5*EA"), "invalid-quantity", 4, "QTY", 2),
        (("BIA", "LIN*1*SK*MUG", "QTY*33*-1*EA"), "invalid-quantity", 4, "QTY", 2),
        (("BIA", "LIN*1*SK*MUG", "QTY*33*2*CA"), "invalid-code", 4, "QTY", 3),
        (("BIA", "LIN*1*SK*MUG", "QTY*QH*2*EA"), "missing-quantity", 3, "LIN", None),
        (("BIA", "LIN*1*SK*MUG", "QTY*17*2", "QTY*33*3"), "quantity-mismatch", 3, "LIN", None),
        (("BIA", "LIN*1*SK*MUG", "QTY*33*2", "CTT*2"), "total-mismatch", 5, "CTT", 1),
    ],
    ids=[
        "no BIA",
        "no LIN",
        "no LIN before CTT",
        "bad date",
        "LIN without id",
        "fractional quantity",
        "negative quantity",
        "cases",
        "no usable qualifier",
        "available above on hand",
        "CTT count",
    ],
)
def test_an_846_the_hub_cannot_trust_is_refused_naming_segment_and_element(
    texts: tuple[str, ...], rule: str, index: int, tag: str, element: int | None
) -> None:
    error = refusal(lambda: _read_body(*_segments(*texts)))

    assert (error.rule, error.segment_index, error.segment_tag, error.element) == (rule, index, tag, element)
