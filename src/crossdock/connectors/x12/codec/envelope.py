"""Envelopes for the sets crossdock writes: ISA/GS/ST values around set bodies, from integer control numbers
(the database hands them out, unique and increasing per partner)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from crossdock.connectors.x12.codec.errors import X12Error
from crossdock.connectors.x12.model import (
    Delimiters,
    FunctionalGroup,
    Interchange,
    Party,
    Segment,
    TransactionSet,
)

# GS-08 → ISA-12 and the ISA-11 the version calls for: 4010's standards identifier "U", 5010's repetition
# separator.
_ISA_VERSIONS = {"004010": "00401", "005010": "00501"}
_REPETITION_SEPARATORS: dict[str, str | None] = {"004010": None, "005010": "^"}
_MAX_CONTROL_NUMBER = 999_999_999


def build_interchange(
    *,
    sender: Party,
    receiver: Party,
    gs_sender: str,
    gs_receiver: str,
    version: str,
    usage: str,
    interchange_control: int,
    group_control: int,
    sets: Sequence[tuple[str, str, Sequence[Segment]]],
    first_set_control: int = 1,
    now: datetime,
    acknowledgment_requested: bool = True,
) -> Interchange:
    """One interchange holding ``sets`` (set code, functional id, body without ST/SE).

    Sets are grouped by functional id, groups in order of first appearance, numbered ``group_control``,
    ``group_control + 1``…; ST02 runs from ``first_set_control`` across the interchange (4 digits at least,
    zero padded). ISA-09/10 and GS-04/05 are ``now`` as given: X12 carries no time zone, the partner
    agreement fixes one.
    """
    if version not in _ISA_VERSIONS:
        raise X12Error(
            "unsupported-version",
            f"version {version!r} is not one crossdock writes ({', '.join(_ISA_VERSIONS)})",
        )
    if usage not in ("P", "T"):
        raise X12Error(
            "isa-value", f"usage (ISA15) is {usage!r}: expected 'P' production or 'T' test", element=15
        )
    groups_by_id: dict[str, list[tuple[str, Sequence[Segment]]]] = {}
    for code, functional_id, body in sets:
        groups_by_id.setdefault(functional_id, []).append((code, body))
    _check_control("interchange", interchange_control)
    _check_control("group", group_control + len(groups_by_id) - 1)
    _check_control("group", group_control)
    _check_control("transaction set", first_set_control)
    _check_control("transaction set", first_set_control + len(sets) - 1)
    set_control = first_set_control
    groups: list[FunctionalGroup] = []
    for offset, (functional_id, members) in enumerate(groups_by_id.items()):
        transaction_sets: list[TransactionSet] = []
        for code, body in members:
            transaction_sets.append(
                TransactionSet(code=code, control_number=f"{set_control:04d}", segments=tuple(body))
            )
            set_control += 1
        groups.append(
            FunctionalGroup(
                functional_id=functional_id,
                sender_code=gs_sender,
                receiver_code=gs_receiver,
                date=now.strftime("%Y%m%d"),
                time=now.strftime("%H%M"),
                control_number=str(group_control + offset),
                agency="X",
                version=version,
                transaction_sets=tuple(transaction_sets),
            )
        )
    return Interchange(
        sender=Party(sender.qualifier, sender.identifier.rstrip(" ")),
        receiver=Party(receiver.qualifier, receiver.identifier.rstrip(" ")),
        date=now.strftime("%y%m%d"),
        time=now.strftime("%H%M"),
        version=_ISA_VERSIONS[version],
        control_number=f"{interchange_control:09d}",
        acknowledgment_requested=acknowledgment_requested,
        usage=usage,
        groups=tuple(groups),
        delimiters=Delimiters(repetition=_REPETITION_SEPARATORS[version]),
    )


def _check_control(kind: str, number: int) -> None:
    if not 1 <= number <= _MAX_CONTROL_NUMBER:
        raise X12Error(
            "control-range", f"{kind} control number {number} is outside 1…{_MAX_CONTROL_NUMBER} (9 digits)"
        )
