"""Element readers and writers shared by the set modules (940, 945, 944, 846, 947, 870, 180, 997).

Readers raise an ``X12Error`` naming the body segment (``index`` counts from 0 at the segment after ST), its
tag and the element position, so that a 997 can point at it. Writers raise ``ValueError`` naming the set and
the element: the hub never cuts an identifier or an address to make it fit.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from crossdock.connectors.x12.codec.errors import X12Error
from crossdock.connectors.x12.documents.context import parse_x12_datetime
from crossdock.connectors.x12.model import Segment
from crossdock.domain.orders import Address

# Units of measure that mean single units; anything else (cases, pallets) would multiply quantities.
EACH_UNITS = frozenset({"EA", "UN"})
# Item id qualifiers in order of preference: the warehouse's SKU, then the vendor's item number.
PREFERRED_ITEM_QUALIFIERS = ("SK", "VN")

# What a count that is never negative (units received, items advised) must be, for ``whole_number``.
NON_NEGATIVE = "a whole, non-negative number"

# X12 "R" numbers may carry a decimal point ("3", "3.", "3.00"); a quantity is never a fraction.
_WHOLE_NUMBER = re.compile(r"[0-9]+(\.0*)?")


# --- errors -------------------------------------------------------------------------------------------------


def body_error(rule: str, message: str, index: int, tag: str, element: int | None = None) -> X12Error:
    """An error at body segment ``index``: ST is position 1 of the set, so the body starts at position 2."""
    return X12Error(rule, message, segment_index=index + 2, segment_tag=tag, element=element)


# --- reading ------------------------------------------------------------------------------------------------


def opening_segment(segments: Sequence[Segment], set_code: str, tag: str) -> Segment:
    """The first body segment, which must be ``tag`` (W05 for a 940…); a ``missing-segment`` error else."""
    if not segments or segments[0].tag != tag:
        found = segments[0].tag if segments else "SE"
        article = "an" if set_code.startswith("8") else "a"
        raise body_error("missing-segment", f"{article} {set_code} starts with {tag}, found {found}", 0, tag)
    return segments[0]


def required_element(segment: Segment, position: int, index: int, what: str) -> str:
    """The element at ``position`` without surrounding blanks; ``missing-element`` when it is empty."""
    value = segment.element(position).strip()
    if not value:
        message = f"{segment.tag}-{position:02d} {what} is empty"
        raise body_error("missing-element", message, index, segment.tag, position)
    return value


def whole_number(
    segment: Segment, position: int, index: int, what: str, *, expected: str = "a whole number"
) -> int:
    """A whole, non-negative number of units ("3", "3." and "3.00" alike); ``invalid-quantity`` saying the
    value is not ``expected`` else."""
    text = segment.element(position).strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        message = f"{what} {text!r} is not {expected}"
        raise body_error("invalid-quantity", message, index, segment.tag, position)
    return int(text.split(".")[0])


def check_total(declared: tuple[int, int] | None, counted: int, tag: str, message: str) -> None:
    """Refuse a summary segment (W76, W03, W14, CTT) whose element 01, ``declared`` as (total, body index),
    differs from what the set's lines add up to (``counted``): ``total-mismatch`` with ``message`` formatted
    with ``total`` and ``counted``. Nothing to check when the set has no summary (``declared`` None)."""
    if declared is not None and declared[0] != counted:
        total, index = declared
        raise body_error("total-mismatch", message.format(total=total, counted=counted), index, tag, 1)


def require_eaches(unit: str, index: int, tag: str, position: int, *, optional: bool = False) -> None:
    """Refuse a unit of measure other than eaches (``optional``: an empty unit means eaches)."""
    if (unit or not optional) and unit not in EACH_UNITS:
        raise body_error(
            "invalid-code", f"{tag}-{position:02d} unit {unit!r} is not eaches (EA)", index, tag, position
        )


def parse_date(date: str, time: str, *, index: int, tag: str, position: int, what: str) -> datetime:
    """CCYYMMDD and HHMM[SS] (00:00 when ``time`` is empty) as UTC; ``invalid-date`` at ``position`` else."""
    try:
        return parse_x12_datetime(date, time or "0000")
    except ValueError as error:
        raise body_error("invalid-date", f"{what}: {error}", index, tag, position) from error


def date_element(segment: Segment, index: int, what: str, *, date: int, time: int | None = None) -> datetime:
    """The moment in the segment's ``date`` element and, when given, its ``time`` element."""
    time_text = segment.element(time) if time is not None else ""
    return parse_date(
        segment.element(date), time_text, index=index, tag=segment.tag, position=date, what=what
    )


def preferred_item(segment: Segment, qualifier_positions: Iterable[int]) -> str | None:
    """The item id of the (qualifier, id) pairs starting at ``qualifier_positions``: the one qualified SK,
    else VN, else the first pair with an id; None when every id is empty."""
    pairs = [
        (segment.element(position), segment.element(position + 1).strip()) for position in qualifier_positions
    ]
    pairs = [(qualifier, value) for qualifier, value in pairs if value]
    for preferred in PREFERRED_ITEM_QUALIFIERS:
        for qualifier, value in pairs:
            if qualifier == preferred:
                return value
    return pairs[0][1] if pairs else None


def loop_end(segments: Sequence[Segment], start: int, members: Collection[str]) -> int:
    """The index after the loop opened at ``start`` whose following segments are all among ``members``."""
    index = start + 1
    while index < len(segments) and segments[index].tag in members:
        index += 1
    return index


def next_of(segments: Sequence[Segment], start: int, tags: Collection[str]) -> int:
    """The index of the first segment after ``start`` that is one of ``tags`` (the set's length if none)."""
    index = start + 1
    while index < len(segments) and segments[index].tag not in tags:
        index += 1
    return index


@dataclass(frozen=True)
class Party:
    """An N1 loop as read: N1-02, the address of its N2/N3/N4/PER, and the e-mail of its PER."""

    name: str
    address: Address
    email: str | None


def read_party(
    segments: Sequence[Segment], start: int, end: int, *, what: str, read_company: bool = True
) -> Party:
    """The N1 loop ``segments[start:end]``: N1-02 (required, ``what`` names it), N2-01 the company (when
    ``read_company``), N3 the address lines, N4 city/state/zip/country (a state in N4-06 when N4-05 is SP),
    PER the phone (TE) and e-mail (EM) in any of its three (qualifier, number) pairs."""
    name = required_element(segments[start], 2, start, what)
    company: str | None = None
    address_lines: list[str] = []
    city = state = postal_code = country = phone = email = None
    for index in range(start + 1, end):
        segment = segments[index]
        if segment.tag == "N2" and read_company:
            company = segment.element(1) or None
        elif segment.tag == "N3":
            address_lines += [text for text in (segment.element(1), segment.element(2)) if text]
        elif segment.tag == "N4":
            city = segment.element(1) or None
            state = segment.element(2) or (segment.element(6) if segment.element(5) == "SP" else "") or None
            postal_code = segment.element(3) or None
            country = segment.element(4) or None
        elif segment.tag == "PER":
            # PER-03/04, -05/06, -07/08 are (qualifier, number) pairs in any order.
            for position in (3, 5, 7):
                qualifier, value = segment.element(position), segment.element(position + 1)
                if qualifier == "EM" and value:
                    email = value
                elif qualifier == "TE" and value:
                    phone = value
    address = Address(
        company=company,
        address1=address_lines[0] if address_lines else None,
        address2=" ".join(address_lines[1:]) or None,
        city=city,
        province_code=state,
        zip=postal_code,
        country_code=country,
        phone=phone,
    )
    return Party(name, address, email)


# --- writing ------------------------------------------------------------------------------------------------


def build_segment(tag: str, *elements: str) -> Segment:
    """A segment without trailing empty elements (X12 forbids trailing element separators)."""
    values = list(elements)
    while values and values[-1] == "":
        values.pop()
    return Segment(tag, tuple(values))


@dataclass(frozen=True)
class LengthCheck:
    """Checks a value against an element's maximum length for the writer of set ``set_code``: identifiers and
    addresses are never cut (a cut key or street reaches the wrong order, item or door), so a value too long
    is a ``ValueError`` naming the set and the element. ``allow_empty`` False refuses an empty value too."""

    set_code: str
    allow_empty: bool = True

    def __call__(self, element: str, value: str, maximum: int) -> str:
        if not value and not self.allow_empty:
            raise ValueError(f"{self.set_code} {element} must not be empty")
        if len(value) > maximum:
            length = len(value)
            raise ValueError(
                f"{self.set_code} {element}: {value!r} is {length} characters, the element allows {maximum}"
            )
        return value


def is_scac(code: str) -> bool:
    """Whether ``code`` can be a Standard Carrier Alpha Code: 2 to 4 letters or digits."""
    return 2 <= len(code) <= 4 and code.isalnum()


def pieces(text: str, size: int) -> list[str]:
    """``text`` cut into pieces of ``size`` characters (the last one shorter), for free-text elements."""
    return [text[start : start + size] for start in range(0, len(text), size)]


def address_segments(address: Address, fit: LengthCheck) -> list[Segment]:
    """N3 (address lines) and N4 (city, state, zip, country) of ``address``, each left out when empty. N4-02
    holds exactly two characters (US states, Canadian provinces); longer codes (AU "NSW") go to N4-05/N4-06
    with the location qualifier SP (state/province)."""
    segments: list[Segment] = []
    lines = [text for text in (address.address1, address.address2) if text]
    if lines:
        segments.append(build_segment("N3", *(fit(f"N3-0{n}", text, 55) for n, text in enumerate(lines, 1))))
    province = address.province_code or ""
    state, other_qualifier, other = (province, "", "") if len(province) <= 2 else ("", "SP", province)
    if address.city or province or address.zip or address.country_code:
        segments.append(
            build_segment(
                "N4",
                fit("N4-01", address.city or "", 30),
                state,
                fit("N4-03", address.zip or "", 15),
                fit("N4-04", address.country_code or "", 3),
                other_qualifier,
                fit("N4-06", other, 30),
            )
        )
    return segments
