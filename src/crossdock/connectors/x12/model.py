"""An X12 interchange as values: what the tokenizer produces and the serializer writes.

Elements are kept as the text between separators (composite elements keep their component separator inside
and are split on demand with ``Segment.components``), so that reading then writing a file gives the same
segments. Element positions follow the X12 convention: ``segment.element(1)`` is the first element after the
tag (``W05-01``), not Python's index 0.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    # 5010 declares a repetition separator in ISA-11; 4010 uses ISA-11 for the standards identifier "U".
    repetition: str | None = None


@dataclass(frozen=True)
class Segment:
    tag: str
    elements: tuple[str, ...]

    def element(self, position: int) -> str:
        """The element at X12 ``position`` (1-based); "" when the segment stops before it."""
        if position < 1:
            raise IndexError(f"X12 element positions start at 1, got {position}")
        return self.elements[position - 1] if position <= len(self.elements) else ""

    def components(self, position: int, delimiters: Delimiters) -> tuple[str, ...]:
        return tuple(self.element(position).split(delimiters.component))


@dataclass(frozen=True)
class TransactionSet:
    """ST … SE. ``segments`` are the body, without ST and SE; ``code`` is ST-01 (940, 945…)."""

    code: str
    control_number: str
    segments: tuple[Segment, ...]
    # ST-03, the implementation convention reference (5010 only, optional).
    implementation_reference: str | None = None


@dataclass(frozen=True)
class FunctionalGroup:
    """GS … GE. ``functional_id`` is GS-01 (OW for 940, SW for 945, IB for 846, AW for 947, RE for 944,
    AN for 180, FA for 997); ``version`` is GS-08 (004010, 005010)."""

    functional_id: str
    sender_code: str
    receiver_code: str
    date: str
    time: str
    control_number: str
    agency: str
    version: str
    transaction_sets: tuple[TransactionSet, ...]


@dataclass(frozen=True)
class Party:
    """An interchange sender or receiver: ISA qualifier (ZZ mutually defined, 01 DUNS, 12 phone…) and id."""

    qualifier: str
    identifier: str


@dataclass(frozen=True)
class Interchange:
    """ISA … IEA. ``version`` is ISA-12 (00401, 00501)."""

    sender: Party
    receiver: Party
    date: str
    time: str
    version: str
    control_number: str
    acknowledgment_requested: bool
    usage: str
    groups: tuple[FunctionalGroup, ...]
    delimiters: Delimiters
    authorization: tuple[str, str] = ("00", "")
    security: tuple[str, str] = ("00", "")
