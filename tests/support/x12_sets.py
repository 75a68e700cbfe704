"""X12 test files around a set body and reading a set back the way the hub does (the codec, then the set
reader with a ``ReadContext``): the envelope boilerplate the set tests share.

An ``Envelope`` says who sends a test file, how it is numbered and when it was written; ``read_first_set``
reads the first set of a whole file, ``read_body`` a body a test wrote or edited by hand, inside the envelope
it would have come in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec import X12Error, build_interchange, read_interchange, write_interchange
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.model import FunctionalGroup, Interchange, Party, Segment, TransactionSet

T = TypeVar("T")
SetReader = Callable[[TransactionSet, ReadContext], T]


@dataclass(frozen=True)
class Envelope:
    """ISA/GS of a test file: sender and receiver (ZZ ids, also GS-02/03), ISA13 and GS06 ``control``, ISA-15
    ``usage`` and the moment written (ISA-09/10, GS-04/05). Sets are numbered 0001, 0002…"""

    sender: str
    receiver: str
    control: int
    now: datetime
    usage: str = "P"
    acknowledgment_requested: bool = True

    def file(self, code: str, functional_id: str, body: Sequence[Segment], version: str) -> bytes:
        """One interchange holding one set ``code`` (group ``functional_id``) with ``body``."""
        return self.file_of_sets([(code, functional_id, body)], version)

    def file_of_sets(self, sets: Sequence[tuple[str, str, Sequence[Segment]]], version: str) -> bytes:
        """One interchange holding ``sets`` (set code, functional id, body), in order."""
        interchange = build_interchange(
            sender=Party("ZZ", self.sender),
            receiver=Party("ZZ", self.receiver),
            gs_sender=self.sender,
            gs_receiver=self.receiver,
            version=version,
            usage=self.usage,
            interchange_control=self.control,
            group_control=self.control,
            sets=sets,
            now=self.now,
            acknowledgment_requested=self.acknowledgment_requested,
        )
        return write_interchange(interchange)


def read_back(data: bytes) -> tuple[Interchange, FunctionalGroup]:
    """``data`` read by the codec, and its first functional group."""
    interchange = read_interchange(data)
    return interchange, interchange.groups[0]


def read_first_set(
    data: bytes,
    reader: SetReader[T],
    partner: X12PartnerSettings,
    *,
    warehouse: str = "east",
    file_name: str | None = None,
) -> T:
    """The first set of ``data`` read by ``reader`` for ``warehouse``, as the hub reads a file it received."""
    interchange, group = read_back(data)
    context = ReadContext(warehouse, partner, interchange, group, file_name)
    return reader(group.transaction_sets[0], context)


def read_body(
    body: Sequence[Segment],
    reader: SetReader[T],
    partner: X12PartnerSettings,
    *,
    envelope: bytes,
    code: str,
    warehouse: str = "east",
) -> T:
    """``body`` read by ``reader`` as set ``code`` as if it were the first set of the file ``envelope``: for
    bodies a test wrote or edited by hand, given to the reader as they are (not through the codec)."""
    interchange, group = read_back(envelope)
    transaction_set = TransactionSet(code, group.transaction_sets[0].control_number, tuple(body))
    return reader(transaction_set, ReadContext(warehouse, partner, interchange, group))


def segments_of(*texts: str) -> tuple[Segment, ...]:
    """Segments written as X12 text with ``*`` between elements ("W07*2*EA**SK*MUG")."""
    return tuple(Segment(text.split("*")[0], tuple(text.split("*")[1:])) for text in texts)


def texts_of(body: Sequence[Segment]) -> list[str]:
    """``body`` as X12 text, a segment a string ("W07*2*EA**SK*MUG")."""
    return ["*".join((segment.tag, *segment.elements)) for segment in body]


def replaced(body: tuple[Segment, ...], tag: str, segment: Segment | None) -> tuple[Segment, ...]:
    """``body`` with its first ``tag`` segment replaced by ``segment`` (or removed when None)."""
    position = next(index for index, found in enumerate(body) if found.tag == tag)
    return body[:position] + ((segment,) if segment else ()) + body[position + 1 :]


def refusal(read: Callable[[], object]) -> X12Error:
    """The ``X12Error`` ``read`` raises (the test fails when it raises none)."""
    with pytest.raises(X12Error) as caught:
        read()
    return caught.value
