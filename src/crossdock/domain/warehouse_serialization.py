"""Warehouse events as JSON-able documents and back: how the event journal stores them and how
`crossdock x12 inspect` prints them. ``kind`` is the event's class name; times are ISO 8601 UTC."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crossdock.domain.orders import Address
from crossdock.domain.warehouse import (
    CancelConfirmed,
    CancelRefused,
    OrderAcknowledged,
    OrderRejected,
    Parcel,
    PreparationStarted,
    ReceiptPosted,
    ReceivedLine,
    ReturnedLine,
    ReturnReceived,
    Shipped,
    ShippedLine,
    SourceDocument,
    StockAdjusted,
    StockLevel,
    StockSnapshot,
    WarehouseEvent,
    WarehouseOrder,
    WarehouseOrderLine,
)

EVENT_TYPES: dict[str, type[WarehouseEvent]] = {
    event_type.__name__: event_type
    for event_type in (
        OrderAcknowledged,
        OrderRejected,
        PreparationStarted,
        Shipped,
        CancelConfirmed,
        CancelRefused,
        StockSnapshot,
        StockAdjusted,
        ReceiptPosted,
        ReturnReceived,
    )
}

# The fields that hold tuples of values of another class ("lines" depends on the event: _LINES_OF).
_NESTED: dict[str, type[Any]] = {"parcels": Parcel, "levels": StockLevel}
_LINES_OF: dict[type[WarehouseEvent], type[Any]] = {
    Shipped: ShippedLine,
    ReceiptPosted: ReceivedLine,
    ReturnReceived: ReturnedLine,
}


class UnknownEventKind(ValueError):
    pass


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def event_to_document(event: WarehouseEvent) -> dict[str, Any]:
    return {"kind": type(event).__name__, **_plain(dataclasses.asdict(event))}


def event_from_document(document: Mapping[str, Any]) -> WarehouseEvent:
    kind = document.get("kind")
    event_type = EVENT_TYPES.get(str(kind))
    if event_type is None:
        raise UnknownEventKind(f"unknown warehouse event kind {kind!r}; known: {', '.join(EVENT_TYPES)}")
    values: dict[str, Any] = {}
    for field in dataclasses.fields(event_type):
        if field.name not in document:
            continue
        raw = document[field.name]
        if field.name == "occurred_at":
            values[field.name] = datetime.fromisoformat(raw)
        elif field.name == "source":
            values[field.name] = SourceDocument(**raw)
        elif field.name == "lines":
            values[field.name] = tuple(_LINES_OF[event_type](**item) for item in raw)
        elif field.name in _NESTED:
            values[field.name] = tuple(_NESTED[field.name](**item) for item in raw)
        elif isinstance(raw, list):
            values[field.name] = tuple(raw)
        else:
            values[field.name] = raw
    return event_type(**values)


def event_subject(event: WarehouseEvent) -> tuple[str | None, str | None]:
    """The order key and the SKU an event is about, for the journal's indexes."""
    order_key = getattr(event, "order_key", None) or getattr(event, "return_key", None) or None
    sku = getattr(event, "sku", None) or None
    return order_key, sku


def warehouse_order_to_document(order: WarehouseOrder) -> dict[str, Any]:
    document: dict[str, Any] = _plain(dataclasses.asdict(order))
    document["ship_to"] = order.ship_to.to_document()
    return document


def warehouse_order_from_document(document: Mapping[str, Any]) -> WarehouseOrder:
    values = dict(document)
    values["ordered_at"] = datetime.fromisoformat(values["ordered_at"])
    values["ship_to"] = Address.from_document(values["ship_to"])
    values["lines"] = tuple(WarehouseOrderLine(**line) for line in values["lines"])
    return WarehouseOrder(**values)
