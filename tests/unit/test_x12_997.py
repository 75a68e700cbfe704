"""997 functional acknowledgment: the answers the hub writes for a group (all accepted, partly or wholly
rejected, with AK3/AK4 from the readers' X12Errors), checked by bots and read back through the codec in 4010
and 5010; partner-style samples; the 997s the reader refuses."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec import X12Error
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.functional_ack_997 import (
    FunctionalAcknowledgment,
    SetAcknowledgment,
    read_997,
    write_997,
)
from crossdock.connectors.x12.documents.warehouse_receipt_944 import read_944, write_944
from crossdock.connectors.x12.model import FunctionalGroup, Interchange, Segment, TransactionSet
from crossdock.domain.warehouse import ReceiptPosted, ReceivedLine, SourceDocument
from tests.support.x12_sets import (
    Envelope,
    read_back,
    read_body,
    read_first_set,
    refusal,
    segments_of,
    texts_of,
)
from tests.support.x12_validator import validate_x12

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"
MOMENT = datetime(2026, 11, 30, 14, 10, tzinfo=UTC)
ANSWERED_AT = datetime(2026, 11, 30, 16, 5, tzinfo=UTC)
PARTNERS = {
    version: X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL", version=version)
    for version in ("004010", "005010")
}
# What a 3PL sends (944s, group 4711) and the 997 the hub sends back (ISA13 812, group 812, set 0001).
RECEIVED = Envelope("EAST3PL", "CROSSDOCK", control=4711, now=datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
ANSWER = Envelope("CROSSDOCK", "EAST3PL", control=812, now=ANSWERED_AT, acknowledgment_requested=False)
RECEIPT = ReceiptPosted(
    warehouse="east",
    occurred_at=MOMENT,
    source=SourceDocument(kind="x12/944", reference="EAST3PL/000004711/0001"),
    reference="ASN-1",
    lines=(ReceivedLine("TENT-2P", 2), ReceivedLine("MUG", 1)),
)
VALID_944 = write_944(RECEIPT, partner=PARTNERS["004010"], receipt_number="R1")
# W17, N1, W07 (position 4 of the set), W07, W14: the first W07 says "two" units.
BAD_QUANTITY_944 = (*VALID_944[:2], Segment("W07", ("two", "EA", "", "SK", "TENT-2P")), *VALID_944[3:])


def _received(*bodies: tuple[Segment, ...]) -> tuple[Interchange, FunctionalGroup]:
    """The interchange of 944s a 3PL sends (sets 0001, 0002… of group 4711), as the hub reads it."""
    return read_back(RECEIVED.file_of_sets([("944", "RE", body) for body in bodies], "004010"))


def _errors(interchange: Interchange, group: FunctionalGroup) -> dict[str, list[X12Error]]:
    """What the 944 reader finds wrong with each set of ``group``, as the inbound pipeline collects it."""
    errors: dict[str, list[X12Error]] = {}
    context = ReadContext("east", PARTNERS["004010"], interchange, group)
    for transaction_set in group.transaction_sets:
        try:
            read_944(transaction_set, context)
        except X12Error as error:
            errors[transaction_set.control_number] = [error]
    return errors


def _answer(body: tuple[Segment, ...], version: str) -> bytes:
    """The 997 the hub sends back (ISA13 812, group 812, set 0001)."""
    return ANSWER.file("997", "FA", body, version)


def _read_file(data: bytes, warehouse: str = "east") -> FunctionalAcknowledgment:
    return read_first_set(data, read_997, PARTNERS["004010"], warehouse=warehouse)


def _read_body(*texts: str) -> FunctionalAcknowledgment:
    """A 997 body written as X12 text ("AK2*944*0001")."""
    envelope = _answer((Segment("AK1", ("RE", "1")), Segment("AK9", ("A", "0", "0", "0"))), "004010")
    return read_body(segments_of(*texts), read_997, PARTNERS["004010"], envelope=envelope, code="997")


def _acknowledgment(
    version: str, status: str, sets: tuple[SetAcknowledgment, ...]
) -> FunctionalAcknowledgment:
    accepted = sum(result.accepted for result in sets)
    return FunctionalAcknowledgment(
        warehouse="east",
        received_at=datetime(2026, 11, 30, 16, 5, tzinfo=UTC),
        source=SourceDocument(kind="x12/997", reference="CROSSDOCK/000000812/0001"),
        functional_id="RE",
        group_control_number="4711",
        group_status=status,
        group_accepted=status == "A",
        set_results=sets,
        sets_included=len(sets),
        sets_received=len(sets),
        sets_accepted=accepted,
        version="004010" if version == "005010" else None,
    )


ACCEPTED_1 = SetAcknowledgment("944", "0001", "A", accepted=True)
ACCEPTED_2 = SetAcknowledgment("944", "0002", "A", accepted=True)
BAD_QUANTITY_REASONS = (
    "one or more segments in error",
    "W07 at position 4: segment has data element errors",
    "element 1: invalid character in data element",
)


# --- what the hub writes, checked by bots and read back ----------------------------------------------------


def test_the_readers_error_names_the_segment_the_997_reports() -> None:
    interchange, group = _received(BAD_QUANTITY_944)

    (error,) = _errors(interchange, group)["0001"]

    assert (error.rule, error.segment_index, error.segment_tag, error.element) == (
        "invalid-quantity",
        4,
        "W07",
        1,
    )


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_group_with_every_set_accepted_is_answered_a(version: str) -> None:
    interchange, group = _received(VALID_944, VALID_944)
    assert _errors(interchange, group) == {}

    body = write_997(interchange, group, None, partner=PARTNERS[version])

    ak1 = "AK1*RE*4711*004010" if version == "005010" else "AK1*RE*4711"
    assert texts_of(body) == [ak1, "AK2*944*0001", "AK5*A", "AK2*944*0002", "AK5*A", "AK9*A*2*2*2"]
    data = _answer(body, version)
    assert validate_x12(data) == []
    assert _read_file(data) == _acknowledgment(version, "A", (ACCEPTED_1, ACCEPTED_2))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_group_with_one_set_rejected_is_partially_accepted(version: str) -> None:
    interchange, group = _received(VALID_944, BAD_QUANTITY_944)
    errors = _errors(interchange, group)
    assert list(errors) == ["0002"]

    body = write_997(interchange, group, errors, partner=PARTNERS[version])

    assert texts_of(body)[1:] == [
        "AK2*944*0001",
        "AK5*A",
        "AK2*944*0002",
        "AK3*W07*4**8",
        "AK4*1**6",
        "AK5*R*5",
        "AK9*P*2*2*1",
    ]
    data = _answer(body, version)
    assert validate_x12(data) == []
    rejected = SetAcknowledgment("944", "0002", "R", accepted=False, errors=BAD_QUANTITY_REASONS)
    assert _read_file(data) == _acknowledgment(version, "P", (ACCEPTED_1, rejected))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_group_with_every_set_rejected_is_rejected(version: str) -> None:
    no_w07 = (*VALID_944[:2], Segment("W14", ("0",)))
    interchange, group = _received(no_w07, BAD_QUANTITY_944)

    body = write_997(interchange, group, _errors(interchange, group), partner=PARTNERS[version])

    assert texts_of(body)[1:] == [
        "AK2*944*0001",
        "AK3*W07*4**3",
        "AK5*R*5",
        "AK2*944*0002",
        "AK3*W07*4**8",
        "AK4*1**6",
        "AK5*R*5",
        "AK9*R*2*2*0",
    ]
    data = _answer(body, version)
    assert validate_x12(data) == []
    assert _read_file(data) == _acknowledgment(
        version,
        "R",
        (
            SetAcknowledgment(
                "944",
                "0001",
                "R",
                accepted=False,
                errors=("one or more segments in error", "W07 at position 4: mandatory segment missing"),
            ),
            SetAcknowledgment("944", "0002", "R", accepted=False, errors=BAD_QUANTITY_REASONS),
        ),
    )


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_944_without_w17_is_answered_naming_w17_where_it_was_expected(version: str) -> None:
    # N1 (position 2 of the set), W07, W07, W14: the W17 that opens a 944 is missing.
    interchange, group = _received(VALID_944[1:])
    errors = _errors(interchange, group)
    (error,) = errors["0001"]
    assert (error.rule, error.segment_index, error.segment_tag) == ("missing-segment", 2, "W17")

    body = write_997(interchange, group, errors, partner=PARTNERS[version])

    assert texts_of(body)[1:] == ["AK2*944*0001", "AK3*W17*2**3", "AK5*R*5", "AK9*R*1*1*0"]
    data = _answer(body, version)
    assert validate_x12(data) == []
    rejected = SetAcknowledgment(
        "944",
        "0001",
        "R",
        accepted=False,
        errors=("one or more segments in error", "W17 at position 2: mandatory segment missing"),
    )
    assert _read_file(data) == _acknowledgment(version, "R", (rejected,))


@pytest.mark.parametrize(
    ("error", "written"),
    [
        (
            X12Error("missing-element", "m", segment_index=3, segment_tag="W17", element=3),
            ["AK3*W17*3**8", "AK4*3**1", "AK5*R*5"],
        ),
        (
            X12Error("invalid-code", "m", segment_index=5, segment_tag="W07", element=2),
            ["AK3*W07*5**8", "AK4*2**7", "AK5*R*5"],
        ),
        (
            X12Error("invalid-date", "m", segment_index=2, segment_tag="W17", element=2),
            ["AK3*W17*2**8", "AK4*2**8", "AK5*R*5"],
        ),
        (
            X12Error("invalid-time", "m", segment_index=2, segment_tag="W17", element=7),
            ["AK3*W17*2**8", "AK4*7**9", "AK5*R*5"],
        ),
        (
            X12Error("control-character", "m", segment_index=4, segment_tag="N1", element=2),
            ["AK3*N1*4**8", "AK4*2**6", "AK5*R*5"],
        ),
        (
            X12Error("unexpected-segment", "m", segment_index=6, segment_tag="AK5"),
            ["AK3*AK5*6**2", "AK5*R*5"],
        ),
        (
            X12Error("unknown-segment-order", "m", segment_index=6, segment_tag="N9"),
            ["AK3*N9*6**7", "AK5*R*5"],
        ),
        (
            X12Error("total-mismatch", "m", segment_index=7, segment_tag="W14", element=1),
            ["AK3*W14*7**8", "AK5*R*5"],
        ),
        (X12Error("invalid-code", "m", segment_index=5, segment_tag="W07"), ["AK3*W07*5**8", "AK5*R*5"]),
        (X12Error("invalid-code", "m", element=2), ["AK5*R*5"]),
        (X12Error("unsupported-set", "m", segment_tag="ST", element=1), ["AK5*R*1"]),
        (X12Error("missing-se", "m", segment_index=9, segment_tag="ST"), ["AK5*R*2"]),
        (X12Error("ctrl-mismatch", "m", segment_index=9, segment_tag="SE", element=2), ["AK5*R*3"]),
        (X12Error("segment-count", "m", segment_index=9, segment_tag="SE", element=1), ["AK5*R*4"]),
    ],
    ids=[
        "missing element",
        "invalid code",
        "invalid date",
        "invalid time",
        "control character",
        "unexpected segment",
        "segment order",
        "other reader rule",
        "element rule without element",
        "no segment",
        "unsupported set",
        "missing SE",
        "control numbers",
        "segment count",
    ],
)
def test_each_rule_maps_to_its_997_codes(error: X12Error, written: list[str]) -> None:
    interchange, group = _received(VALID_944)

    body = write_997(interchange, group, {"0001": [error]}, partner=PARTNERS["004010"])

    assert texts_of(body) == ["AK1*RE*4711", "AK2*944*0001", *written, "AK9*R*1*1*0"]
    assert validate_x12(_answer(body, "004010")) == []


def test_several_errors_of_one_set_give_several_ak3_and_distinct_ak5_codes() -> None:
    interchange, group = _received(VALID_944)
    errors = [
        X12Error("segment-count", "m", segment_index=8, segment_tag="SE", element=1),
        X12Error("missing-segment", "m", segment_index=2, segment_tag="W17"),
        X12Error("invalid-quantity", "m", segment_index=4, segment_tag="W07", element=1),
        X12Error("ctrl-mismatch", "m", segment_index=8, segment_tag="SE", element=2),
    ]

    body = write_997(interchange, group, {"0001": errors}, partner=PARTNERS["004010"])

    assert texts_of(body)[2:] == ["AK3*W17*2**3", "AK3*W07*4**8", "AK4*1**6", "AK5*R*4*5*3", "AK9*R*1*1*0"]
    data = _answer(body, "004010")
    assert validate_x12(data) == []
    assert _read_file(data).set_results[0].errors == (
        "number of included segments does not match actual count",
        "one or more segments in error",
        "transaction set control number in header and trailer do not match",
        "W17 at position 2: mandatory segment missing",
        "W07 at position 4: segment has data element errors",
        "element 1: invalid character in data element",
    )


def test_the_5010_answer_carries_the_implementation_reference_of_each_set() -> None:
    interchange, group = _received(VALID_944)
    referenced = TransactionSet("944", "0001", VALID_944, implementation_reference="005010X999")
    group = dataclasses.replace(group, transaction_sets=(referenced,))

    assert texts_of(write_997(interchange, group, None, partner=PARTNERS["005010"]))[:2] == [
        "AK1*RE*4711*004010",
        "AK2*944*0001*005010X999",
    ]
    assert texts_of(write_997(interchange, group, None, partner=PARTNERS["004010"]))[:2] == [
        "AK1*RE*4711",
        "AK2*944*0001",
    ]


def test_errors_for_a_set_the_group_does_not_hold_are_refused() -> None:
    interchange, group = _received(VALID_944)

    with pytest.raises(ValueError, match=r"errors name sets \['0009'\] that group 4711 does not hold"):
        write_997(interchange, group, {"0009": [X12Error("missing-se", "m")]}, partner=PARTNERS["004010"])


# --- partner-style samples ----------------------------------------------------------------------------------


def test_the_partner_style_4010_acceptance_reads_to_exact_values() -> None:
    data = (FIXTURES / "997_accepted_4010.edi").read_bytes()

    assert validate_x12(data) == []
    # 004010 lets a group accepted as a whole leave out the AK2 loops.
    assert _read_file(data) == FunctionalAcknowledgment(
        warehouse="east",
        received_at=datetime(2026, 11, 30, 8, 15, tzinfo=UTC),
        source=SourceDocument(kind="x12/997", reference="EAST3PL/000000602/0001"),
        functional_id="AN",
        group_control_number="9",
        group_status="A",
        group_accepted=True,
        set_results=(),
        sets_included=1,
        sets_received=1,
        sets_accepted=1,
        group_errors=(),
        version=None,
    )


def test_the_partner_style_5010_partial_acceptance_reads_to_exact_values() -> None:
    data = (FIXTURES / "997_partial_5010.edi").read_bytes()

    assert validate_x12(data) == []
    assert _read_file(data, warehouse="west") == FunctionalAcknowledgment(
        warehouse="west",
        received_at=datetime(2026, 11, 30, 8, 15, tzinfo=UTC),
        source=SourceDocument(kind="x12/997", reference="WEST3PL/000000601/0001"),
        functional_id="OW",
        group_control_number="17",
        group_status="P",
        group_accepted=False,
        set_results=(
            SetAcknowledgment("940", "0001", "A", accepted=True),
            SetAcknowledgment(
                "940",
                "0002",
                "R",
                accepted=False,
                errors=(
                    "one or more segments in error",
                    "W01 at position 6: segment has data element errors",
                    "element 1: invalid character in data element ('ABC')",
                ),
            ),
        ),
        sets_included=2,
        sets_received=2,
        sets_accepted=1,
        group_errors=(),
        version="005010",
    )


def test_accepted_with_errors_and_group_error_codes_are_read() -> None:
    acknowledgment = _read_body(
        "AK1*OW*17", "AK2*940*0001", "AK5*E*99", "AK2*940*0002", "AK3*W05*2", "AK5*A", "AK9*E*2*3*2*5*42"
    )

    assert (acknowledgment.group_status, acknowledgment.group_accepted) == ("E", True)
    assert acknowledgment.group_errors == (
        "number of included transaction sets does not match actual count",
        "group error 42",
    )
    assert acknowledgment.set_results == (
        SetAcknowledgment("940", "0001", "E", accepted=True, errors=("set error 99",)),
        SetAcknowledgment("940", "0002", "A", accepted=True, errors=("W05 at position 2: segment in error",)),
    )
    assert (acknowledgment.sets_included, acknowledgment.sets_received, acknowledgment.sets_accepted) == (
        2,
        3,
        2,
    )


# --- refused 997s -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "rule", "index", "tag", "element"),
    [
        (("AK2*940*0001", "AK5*A", "AK9*A*1*1*1"), "missing-segment", 2, "AK1", None),
        ((), "missing-segment", 2, "AK1", None),
        (("AK1**17", "AK9*A*1*1*1"), "missing-element", 2, "AK1", 1),
        (("AK1*OW", "AK9*A*1*1*1"), "missing-element", 2, "AK1", 2),
        (("AK1*OW*17", "AK2*940*0001", "AK5*A"), "missing-segment", 5, "AK9", None),
        (
            ("AK1*OW*17", "AK2*940*0001", "AK2*940*0002", "AK5*A", "AK9*A*2*2*2"),
            "missing-segment",
            4,
            "AK5",
            None,
        ),
        (("AK1*OW*17", "AK2*940*0001", "AK9*A*1*1*1"), "missing-segment", 5, "AK5", None),
        (("AK1*OW*17", "AK5*A", "AK9*A*1*1*1"), "unexpected-segment", 3, "AK5", None),
        (("AK1*OW*17", "AK2*940", "AK5*A", "AK9*A*1*1*1"), "missing-element", 3, "AK2", 2),
        (("AK1*OW*17", "AK2**0001", "AK5*A", "AK9*A*1*1*1"), "missing-element", 3, "AK2", 1),
        (("AK1*OW*17", "AK2*940*0001", "AK5*P", "AK9*A*1*1*1"), "invalid-code", 4, "AK5", 1),
        (("AK1*OW*17", "AK9*Q*1*1*1"), "invalid-code", 3, "AK9", 1),
        (("AK1*OW*17", "AK9*A*one*1*1"), "invalid-quantity", 3, "AK9", 2),
        (("AK1*OW*17", "AK9*A*1**1"), "invalid-quantity", 3, "AK9", 3),
        (("AK1*OW*17", "AK9*A*1*1*-1"), "invalid-quantity", 3, "AK9", 4),
    ],
    ids=[
        "no AK1",
        "empty set",
        "no group code",
        "no group control number",
        "no AK9",
        "AK2 loop without AK5",
        "last AK2 loop without AK5",
        "AK5 outside a loop",
        "AK2 without control number",
        "AK2 without set code",
        "P is no set status",
        "unknown group status",
        "included not a number",
        "received empty",
        "accepted negative",
    ],
)
def test_a_997_the_hub_cannot_read_is_refused_naming_the_segment(
    texts: tuple[str, ...], rule: str, index: int, tag: str, element: int | None
) -> None:
    error = refusal(lambda: _read_body(*texts))

    assert (error.rule, error.segment_index, error.segment_tag, error.element) == (rule, index, tag, element)
