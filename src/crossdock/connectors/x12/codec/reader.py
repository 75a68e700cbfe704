"""Bytes → ``Interchange``, with every envelope rule checked: control numbers that must match (ISA13/IEA02,
GS06/GE02, ST02/SE02), counts (SE01 segments, GE01 sets, IEA01 groups) and the nesting of ISA, GS, ST.

One interchange per file: crossdock writes one per file and reads the partner's files one at a time, so a
second ISA after the IEA is refused (rule ``multiple-interchanges``) rather than silently dropped or merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from crossdock.connectors.x12.codec.errors import X12EnvelopeError
from crossdock.connectors.x12.codec.tokenizer import TokenizedFile, tokenize_file
from crossdock.connectors.x12.model import (
    Delimiters,
    FunctionalGroup,
    Interchange,
    Party,
    Segment,
    TransactionSet,
)

_ENVELOPE_TAGS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
# How many leading elements each envelope segment must fill; ST03 (5010's convention reference) is optional.
_REQUIRED_ELEMENTS = {"GS": 8, "GE": 2, "ST": 2, "SE": 2, "IEA": 2}


def read_interchange(data: bytes) -> Interchange:
    """The one interchange of ``data``; X12SyntaxError or X12EnvelopeError name the rule and segment."""
    return interchange_of(tokenize_file(data))


def interchange_of(tokens: TokenizedFile) -> Interchange:
    """The interchange of an already tokenized file (``tokenize_file``)."""
    return _Reader(tokens).read()


def isa_header(isa: Segment, delimiters: Delimiters) -> Interchange:
    """The interchange as its ISA describes it, without groups: what can be shown of a file whose body
    breaks a rule. ``isa`` is the first segment ``tokenize_file`` returns."""
    value = isa.element
    return Interchange(
        sender=Party(value(5), value(6).rstrip(" ")),
        receiver=Party(value(7), value(8).rstrip(" ")),
        date=value(9),
        time=value(10),
        version=value(12),
        control_number=value(13).strip(" "),
        acknowledgment_requested=value(14) == "1",
        usage=value(15),
        groups=(),
        delimiters=delimiters,
        authorization=(value(1), value(2).rstrip(" ")),
        security=(value(3), value(4).rstrip(" ")),
    )


def same_control_number(opening: str, closing: str) -> bool:
    """Whether a trailer's control number repeats the header's. Equal text, or equal numbers when both are
    digits: some partners write IEA02 without ISA13's zero padding, and the meaning is the same."""
    if opening == closing:
        return True
    return opening.isdigit() and closing.isdigit() and int(opening) == int(closing)


@dataclass
class _OpenSet:
    index: int
    segment: Segment
    body: list[Segment] = field(default_factory=list)


@dataclass
class _OpenGroup:
    index: int
    segment: Segment
    sets: list[TransactionSet] = field(default_factory=list)


class _Reader:
    def __init__(self, tokens: TokenizedFile) -> None:
        self.tokens = tokens

    def read(self) -> Interchange:
        segments = self.tokens.segments
        header = isa_header(segments[0], self.tokens.delimiters)
        self._check_isa(segments[0])
        groups: list[FunctionalGroup] = []
        group: _OpenGroup | None = None
        open_set: _OpenSet | None = None
        for position in range(1, len(segments)):
            index = position + 1
            segment = segments[position]
            tag = segment.tag
            if tag not in _ENVELOPE_TAGS:
                if open_set is not None:
                    open_set.body.append(segment)
                elif group is not None:
                    raise self._error(
                        "segment-outside-set",
                        f"{tag} sits inside group {group.segment.element(6)} but outside any ST…SE",
                        index,
                    )
                else:
                    raise self._error(
                        "segment-outside-group", f"{tag} sits outside any GS…GE functional group", index
                    )
                continue
            self._check_required_elements(segment, index)
            if tag == "ISA":
                raise self._error(
                    "unknown-segment-order", "a second ISA before the first interchange's IEA", index
                )
            if tag == "GS":
                if open_set is not None:
                    raise self._missing("missing-se", open_set.index, open_set.segment, "SE", index)
                if group is not None:
                    raise self._missing("missing-ge", group.index, group.segment, "GE", index)
                group = _OpenGroup(index, segment)
            elif tag == "ST":
                if open_set is not None:
                    raise self._missing("missing-se", open_set.index, open_set.segment, "SE", index)
                if group is None:
                    raise self._error(
                        "segment-outside-group", "ST opens a transaction set outside any GS…GE", index
                    )
                open_set = _OpenSet(index, segment)
            elif tag == "SE":
                if open_set is None:
                    raise self._error(
                        "unknown-segment-order", "SE closes a transaction set never opened", index
                    )
                assert group is not None  # an open set is always inside a group
                group.sets.append(self._close_set(open_set, segment, index))
                open_set = None
            elif tag == "GE":
                if open_set is not None:
                    raise self._missing("missing-se", open_set.index, open_set.segment, "SE", index)
                if group is None:
                    raise self._error(
                        "unknown-segment-order", "GE closes a functional group never opened", index
                    )
                groups.append(self._close_group(group, segment, index))
                group = None
            else:  # IEA
                if open_set is not None:
                    raise self._missing("missing-se", open_set.index, open_set.segment, "SE", index)
                if group is not None:
                    raise self._missing("missing-ge", group.index, group.segment, "GE", index)
                self._close_interchange(header, groups, segment, index)
                if index != len(segments):
                    raise self._error(
                        "multiple-interchanges",
                        "one interchange per file: segments follow the IEA "
                        f"(segment {index + 1} is {segments[index].tag})",
                        index + 1,
                    )
                return replace(header, groups=tuple(groups))
        # The tokenizer refuses a file whose last segment is not IEA, so the loop always returns.
        raise AssertionError("tokenize_file guarantees a final IEA")

    def _check_isa(self, isa: Segment) -> None:
        control = isa.element(13).strip(" ")
        if not control.isdigit():
            raise self._error(
                "isa-value", f"ISA13 (control number) is {control!r}, not a number", 1, element=13
            )
        if isa.element(14) not in ("0", "1"):
            raise self._error(
                "isa-value",
                f"ISA14 (acknowledgment requested) is {isa.element(14)!r}: expected 0 or 1",
                1,
                14,
            )

    def _check_required_elements(self, segment: Segment, index: int) -> None:
        required = _REQUIRED_ELEMENTS.get(segment.tag, 0)
        for position in range(1, required + 1):
            if not segment.element(position):
                raise self._error(
                    "missing-element", f"{segment.tag}{position:02d} is required and empty", index, position
                )

    def _close_set(self, open_set: _OpenSet, se: Segment, index: int) -> TransactionSet:
        st = open_set.segment
        if not same_control_number(st.element(2), se.element(2)):
            raise self._error(
                "ctrl-mismatch",
                f"SE02 is {se.element(2)!r} but the set's ST02 (segment {open_set.index}) is "
                f"{st.element(2)!r}",
                index,
                2,
            )
        counted = len(open_set.body) + 2
        declared = self._count(se, 1, index)
        if declared != counted:
            raise self._error(
                "segment-count",
                f"SE01 says {declared} segments, the set has {counted} (ST and SE included)",
                index,
                1,
            )
        return TransactionSet(
            code=st.element(1),
            control_number=st.element(2),
            segments=tuple(open_set.body),
            implementation_reference=st.element(3) or None,
        )

    def _close_group(self, group: _OpenGroup, ge: Segment, index: int) -> FunctionalGroup:
        gs = group.segment
        if not same_control_number(gs.element(6), ge.element(2)):
            raise self._error(
                "ctrl-mismatch",
                f"GE02 is {ge.element(2)!r} but the group's GS06 (segment {group.index}) is "
                f"{gs.element(6)!r}",
                index,
                2,
            )
        declared = self._count(ge, 1, index)
        if declared != len(group.sets):
            raise self._error(
                "set-count",
                f"GE01 says {declared} transaction sets, the group has {len(group.sets)}",
                index,
                1,
            )
        return FunctionalGroup(
            functional_id=gs.element(1),
            sender_code=gs.element(2),
            receiver_code=gs.element(3),
            date=gs.element(4),
            time=gs.element(5),
            control_number=gs.element(6),
            agency=gs.element(7),
            version=gs.element(8),
            transaction_sets=tuple(group.sets),
        )

    def _close_interchange(
        self, header: Interchange, groups: Sequence[FunctionalGroup], iea: Segment, index: int
    ) -> None:
        if not same_control_number(header.control_number, iea.element(2)):
            raise self._error(
                "ctrl-mismatch",
                f"IEA02 is {iea.element(2)!r} but ISA13 is {header.control_number!r}",
                index,
                2,
            )
        declared = self._count(iea, 1, index)
        if declared != len(groups):
            raise self._error(
                "group-count",
                f"IEA01 says {declared} functional groups, the interchange has {len(groups)}",
                index,
                1,
            )

    def _count(self, segment: Segment, position: int, index: int) -> int:
        value = segment.element(position)
        if not value.isdigit():
            rule = {"SE": "segment-count", "GE": "set-count"}.get(segment.tag, "group-count")
            raise self._error(rule, f"{segment.tag}{position:02d} is {value!r}, not a count", index, position)
        return int(value)

    def _missing(
        self, rule: str, opened_at: int, opener: Segment, closer: str, index: int
    ) -> X12EnvelopeError:
        here = self.tokens.segments[index - 1].tag
        return self._error(
            rule,
            f"{opener.tag} {opener.element(2 if opener.tag == 'ST' else 6)!r} (segment {opened_at}) has no "
            f"{closer}: {here} comes first",
            index,
        )

    def _error(self, rule: str, message: str, index: int, element: int | None = None) -> X12EnvelopeError:
        return X12EnvelopeError(
            rule,
            message,
            segment_index=index,
            segment_tag=self.tokens.segments[index - 1].tag,
            element=element,
            excerpt=self.tokens.texts[index - 1],
        )
