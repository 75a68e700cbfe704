"""Bytes → delimiters and segments. The delimiters are read from the ISA, never assumed.

Tolerant where the meaning is unambiguous (an ISA whose elements are not padded to their fixed width, CR/LF
or blanks after segment terminators, a UTF-8 byte order mark or blanks before "ISA"); strict where a guess
could corrupt data (no ISA, an ISA with other than 16 elements, a delimiter used twice or alphanumeric, a
control character inside a segment, a last segment without terminator, no closing IEA).
"""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.connectors.x12.codec.errors import X12SyntaxError
from crossdock.connectors.x12.model import Delimiters, Segment

# Widths of ISA01…ISA16 in the fixed-width ISA: 3 + 16 separators + 86 + the terminator = 106 characters.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
ISA_LENGTH = 106
_UTF8_BOM = b"\xef\xbb\xbf"
# Blanks skipped before "ISA" and after segment terminators. Spelled out because str.strip() also treats
# \x1c-\x1f as whitespace, and those are popular delimiters.
_BLANKS = " \t\r\n"


@dataclass(frozen=True)
class TokenizedFile:
    delimiters: Delimiters
    segments: tuple[Segment, ...]
    # Each segment as written, without its terminator, in file order: excerpts for error messages.
    texts: tuple[str, ...]
    # Whether the ISA had the standard fixed width (106 characters); False means read tolerantly.
    fixed_width_isa: bool


def tokenize(data: bytes) -> tuple[Delimiters, list[Segment]]:
    """The delimiters declared by the ISA and every segment of ``data``, the ISA first."""
    tokens = tokenize_file(data)
    return tokens.delimiters, list(tokens.segments)


def tokenize_file(data: bytes) -> TokenizedFile:
    """``tokenize`` with the raw text of each segment, for error messages."""
    text = _text_of(data)
    delimiters, isa, isa_end, fixed_width = _read_isa(text)
    segments = [isa]
    texts = [text[:isa_end]]
    position = isa_end + 1
    while True:
        while position < len(text) and text[position] in _BLANKS:
            position += 1
        if position >= len(text):
            break
        end = text.find(delimiters.segment, position)
        index = len(segments) + 1
        if end < 0:
            raise X12SyntaxError(
                "unterminated",
                f"the last segment has no segment terminator {delimiters.segment!r}: the file is truncated",
                segment_index=index,
                segment_tag=_tag_guess(text[position:], delimiters),
                excerpt=text[position:],
            )
        segment_text = text[position:end]
        segments.append(_segment(segment_text, delimiters, index))
        texts.append(segment_text)
        position = end + 1
    if segments[-1].tag != "IEA":
        raise X12SyntaxError(
            "truncated",
            f"the file ends with {segments[-1].tag}, not IEA: the file is truncated",
            segment_index=len(segments),
            segment_tag=segments[-1].tag,
            excerpt=texts[-1],
        )
    return TokenizedFile(delimiters, tuple(segments), tuple(texts), fixed_width)


def read_isa(data: bytes) -> tuple[Delimiters, Segment]:
    """The delimiters and the ISA alone: what can still be shown of a file whose later segments cannot be
    tokenized (a truncated file)."""
    delimiters, isa, _, _ = _read_isa(_text_of(data))
    return delimiters, isa


def _text_of(data: bytes) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        raise X12SyntaxError(
            "nul-byte", f"the file holds a NUL byte at offset {nul}: X12 is ASCII/latin-1 text (UTF-16?)"
        )
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    # latin-1 maps every byte to one character: nothing fails to decode, and the writer encodes the same way.
    return data.decode("latin-1").lstrip(_BLANKS)


def _read_isa(text: str) -> tuple[Delimiters, Segment, int, bool]:
    """The delimiters, the ISA segment, the offset of its terminator and whether it had the fixed width.

    The element separator is the 4th character. ISA16 (the component separator) is the one character after
    the 16th element separator, and the character after it is the segment terminator: this holds whether or
    not the elements were padded, so unpadded ISAs read the same way.
    """
    if not text.startswith("ISA") or len(text) < 4:
        raise X12SyntaxError(
            "no-isa",
            f"an X12 file starts with ISA, this one with {text[:20]!r}",
            excerpt=text[:ISA_LENGTH],
        )
    separator = text[3]
    separators = [3]
    while len(separators) < 16:
        found = text.find(separator, separators[-1] + 1)
        if found < 0:
            raise X12SyntaxError(
                "isa-element-count",
                f"the file ends after {len(separators)} of the ISA's 16 element separators",
                segment_index=1,
                segment_tag="ISA",
                excerpt=text[:ISA_LENGTH],
            )
        separators.append(found)
    last = separators[-1]
    if last + 2 >= len(text):
        raise X12SyntaxError(
            "unterminated",
            "the file ends inside the ISA: no component separator (ISA16) or segment terminator after it",
            segment_index=1,
            segment_tag="ISA",
            excerpt=text,
        )
    component, terminator = text[last + 1], text[last + 2]
    isa_text = text[: last + 2]
    if terminator == separator:
        raise X12SyntaxError(
            "isa-element-count",
            "the ISA has more than 16 elements: after ISA16 comes another element separator, not the "
            "segment terminator",
            segment_index=1,
            segment_tag="ISA",
            excerpt=isa_text,
        )
    elements = [*text[4:last].split(separator), component]
    for position, (value, width) in enumerate(zip(elements, ISA_WIDTHS, strict=True), start=1):
        if len(value) > width:
            raise X12SyntaxError(
                "isa-length",
                f"ISA{position:02d} is {value!r}, {len(value)} characters where at most {width} fit: "
                "an ISA element is missing or the segment terminator is not where ISA16 says",
                segment_index=1,
                segment_tag="ISA",
                element=position,
                excerpt=isa_text,
            )
    repetition = _repetition_separator(elements[10], isa_text)
    delimiters = Delimiters(element=separator, component=component, segment=terminator, repetition=repetition)
    _check_delimiters(delimiters, isa_text)
    fixed_width = last + 3 == ISA_LENGTH and all(
        len(value) == width for value, width in zip(elements, ISA_WIDTHS, strict=True)
    )
    return delimiters, Segment("ISA", tuple(elements)), last + 2, fixed_width


def _repetition_separator(isa11: str, isa_text: str) -> str | None:
    # 4010 and earlier: ISA11 is the standards identifier "U". 4020 and later: the repetition separator. Some
    # senders keep "U" in 5010 files; it cannot be a delimiter, so it means "no repetition separator".
    if isa11 == "U":
        return None
    if len(isa11) != 1 or isa11.isalnum() or isa11 in _BLANKS:
        raise X12SyntaxError(
            "isa-value",
            f"ISA11 is {isa11!r}: expected 'U' (4010) or a repetition separator such as '^' (5010)",
            segment_index=1,
            segment_tag="ISA",
            element=11,
            excerpt=isa_text,
        )
    return isa11


def _check_delimiters(delimiters: Delimiters, isa_text: str) -> None:
    named = [
        ("element separator (ISA 4th character)", delimiters.element),
        ("component separator (ISA16)", delimiters.component),
        ("segment terminator (after ISA16)", delimiters.segment),
    ]
    if delimiters.repetition is not None:
        named.append(("repetition separator (ISA11)", delimiters.repetition))
    for name, character in named:
        if character.isalnum():
            raise X12SyntaxError(
                "delimiter-alphanumeric",
                f"the {name} is {character!r}, a letter or digit: the ISA is malformed or not fixed width",
                segment_index=1,
                segment_tag="ISA",
                excerpt=isa_text,
            )
        if character == " ":
            raise X12SyntaxError(
                "delimiter-space",
                f"the {name} is a space, which is data in X12 (ISA elements are space padded)",
                segment_index=1,
                segment_tag="ISA",
                excerpt=isa_text,
            )
    for index, (name, character) in enumerate(named):
        for other_name, other in named[index + 1 :]:
            if character == other:
                raise X12SyntaxError(
                    "delimiter-duplicate",
                    f"the {name} and the {other_name} are both {character!r}",
                    segment_index=1,
                    segment_tag="ISA",
                    excerpt=isa_text,
                )


def _segment(text: str, delimiters: Delimiters, index: int) -> Segment:
    if not text:
        raise X12SyntaxError(
            "empty-segment",
            f"two segment terminators {delimiters.segment!r} follow each other",
            segment_index=index,
            excerpt=text,
        )
    tag, *elements = text.split(delimiters.element)
    if not (2 <= len(tag) <= 3 and tag.isascii() and tag.isalnum() and tag == tag.upper()):
        raise X12SyntaxError(
            "bad-segment-tag",
            f"{tag[:10]!r} is not a segment tag (2 or 3 upper-case letters or digits)",
            segment_index=index,
            excerpt=text,
        )
    for position, value in enumerate(elements, start=1):
        for character in value:
            if _is_control(character) and character not in (delimiters.component, delimiters.repetition):
                raise X12SyntaxError(
                    "control-character",
                    f"{tag}{position:02d} holds the control character {character!r}; X12 data cannot "
                    f"(is the segment terminator {delimiters.segment!r} right, or are lines wrapped?)",
                    segment_index=index,
                    segment_tag=tag,
                    element=position,
                    excerpt=text,
                )
    return Segment(tag, tuple(elements))


def _is_control(character: str) -> bool:
    code = ord(character)
    return code < 0x20 or 0x7F <= code < 0xA0


def _tag_guess(text: str, delimiters: Delimiters) -> str | None:
    tag = text.split(delimiters.element, 1)[0]
    return tag if 2 <= len(tag) <= 3 and tag.isalnum() else None
