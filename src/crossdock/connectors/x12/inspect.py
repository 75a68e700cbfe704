"""``crossdock x12 inspect FILE``: an X12 file as JSON, the envelope, each set's segments and what crossdock
reads from each set, or the rule the file breaks and where."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec import (
    TokenizedFile,
    X12Error,
    interchange_of,
    isa_header,
    read_isa,
    tokenize_file,
)
from crossdock.connectors.x12.model import Delimiters, FunctionalGroup, Interchange, Segment, TransactionSet

# Exit code of an inspection that found a broken rule (the JSON then holds "error").
EXIT_BROKEN = 2
_REGISTRY_MODULE = "crossdock.connectors.x12.documents.registry"


class SetReading(Protocol):
    """What ``documents.registry.read_transaction_set`` returns (a frozen dataclass there)."""

    @property
    def kind(self) -> str: ...

    @property
    def value(self) -> object: ...


# read_transaction_set(transaction_set, interchange, group, partner, *, warehouse, file_name) -> SetReading
SetReader = Callable[..., SetReading]


@dataclass(frozen=True)
class Inspection:
    document: dict[str, Any]
    exit_code: int

    def to_json(self) -> str:
        return json.dumps(self.document, indent=2, ensure_ascii=False)


def default_partner() -> X12PartnerSettings:
    """The partner assumed without --partner: ids unknown, every other setting at its default."""
    return X12PartnerSettings(sender_id="UNKNOWN", receiver_id="UNKNOWN")


def set_reader() -> SetReader | None:
    """The document registry's reader, or None while ``documents.registry`` does not exist: inspect then
    shows the envelope and segments only. An import error inside the registry is not hidden."""
    try:
        registry = importlib.import_module(_REGISTRY_MODULE)
    except ModuleNotFoundError as error:
        if error.name != _REGISTRY_MODULE:
            raise
        return None
    reader: SetReader = registry.read_transaction_set
    return reader


def inspect_file(
    path: Path,
    *,
    partner: X12PartnerSettings | None = None,
    warehouse: str = "unknown",
    read_set: SetReader | None = None,
) -> Inspection:
    """``path`` inspected; ``read_set`` defaults to the registry's reader when it exists."""
    return inspect_bytes(
        path.read_bytes(),
        file=str(path),
        partner=partner or default_partner(),
        warehouse=warehouse,
        read_set=read_set if read_set is not None else set_reader(),
    )


def inspect_bytes(
    data: bytes, *, file: str, partner: X12PartnerSettings, warehouse: str, read_set: SetReader | None
) -> Inspection:
    document: dict[str, Any] = {"file": file}
    try:
        tokens = tokenize_file(data)
    except X12Error as error:
        _add_isa(document, data)
        document["error"] = error.details()
        return Inspection(document, EXIT_BROKEN)
    document["delimiters"] = _delimiters(tokens.delimiters)
    document["interchange"] = _interchange(isa_header(tokens.segments[0], tokens.delimiters))
    try:
        interchange = interchange_of(tokens)
    except X12Error as error:
        document["error"] = error.details()
        return Inspection(document, EXIT_BROKEN)
    errors: list[X12Error] = []
    document["groups"] = [
        _group(group, interchange, partner, warehouse, read_set, Path(file).name, errors, tokens)
        for group in interchange.groups
    ]
    if read_set is None:
        document["reads_as_unavailable"] = f"{_REGISTRY_MODULE} is not installed: segments only"
    if errors:
        document["error"] = errors[0].details()
        return Inspection(document, EXIT_BROKEN)
    return Inspection(document, 0)


def _add_isa(document: dict[str, Any], data: bytes) -> None:
    """The delimiters and ISA of a file that cannot be tokenized to the end, when its ISA is readable."""
    try:
        delimiters, isa = read_isa(data)
    except X12Error:
        return  # the ISA itself is what fails: the error being reported already says so
    document["delimiters"] = _delimiters(delimiters)
    document["interchange"] = _interchange(isa_header(isa, delimiters))


def _delimiters(delimiters: Delimiters) -> dict[str, str | None]:
    return {
        "element": delimiters.element,
        "component": delimiters.component,
        "segment": delimiters.segment,
        "repetition": delimiters.repetition,
    }


def _interchange(interchange: Interchange) -> dict[str, Any]:
    return {
        "sender": {"qualifier": interchange.sender.qualifier, "identifier": interchange.sender.identifier},
        "receiver": {
            "qualifier": interchange.receiver.qualifier,
            "identifier": interchange.receiver.identifier,
        },
        "control_number": interchange.control_number,
        "version": interchange.version,
        "date": interchange.date,
        "time": interchange.time,
        "usage": interchange.usage,
        "acknowledgment_requested": interchange.acknowledgment_requested,
    }


def _group(
    group: FunctionalGroup,
    interchange: Interchange,
    partner: X12PartnerSettings,
    warehouse: str,
    read_set: SetReader | None,
    file_name: str,
    errors: list[X12Error],
    tokens: TokenizedFile,
) -> dict[str, Any]:
    sets: list[dict[str, Any]] = []
    for transaction_set in group.transaction_sets:
        entry: dict[str, Any] = {
            "code": transaction_set.code,
            "control_number": transaction_set.control_number,
            "segments": [_segment(segment) for segment in transaction_set.segments],
            "reads_as": None,
        }
        if read_set is not None:
            try:
                reading = read_set(
                    transaction_set, interchange, group, partner, warehouse=warehouse, file_name=file_name
                )
            except X12Error as error:
                located = _located(error, transaction_set, tokens)
                entry["error"] = located.details()
                errors.append(located)
            else:
                entry["reads_as"] = {
                    "kind": reading.kind,
                    "type": type(reading.value).__name__,
                    "value": plain(reading.value),
                }
        sets.append(entry)
    return {
        "functional_id": group.functional_id,
        "control_number": group.control_number,
        "version": group.version,
        "transaction_sets": sets,
    }


def _located(error: X12Error, transaction_set: TransactionSet, tokens: TokenizedFile) -> X12Error:
    """A document reader's error carries no file position (it sees the set, not the file): point it at the
    set's ST when it names none, so the operator can find the set."""
    if error.segment_index is not None:
        return error
    st_index = _st_index(transaction_set, tokens)
    message = f"{error.message} (transaction set {transaction_set.code} {transaction_set.control_number})"
    return X12Error(
        error.rule,
        message,
        segment_index=st_index,
        segment_tag=error.segment_tag or ("ST" if st_index is not None else None),
        element=error.element,
        excerpt=error.excerpt or (tokens.texts[st_index - 1] if st_index is not None else None),
    )


def _st_index(transaction_set: TransactionSet, tokens: TokenizedFile) -> int | None:
    for index, segment in enumerate(tokens.segments, start=1):
        if segment.tag == "ST" and segment.element(2) == transaction_set.control_number:
            return index
    return None


def _segment(segment: Segment) -> list[str]:
    return [segment.tag, *segment.elements]


def plain(value: object) -> Any:
    """``value`` as JSON-ready data: dataclasses via ``dataclasses.asdict``, datetimes in ISO 8601, decimals
    as strings (no float rounding), enums as their values, tuples as lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return plain(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"crossdock x12 inspect cannot show a {type(value).__name__} as JSON: {value!r}")
