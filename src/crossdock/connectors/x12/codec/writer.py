"""``Interchange`` → bytes: the ISA at its fixed width, trailers (SE, GE, IEA) with their counts computed.

Elements are written as given, except that trailing empty elements are dropped (X12 does not transmit them;
"N1*ST*Jane**" is written "N1*ST*Jane"). A value holding the element separator or the segment terminator
would change the file's structure when read back and is refused (rule ``delimiter-in-value``); the component
and repetition separators are allowed inside body elements, where they mean composites and repeats.
"""

from __future__ import annotations

from collections.abc import Iterator

from crossdock.connectors.x12.codec.errors import X12Error
from crossdock.connectors.x12.codec.tokenizer import ISA_WIDTHS
from crossdock.connectors.x12.model import Delimiters, FunctionalGroup, Interchange, Segment, TransactionSet

# What follows each segment terminator: both are legal; a newline keeps files readable in a terminal.
LINE_ENDINGS = ("", "\n", "\r\n")
_ENVELOPE_TAGS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})


def write_interchange(interchange: Interchange, *, line_ending: str = "\n") -> bytes:
    """The file for ``interchange``, latin-1 encoded; X12Error names the segment and element at fault."""
    if line_ending not in LINE_ENDINGS:
        raise ValueError(f"line_ending must be one of {LINE_ENDINGS!r}, got {line_ending!r}")
    delimiters = interchange.delimiters
    _check_delimiters(delimiters)
    parts: list[bytes] = []
    for index, segment in enumerate(_segments(interchange), start=1):
        text = _segment_text(segment, delimiters, index)
        try:
            parts.append((text + delimiters.segment + line_ending).encode("latin-1"))
        except UnicodeEncodeError as error:
            raise X12Error(
                "encoding",
                f"{text[error.start]!r} cannot be written in an X12 file (ASCII/latin-1 only)",
                segment_index=index,
                segment_tag=segment.tag,
                excerpt=text,
            ) from None
    return b"".join(parts)


def _segments(interchange: Interchange) -> Iterator[Segment]:
    yield _isa(interchange)
    for group in interchange.groups:
        yield _gs(group)
        for transaction_set in group.transaction_sets:
            yield _st(transaction_set)
            for segment in transaction_set.segments:
                if segment.tag in _ENVELOPE_TAGS:
                    # The writer makes the envelope; one inside a body would end the set early when read.
                    raise X12Error(
                        "envelope-in-body",
                        f"set {transaction_set.code} {transaction_set.control_number} holds a {segment.tag} "
                        "segment in its body: envelope segments are written from the model, not the body",
                        segment_tag=segment.tag,
                    )
                yield segment
            yield Segment("SE", (str(len(transaction_set.segments) + 2), transaction_set.control_number))
        yield Segment("GE", (str(len(group.transaction_sets)), group.control_number))
    yield Segment("IEA", (str(len(interchange.groups)), _isa_control_number(interchange.control_number)))


def _isa(interchange: Interchange) -> Segment:
    delimiters = interchange.delimiters
    values = (
        interchange.authorization[0],
        interchange.authorization[1],
        interchange.security[0],
        interchange.security[1],
        interchange.sender.qualifier,
        interchange.sender.identifier,
        interchange.receiver.qualifier,
        interchange.receiver.identifier,
        interchange.date,
        interchange.time,
        delimiters.repetition or "U",
        interchange.version,
        _isa_control_number(interchange.control_number),
        "1" if interchange.acknowledgment_requested else "0",
        interchange.usage,
    )
    for position, value in enumerate(values, start=1):
        width = ISA_WIDTHS[position - 1]
        if len(value) > width:
            raise X12Error(
                "isa-length",
                f"ISA{position:02d} is {value!r}, {len(value)} characters where at most {width} fit",
                segment_index=1,
                segment_tag="ISA",
                element=position,
            )
        if position != 11 and _holds_delimiter(value, delimiters, allow_composites=False):
            raise _delimiter_in_value("ISA", position, value, 1)
    for position, digits in ((9, 6), (10, 4)):
        value = values[position - 1]
        if len(value) != digits or not value.isdigit():
            shape = "YYMMDD" if position == 9 else "HHMM"
            raise X12Error(
                "isa-value",
                f"ISA{position:02d} is {value!r}, expected {shape}",
                segment_index=1,
                segment_tag="ISA",
                element=position,
            )
    padded = tuple(value.ljust(width) for value, width in zip(values, ISA_WIDTHS, strict=False))
    return Segment("ISA", (*padded, delimiters.component))


def _isa_control_number(control_number: str) -> str:
    if not control_number.isdigit() or len(control_number) > 9:
        raise X12Error(
            "isa-value",
            f"the interchange control number (ISA13, IEA02) is {control_number!r}: expected up to 9 digits",
            segment_index=1,
            segment_tag="ISA",
            element=13,
        )
    return control_number.zfill(9)


def _gs(group: FunctionalGroup) -> Segment:
    return Segment(
        "GS",
        (
            group.functional_id,
            group.sender_code,
            group.receiver_code,
            group.date,
            group.time,
            group.control_number,
            group.agency,
            group.version,
        ),
    )


def _st(transaction_set: TransactionSet) -> Segment:
    reference = transaction_set.implementation_reference
    elements = (transaction_set.code, transaction_set.control_number, *([reference] if reference else []))
    return Segment("ST", elements)


def _segment_text(segment: Segment, delimiters: Delimiters, index: int) -> str:
    tag = segment.tag
    if not (2 <= len(tag) <= 3 and tag.isascii() and tag.isalnum() and tag == tag.upper()):
        raise X12Error(
            "bad-segment-tag",
            f"{tag!r} is not a segment tag (2 or 3 upper-case letters or digits)",
            segment_index=index,
        )
    if tag == "ISA":
        # Fixed width: every element is written, padded, even when blank.
        return delimiters.element.join((tag, *segment.elements))
    elements = list(segment.elements)
    envelope = tag in ("GS", "GE", "ST", "SE", "IEA")
    for position, value in enumerate(elements, start=1):
        if _holds_delimiter(value, delimiters, allow_composites=not envelope):
            raise _delimiter_in_value(tag, position, value, index)
        for character in value:
            if ord(character) < 0x20 or 0x7F <= ord(character) < 0xA0:
                raise X12Error(
                    "control-character",
                    f"{tag}{position:02d} holds the control character {character!r}",
                    segment_index=index,
                    segment_tag=tag,
                    element=position,
                    excerpt=value,
                )
    while elements and elements[-1] == "":
        elements.pop()
    return delimiters.element.join((tag, *elements))


def _holds_delimiter(value: str, delimiters: Delimiters, *, allow_composites: bool) -> bool:
    forbidden = {delimiters.element, delimiters.segment}
    if not allow_composites:
        forbidden.add(delimiters.component)
        if delimiters.repetition is not None:
            forbidden.add(delimiters.repetition)
    return any(character in forbidden for character in value)


def _delimiter_in_value(tag: str, position: int, value: str, index: int) -> X12Error:
    return X12Error(
        "delimiter-in-value",
        f"{tag}{position:02d} is {value!r}, which holds a delimiter of this interchange",
        segment_index=index,
        segment_tag=tag,
        element=position,
        excerpt=value,
    )


def _check_delimiters(delimiters: Delimiters) -> None:
    characters = [delimiters.element, delimiters.component, delimiters.segment]
    if delimiters.repetition is not None:
        characters.append(delimiters.repetition)
    for character in characters:
        if len(character) != 1 or character.isalnum() or character == " ":
            raise X12Error(
                "delimiter-invalid",
                f"{character!r} cannot be a delimiter: one character, not a letter, digit or space",
            )
    if len(set(characters)) != len(characters):
        raise X12Error("delimiter-duplicate", f"the delimiters {characters!r} are not all different")
