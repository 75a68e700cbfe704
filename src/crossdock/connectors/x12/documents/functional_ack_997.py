"""997 Functional Acknowledgment (functional group FA): the answer to every functional group received, set by
set, accepted or rejected with the reasons. The hub answers each group a 3PL sends and reads the 997s a 3PL
sends for the hub's 940s and 180s.

Layout written and read::

    AK1*<GS-01>*<GS-06>[*<GS-08>]            the group acknowledged (AK1-03, its version: 005010 only)
    AK2*<ST-01>*<ST-02>[*<ST-03>]            one loop per set of the group (AK2-03: 005010 only)
      AK3*<tag>*<position>**<code 720>       a segment in error, its position in the set (ST = 1)
        AK4*<element position>**<code 723>   an element in error within that segment
      AK5*<A|E|R…>*<code 718>…               the set: A accepted, E accepted with errors noted,
                                             R/M/W/X rejected; up to five set error codes
    AK9*<A|E|P|R…>*<included>*<received>*<accepted>*<code 716>…
                                             the group: A accepted, E accepted with errors, P partially
                                             accepted (some set rejected), R rejected

The hub writes AK2/AK5 for every set (accepted or not), and for a rejected set one AK3 (with an AK4 when the
error names an element) per error that names a segment, from the ``X12Error`` rule: a missing segment →
AK3 code 3, a missing element → AK4 code 1, an invalid code → AK4 7, an invalid date → AK4 8, an invalid
quantity or character → AK4 6, any other reader rule → AK3 code 8 (segment has data element errors). Rules
of the envelope map onto AK5 codes instead (segment-count → 4, ctrl-mismatch → 3, missing-se → 2,
unsupported-set → 1); any other error gives AK5 code 5 (one or more segments in error).

004010 vs 005010: 005010 adds AK1-03 (version) and AK2-03 (implementation convention reference), widens
AK3-02 (10 digits) and AK4-01 (a third component, the repetition position), and adds codes (718 17-27,
723 12-13…). 999's IK3/IK4/IK5 are a different set (implementation acknowledgment); a 997 keeps AK3/AK4/AK5
in both versions. The reader accepts either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec.errors import X12Error
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.elements import (
    body_error,
    build_segment,
    opening_segment,
    required_element,
)
from crossdock.connectors.x12.model import FunctionalGroup, Interchange, Segment, TransactionSet
from crossdock.domain.warehouse import SourceDocument

# AK5-01 (717) and AK9-01 (715): which codes accept.
_SET_STATUSES: Mapping[str, str] = MappingProxyType(
    {
        "A": "accepted",
        "E": "accepted, but errors were noted",
        "M": "rejected, message authentication code failed",
        "R": "rejected",
        "W": "rejected, assurance failed validity tests",
        "X": "rejected, content after decryption could not be analyzed",
    }
)
_GROUP_STATUSES: Mapping[str, str] = MappingProxyType(
    dict(_SET_STATUSES) | {"P": "partially accepted, at least one transaction set was rejected"}
)
_ACCEPTED = frozenset({"A", "E"})
# 718 (AK5-02…06), 720 (AK3-04), 723 (AK4-03), 716 (AK9-05…09): texts for the error codes, read back.
_SET_ERRORS: Mapping[str, str] = MappingProxyType(
    {
        "1": "transaction set not supported",
        "2": "transaction set trailer missing",
        "3": "transaction set control number in header and trailer do not match",
        "4": "number of included segments does not match actual count",
        "5": "one or more segments in error",
        "6": "missing or invalid transaction set identifier",
        "7": "missing or invalid transaction set control number",
        "23": "transaction set control number not unique within the functional group",
    }
)
_SEGMENT_ERRORS: Mapping[str, str] = MappingProxyType(
    {
        "1": "unrecognized segment ID",
        "2": "unexpected segment",
        "3": "mandatory segment missing",
        "4": "loop occurs over maximum times",
        "5": "segment exceeds maximum use",
        "6": "segment not in defined transaction set",
        "7": "segment not in proper sequence",
        "8": "segment has data element errors",
    }
)
_ELEMENT_ERRORS: Mapping[str, str] = MappingProxyType(
    {
        "1": "mandatory data element missing",
        "2": "conditional required data element missing",
        "3": "too many data elements",
        "4": "data element too short",
        "5": "data element too long",
        "6": "invalid character in data element",
        "7": "invalid code value",
        "8": "invalid date",
        "9": "invalid time",
        "10": "exclusion condition violated",
        "12": "too many repetitions",
        "13": "too many components",
    }
)
_GROUP_ERRORS: Mapping[str, str] = MappingProxyType(
    {
        "1": "functional group not supported",
        "2": "functional group version not supported",
        "3": "functional group trailer missing",
        "4": "group control number in the header and trailer do not agree",
        "5": "number of included transaction sets does not match actual count",
        "6": "group control number violates syntax",
    }
)
# X12Error rules of the envelope → AK5 set error codes (no AK3: the set as a whole is wrong).
_SET_ERROR_BY_RULE: Mapping[str, str] = MappingProxyType(
    {"unsupported-set": "1", "missing-se": "2", "ctrl-mismatch": "3", "segment-count": "4"}
)
# Reader rules naming an element → AK4 element error codes; AK3 then says "segment has data element errors".
_ELEMENT_ERROR_BY_RULE: Mapping[str, str] = MappingProxyType(
    {
        "missing-element": "1",
        "invalid-quantity": "6",
        "control-character": "6",
        "invalid-code": "7",
        "invalid-date": "8",
        "invalid-time": "9",
    }
)
_SEGMENT_ERROR_BY_RULE: Mapping[str, str] = MappingProxyType(
    {"missing-segment": "3", "unexpected-segment": "2", "unknown-segment-order": "7"}
)
_ANY_SEGMENT_ERROR = "5"
_ELEMENT_ERRORS_IN_SEGMENT = "8"
_MAX_SET_ERROR_CODES = 5


@dataclass(frozen=True)
class SetAcknowledgment:
    """One AK2 loop: the set acknowledged (ST-01, ST-02), whether it was accepted and why not."""

    set_code: str
    control_number: str
    status: str
    accepted: bool
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionalAcknowledgment:
    """A 997 read: the group it answers (GS-01 and GS-06 of the acknowledged group), the group's status
    (AK9-01: A, E, P or R…), each set's answer, and the counts AK9 gives."""

    warehouse: str
    received_at: datetime
    source: SourceDocument
    functional_id: str
    group_control_number: str
    group_status: str
    group_accepted: bool
    set_results: tuple[SetAcknowledgment, ...]
    sets_included: int
    sets_received: int
    sets_accepted: int
    group_errors: tuple[str, ...] = ()
    # AK1-03, the version of the acknowledged group (005010 only).
    version: str | None = None


# --- writing ------------------------------------------------------------------------------------------------


def write_997(
    interchange: Interchange,
    group: FunctionalGroup,
    errors: Mapping[str, Sequence[X12Error]] | None,
    *,
    partner: X12PartnerSettings,
) -> tuple[Segment, ...]:
    """The body (without ST/SE) of the 997 answering ``group``: ``errors`` maps set control numbers (ST-02)
    to what was wrong with that set (errors of the set readers: ``segment_index`` counts from ST = 1); a set
    with errors is rejected, the others accepted. The 997 is written in ``partner.version``.

    A ``missing-segment`` error names the missing segment (``segment_tag``) and the position where it was
    expected (``segment_index``): AK3-01/02 with AK3-04 code 3, as X12 asks."""
    del interchange  # the answer depends on the group only; kept for the common call
    errors = errors or {}
    control_numbers = {transaction_set.control_number for transaction_set in group.transaction_sets}
    unknown = sorted(set(errors) - control_numbers)
    if unknown:
        raise ValueError(f"997: errors name sets {unknown} that group {group.control_number} does not hold")
    five = partner.version == "005010"
    body: list[Segment] = [
        build_segment("AK1", group.functional_id, group.control_number, group.version if five else ""),
    ]
    accepted = 0
    for transaction_set in group.transaction_sets:
        set_errors = list(errors.get(transaction_set.control_number, ()))
        reference = (transaction_set.implementation_reference or "") if five else ""
        body.append(build_segment("AK2", transaction_set.code, transaction_set.control_number, reference))
        if not set_errors:
            accepted += 1
            body.append(build_segment("AK5", "A"))
            continue
        codes: list[str] = []
        for error in set_errors:
            set_code = _SET_ERROR_BY_RULE.get(error.rule)
            if set_code is None and error.segment_index is not None and error.segment_tag:
                body.extend(_segment_error(error, error.segment_tag, error.segment_index))
            codes.append(set_code or _ANY_SEGMENT_ERROR)
        body.append(build_segment("AK5", "R", *list(dict.fromkeys(codes))[:_MAX_SET_ERROR_CODES]))
    count = len(group.transaction_sets)
    if accepted == count:
        status = "A"
    elif accepted == 0:
        status = "R"
    else:
        status = "P"
    body.append(build_segment("AK9", status, str(count), str(count), str(accepted)))
    return tuple(body)


def _segment_error(error: X12Error, tag: str, position: int) -> list[Segment]:
    """AK3 (and AK4) for an error at segment ``position`` of the set (ST = 1)."""
    element_code = _ELEMENT_ERROR_BY_RULE.get(error.rule)
    if element_code is not None and error.element is not None:
        return [
            build_segment("AK3", tag, str(position), "", _ELEMENT_ERRORS_IN_SEGMENT),
            build_segment("AK4", str(error.element), "", element_code),
        ]
    segment_code = _SEGMENT_ERROR_BY_RULE.get(error.rule, _ELEMENT_ERRORS_IN_SEGMENT)
    return [build_segment("AK3", tag, str(position), "", segment_code)]


# --- reading ------------------------------------------------------------------------------------------------


def read_997(transaction_set: TransactionSet, context: ReadContext) -> FunctionalAcknowledgment:
    """The acknowledgment a 997 gives."""
    segments = transaction_set.segments
    ak1 = opening_segment(segments, "997", "AK1")
    functional_id = required_element(ak1, 1, 0, "functional identifier code")
    group_control = required_element(ak1, 2, 0, "group control number")
    sets: list[SetAcknowledgment] = []
    current: _SetBuilder | None = None
    ak9: tuple[Segment, int] | None = None
    for index, segment in enumerate(segments[1:], 1):
        tag = segment.tag
        if tag == "AK2":
            if current is not None:
                # The AK5 closing the open loop was expected where this AK2 is.
                raise body_error(
                    "missing-segment", f"AK2 loop of set {current.control_number} has no AK5", index, "AK5"
                )
            current = _SetBuilder(
                set_code=required_element(segment, 1, index, "transaction set identifier"),
                control_number=required_element(segment, 2, index, "transaction set control number"),
            )
        elif tag == "AK3" and current is not None:
            code = segment.element(4)
            what = _SEGMENT_ERRORS.get(code, f"segment error {code}" if code else "segment in error")
            current.errors.append(f"{segment.element(1)} at position {segment.element(2)}: {what}")
        elif tag == "AK4" and current is not None:
            code = segment.element(3)
            what = _ELEMENT_ERRORS.get(code, f"element error {code}")
            bad = f" ({segment.element(4)!r})" if segment.element(4) else ""
            current.errors.append(f"element {segment.element(1)}: {what}{bad}")
        elif tag == "AK5":
            if current is None:
                raise body_error("unexpected-segment", "AK5 outside an AK2 loop", index, "AK5")
            sets.append(_set_answer(segment, index, current))
            current = None
        elif tag == "AK9":
            ak9 = (segment, index)
    if current is not None:
        raise body_error(
            "missing-segment", f"AK2 loop of set {current.control_number} has no AK5", len(segments), "AK5"
        )
    if ak9 is None:
        raise body_error("missing-segment", "a 997 ends with AK9, the set has none", len(segments), "AK9")
    ak9_segment, ak9_index = ak9
    group_status = _status(ak9_segment, ak9_index, _GROUP_STATUSES, "AK9-01 group acknowledgment")
    return FunctionalAcknowledgment(
        warehouse=context.warehouse,
        received_at=context.envelope_time(),
        source=context.source(transaction_set),
        functional_id=functional_id,
        group_control_number=group_control,
        group_status=group_status,
        group_accepted=group_status in _ACCEPTED,
        set_results=tuple(sets),
        sets_included=_count(ak9_segment, 2, ak9_index, "number of transaction sets included"),
        sets_received=_count(ak9_segment, 3, ak9_index, "number of received transaction sets"),
        sets_accepted=_count(ak9_segment, 4, ak9_index, "number of accepted transaction sets"),
        group_errors=tuple(
            _GROUP_ERRORS.get(code, f"group error {code}") for code in _codes(ak9_segment, range(5, 10))
        ),
        version=ak1.element(3) or None,
    )


@dataclass
class _SetBuilder:
    set_code: str
    control_number: str
    errors: list[str] = field(default_factory=list)


def _set_answer(ak5: Segment, index: int, builder: _SetBuilder) -> SetAcknowledgment:
    status = _status(ak5, index, _SET_STATUSES, "AK5-01 set acknowledgment")
    reasons = [_SET_ERRORS.get(code, f"set error {code}") for code in _codes(ak5, range(2, 7))]
    return SetAcknowledgment(
        set_code=builder.set_code,
        control_number=builder.control_number,
        status=status,
        accepted=status in _ACCEPTED,
        errors=tuple(reasons + builder.errors),
    )


def _status(segment: Segment, index: int, known: Mapping[str, str], what: str) -> str:
    code = segment.element(1)
    if code not in known:
        message = f"{what} code {code!r} is not one of {', '.join(known)}"
        raise body_error("invalid-code", message, index, segment.tag, 1)
    return code


def _codes(segment: Segment, positions: range) -> list[str]:
    return [segment.element(position) for position in positions if segment.element(position)]


def _count(segment: Segment, position: int, index: int, what: str) -> int:
    text = segment.element(position).strip()
    if not text.isdigit():
        message = f"{segment.tag}-{position:02d} {what} {text!r} is not a whole number"
        raise body_error("invalid-quantity", message, index, segment.tag, position)
    return int(text)
