"""944 warehouse receipt: a stock receipt and a customer return written the way the sandbox writes them,
checked by bots and read back through the codec in 4010 and 5010; partner-style samples; the 944s the reader
refuses."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.documents.warehouse_receipt_944 import read_944, write_944
from crossdock.connectors.x12.model import Segment
from crossdock.domain.warehouse import (
    ReceiptPosted,
    ReceivedLine,
    ReturnedLine,
    ReturnReceived,
    SourceDocument,
)
from tests.support.x12_sets import Envelope, read_body, read_first_set, refusal, segments_of, texts_of
from tests.support.x12_validator import validate_x12

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"
MOMENT = datetime(2026, 11, 30, 14, 10, 27, tzinfo=UTC)
PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL")
PARTNER_5010 = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL", version="005010")
ENVELOPE = Envelope("EAST3PL", "CROSSDOCK", control=4711, now=datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
# What the reader gives for the file the helpers write (sender EAST3PL, ISA13 4711, first set 0001).
SOURCE = SourceDocument(kind="x12/944", reference="EAST3PL/000004711/0001", file_name=None)

RECEIPT = ReceiptPosted(
    warehouse="east",
    occurred_at=MOMENT,
    source=SOURCE,
    reference="ASN-2026-11",
    lines=(ReceivedLine("TENT-2P", 24, damaged=2), ReceivedLine("MUG-BLUE", 10)),
)
# Per SKU, restock then damaged: the order the reader gives.
RETURN = ReturnReceived(
    warehouse="east",
    occurred_at=MOMENT,
    source=SOURCE,
    return_key="RMA-1001-1",
    lines=(
        ReturnedLine("TENT-2P", 1, "restock"),
        ReturnedLine("TENT-2P", 1, "damaged"),
        ReturnedLine("MUG-BLUE", 3, "restock"),
        ReturnedLine("LAMP", 2, "damaged"),
    ),
)


def _partner(version: str) -> X12PartnerSettings:
    return PARTNER_5010 if version == "005010" else PARTNER


def _file(body: tuple[Segment, ...], version: str) -> bytes:
    return ENVELOPE.file("944", "RE", body, version)


def _read_file(
    data: bytes, warehouse: str = "east", file_name: str | None = None
) -> ReceiptPosted | ReturnReceived:
    return read_first_set(data, read_944, PARTNER, warehouse=warehouse, file_name=file_name)


def _read_body(*texts: str) -> ReceiptPosted | ReturnReceived:
    """A 944 body written as X12 text ("W07*2*EA**SK*MUG"), the first being the W17."""
    envelope = _file(write_944(RECEIPT, partner=PARTNER), "004010")
    return read_body(segments_of(*texts), read_944, PARTNER, envelope=envelope, code="944")


# --- what the sandbox writes, checked by bots and read back ------------------------------------------------


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("event", [RECEIPT, RETURN], ids=["receipt", "return"])
def test_a_written_944_validates_and_reads_back_the_same(
    event: ReceiptPosted | ReturnReceived, version: str
) -> None:
    data = _file(write_944(event, partner=_partner(version)), version)

    assert validate_x12(data) == []
    assert _read_file(data) == event


def test_a_receipt_body_follows_the_warehouse_layout_in_4010() -> None:
    body = write_944(RECEIPT, partner=PARTNER, receipt_number="R88121")

    assert texts_of(body) == [
        "W17*F*20261130*R88121*ASN-2026-11**UT*141027",
        "N1*WH*east",
        "W07*24*EA**SK*TENT-2P",
        "W13*2*EA*01**NR",
        "W07*10*EA**SK*MUG-BLUE",
        "W14*34",
    ]


def test_a_return_body_has_the_rma_in_n9_an_lx_in_5010_and_one_w07_per_sku() -> None:
    body = write_944(RETURN, partner=PARTNER_5010)

    # The receipt number defaults to the moment as YYMMDDHHMMSS.
    assert texts_of(body) == [
        "W17*C*20261130*261130141027*RMA-1001-1**UT*141027",
        "N1*WH*east",
        "N9*RZ*RMA-1001-1",
        "LX*1",
        "W07*2*EA**SK*TENT-2P",
        "W13*1*EA*01**NR",
        "W07*3*EA**SK*MUG-BLUE",
        "W07*2*EA**SK*LAMP",
        "W13*2*EA*01**NR",
        "W14*7",
    ]


def test_return_lines_in_any_order_read_back_per_sku_restock_then_damaged() -> None:
    shuffled = dataclasses.replace(
        RETURN,
        lines=(
            ReturnedLine("TENT-2P", 1, "damaged"),
            ReturnedLine("MUG-BLUE", 1, "restock"),
            ReturnedLine("TENT-2P", 2, "restock"),
            ReturnedLine("MUG-BLUE", 2, "restock"),
        ),
    )
    data = _file(write_944(shuffled, partner=PARTNER), "004010")

    assert validate_x12(data) == []
    assert _read_file(data) == dataclasses.replace(
        RETURN,
        lines=(
            ReturnedLine("TENT-2P", 2, "restock"),
            ReturnedLine("TENT-2P", 1, "damaged"),
            ReturnedLine("MUG-BLUE", 3, "restock"),
        ),
    )


def test_two_receipt_lines_of_one_sku_read_back_added_up() -> None:
    receipt = dataclasses.replace(
        RECEIPT,
        lines=(ReceivedLine("TENT-2P", 4, damaged=1), ReceivedLine("MUG", 1), ReceivedLine("TENT-2P", 5, 2)),
    )
    data = _file(write_944(receipt, partner=PARTNER_5010), "005010")

    assert validate_x12(data) == []
    assert _read_file(data) == dataclasses.replace(
        RECEIPT, lines=(ReceivedLine("TENT-2P", 9, damaged=3), ReceivedLine("MUG", 1))
    )


def test_the_writer_refuses_what_a_944_cannot_carry() -> None:
    with pytest.raises(ValueError, match="no received line"):
        write_944(dataclasses.replace(RECEIPT, lines=()), partner=PARTNER)
    with pytest.raises(ValueError, match="W13: TENT-2P has 3 damaged of 2 received"):
        write_944(dataclasses.replace(RECEIPT, lines=(ReceivedLine("TENT-2P", 2, 3),)), partner=PARTNER)
    with pytest.raises(ValueError, match="W17-03"):
        write_944(RECEIPT, partner=PARTNER, receipt_number="R" * 13)
    with pytest.raises(ValueError, match="W17-04 must not be empty"):
        write_944(dataclasses.replace(RECEIPT, reference=""), partner=PARTNER)
    # The RMA goes to W17-04 (22 characters) as well as N9-02 (30): W17-04 is the limit.
    with pytest.raises(ValueError, match=r"W17-04: 'K{23}' is 23 characters, the element allows 22"):
        write_944(dataclasses.replace(RETURN, return_key="K" * 23), partner=PARTNER)
    with pytest.raises(ValueError, match="W07-05"):
        write_944(dataclasses.replace(RECEIPT, lines=(ReceivedLine("S" * 49, 1),)), partner=PARTNER)


# --- partner-style samples ----------------------------------------------------------------------------------


def test_the_partner_style_4010_receipt_reads_to_exact_values() -> None:
    data = (FIXTURES / "944_receipt_4010.edi").read_bytes()

    assert validate_x12(data) == []
    # SK before the U.P.C. and VN; two W07 of TENT-2P (lots) added up; the W13*01 marks 2 of the 24 damaged;
    # W17-07 1410 without seconds; N9*PO is not a return authorisation.
    assert _read_file(data, file_name="944_receipt_4010.edi") == ReceiptPosted(
        warehouse="east",
        occurred_at=datetime(2026, 11, 30, 14, 10, tzinfo=UTC),
        source=SourceDocument(
            kind="x12/944", reference="EAST3PL/000000501/0001", file_name="944_receipt_4010.edi"
        ),
        reference="ASN-2026-11",
        lines=(ReceivedLine("TENT-2P", 30, damaged=2), ReceivedLine("MUG-BLUE", 10)),
    )


def test_the_partner_style_5010_return_reads_to_exact_values() -> None:
    data = (FIXTURES / "944_return_5010.edi").read_bytes()

    assert validate_x12(data) == []
    # N9*RZ wins over W17-04; W13*03 (not damaged) is informative only.
    assert _read_file(data, warehouse="west") == ReturnReceived(
        warehouse="west",
        occurred_at=datetime(2026, 12, 1, 9, 15, tzinfo=UTC),
        source=SourceDocument(kind="x12/944", reference="WEST3PL/000000502/0003"),
        return_key="RMA-1001-1",
        lines=(
            ReturnedLine("TENT-2P", 1, "restock"),
            ReturnedLine("TENT-2P", 1, "damaged"),
            ReturnedLine("MUG-BLUE", 1, "restock"),
        ),
    )


def test_a_customer_return_without_n9_takes_its_key_from_w17_04() -> None:
    returned = _read_body("W17*C*20261201*R1*RMA-77", "N1*WH*East", "W07*2*EA**SK*MUG", "W14*2")

    assert returned == ReturnReceived(
        warehouse="east",
        occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
        source=returned.source,
        return_key="RMA-77",
        lines=(ReturnedLine("MUG", 2, "restock"),),
    )


def test_an_n9_rz_makes_any_receipt_a_return() -> None:
    returned = _read_body("W17*F*20261201*R1*ASN-1", "N9*RZ*RMA-9", "W07*1*UN**VN*V-MUG", "W13*1*EA*01")

    assert isinstance(returned, ReturnReceived)
    assert (returned.return_key, returned.lines) == ("RMA-9", (ReturnedLine("V-MUG", 1, "damaged"),))


@pytest.mark.parametrize(
    ("w17", "w07", "reference", "sku"),
    [
        ("W17*F*20261201*R1**SHIP-5", "W07*1*EA*012345678905", "SHIP-5", "012345678905"),
        ("W17*F*20261201*R1", "W07*1*EA**UP*0123*VN*V-1", "R1", "V-1"),
        ("W17*F*20261201*R1", "W07*1*EA**UP*0123*BP*B-1", "R1", "0123"),
        ("W17*F*20261201*R1", "W07*1*EA********SK*S-1", "R1", "S-1"),
        ("W17*F*20261201*R1", "W07*3.00*EA**SK*S-1", "R1", "S-1"),
    ],
    ids=["W17-05 and UPC", "receipt number and VN", "first pair", "W07-10/11", "decimal quantity"],
)
def test_which_reference_and_item_code_a_receipt_reads(w17: str, w07: str, reference: str, sku: str) -> None:
    receipt = _read_body(w17, w07)

    assert isinstance(receipt, ReceiptPosted)
    expected = 3 if w07.startswith("W07*3") else 1
    assert (receipt.reference, receipt.lines) == (reference, (ReceivedLine(sku, expected),))


# --- refused 944s -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "rule", "index", "tag", "element"),
    [
        (("N1*WH*East", "W07*1*EA**SK*MUG"), "missing-segment", 2, "W17", None),
        ((), "missing-segment", 2, "W17", None),
        (("W17*F*20261201**ASN-1", "W07*1*EA**SK*MUG"), "missing-element", 2, "W17", 3),
        (("W17*F*2026120*R1", "W07*1*EA**SK*MUG"), "invalid-date", 2, "W17", 2),
        (("W17*F*20261201*R1*ASN-1*S*UT*14X0", "W07*1*EA**SK*MUG"), "invalid-date", 2, "W17", 2),
        (("W17*F*20261201*R1", "N1*WH*East", "W14*0"), "missing-segment", 4, "W07", None),
        (("W17*F*20261201*R1", "N1*WH*East"), "missing-segment", 4, "W07", None),
        (("W17*F*20261201*R1", "W07*two*EA**SK*MUG"), "invalid-quantity", 3, "W07", 1),
        (("W17*F*20261201*R1", "W07*1.5*EA**SK*MUG"), "invalid-quantity", 3, "W07", 1),
        (("W17*F*20261201*R1", "W07*-1*EA**SK*MUG"), "invalid-quantity", 3, "W07", 1),
        (("W17*F*20261201*R1", "W07**EA**SK*MUG"), "invalid-quantity", 3, "W07", 1),
        (("W17*F*20261201*R1", "W07*1*CA**SK*MUG"), "invalid-code", 3, "W07", 2),
        (("W17*F*20261201*R1", "W07*1*EA"), "missing-element", 3, "W07", 5),
        (("W17*F*20261201*R1", "W07*2*EA**SK*MUG", "W13*1*CA*01"), "invalid-code", 4, "W13", 2),
        (("W17*F*20261201*R1", "W07*2*EA**SK*MUG", "W13*x*EA*01"), "invalid-quantity", 4, "W13", 1),
        (
            ("W17*F*20261201*R1", "W07*2*EA**SK*MUG", "W13*2*EA*01", "W13*1*EA*01"),
            "quantity-mismatch",
            5,
            "W13",
            1,
        ),
        (("W17*F*20261201*R1", "W07*2*EA**SK*MUG", "W14*3"), "total-mismatch", 4, "W14", 1),
        (("W17*F*20261201*R1", "W07*2*EA**SK*MUG", "W14*many"), "invalid-quantity", 4, "W14", 1),
        (("W17*C*20261201*R1", "W07*2*EA**SK*MUG"), "missing-element", 2, "W17", 4),
        (("W17*F*20261201*R1", "N9*RZ", "W07*2*EA**SK*MUG"), "missing-element", 3, "N9", 2),
    ],
    ids=[
        "no W17",
        "empty set",
        "no receipt number",
        "bad date",
        "bad time",
        "no W07",
        "no W07 nor W14",
        "quantity not a number",
        "fractional quantity",
        "negative quantity",
        "empty quantity",
        "cases",
        "item without code",
        "damaged in cases",
        "damaged not a number",
        "more damaged than received",
        "W14 total",
        "W14 not a number",
        "return without RMA",
        "empty N9 RZ",
    ],
)
def test_a_944_the_hub_cannot_read_is_refused_naming_the_segment(
    texts: tuple[str, ...], rule: str, index: int, tag: str, element: int | None
) -> None:
    error = refusal(lambda: _read_body(*texts))

    assert (error.rule, error.segment_index, error.segment_tag, error.element) == (rule, index, tag, element)
