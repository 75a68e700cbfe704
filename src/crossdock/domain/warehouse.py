"""What the hub sends to a warehouse and what a warehouse tells the hub, whatever the connector.

A ``WarehouseOrder`` is the part of a Shopify order that one warehouse must ship (an order may be split). Its
``key`` is the idempotency key under which every connector creates it: a connector that is asked twice to
send the same key creates one order at the warehouse. The events are the canonical vocabulary every connector
maps its own documents onto (X12 945 → ``Shipped``, a ShipBob webhook → ``Shipped``, …); they are past tense
and carry where they came from (``source``), so that the timeline can name the document.

Pure values: no I/O, no framework.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from crossdock.domain.orders import Address


class InvalidWarehouseValue(ValueError):
    """A warehouse order or event that breaks one of the model's invariants."""


def _require_utc(name: str, moment: datetime | None) -> None:
    if moment is None:
        return
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise InvalidWarehouseValue(f"{name} must be an aware UTC datetime, got {moment!r}")


def _require_text(name: str, value: str) -> None:
    if not value or not value.strip():
        raise InvalidWarehouseValue(f"{name} must not be empty")


# --- what the hub sends -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WarehouseOrderLine:
    """One line as the warehouse knows it: the warehouse's item code (the SKU, or its alias at that
    warehouse) and a quantity in eaches. ``line_number`` is stable across changes of the same order."""

    line_number: int
    sku: str
    quantity: int
    description: str | None = None

    def __post_init__(self) -> None:
        _require_text("sku", self.sku)
        if self.line_number < 1:
            raise InvalidWarehouseValue(f"line_number must be at least 1, got {self.line_number}")
        if self.quantity < 0:
            raise InvalidWarehouseValue(f"line {self.line_number}: quantity must not be negative")


@dataclass(frozen=True)
class WarehouseOrder:
    """An order for one warehouse. ``key`` identifies it at the warehouse for ever (idempotency key, the
    depositor order number of an X12 940); ``order_name`` is what the buyer and support see (#1001)."""

    key: str
    warehouse: str
    shopify_order_id: str
    order_name: str
    ordered_at: datetime
    ship_to_name: str
    ship_to: Address
    lines: tuple[WarehouseOrderLine, ...]
    # The carrier and service the buyer paid for, as the warehouse's codes (SCAC and service level), when
    # the order names one; None lets the warehouse choose.
    carrier_code: str | None = None
    service_level: str | None = None
    email: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        _require_text("key", self.key)
        _require_text("warehouse", self.warehouse)
        _require_utc("ordered_at", self.ordered_at)
        if not self.lines:
            raise InvalidWarehouseValue(f"warehouse order {self.key} has no line")
        numbers = [line.line_number for line in self.lines]
        if len(set(numbers)) != len(numbers):
            raise InvalidWarehouseValue(f"warehouse order {self.key} numbers a line twice: {numbers}")

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


ReturnReason = Literal["unwanted", "damaged", "wrong_item", "defective", "other"]


@dataclass(frozen=True)
class ReturnLine:
    line_number: int
    sku: str
    quantity: int
    reason: ReturnReason = "other"

    def __post_init__(self) -> None:
        _require_text("sku", self.sku)
        if self.quantity < 1:
            raise InvalidWarehouseValue(f"return line {self.line_number}: quantity must be at least 1")


@dataclass(frozen=True)
class WarehouseReturn:
    """A return authorisation (RMA) the warehouse must expect: ``key`` is its idempotency key and the
    reference printed on the parcel; ``order_key`` the warehouse order that shipped the goods."""

    key: str
    warehouse: str
    order_key: str
    shopify_return_id: str
    authorised_at: datetime
    customer_name: str
    ship_from: Address
    lines: tuple[ReturnLine, ...]

    def __post_init__(self) -> None:
        _require_text("key", self.key)
        _require_utc("authorised_at", self.authorised_at)
        if not self.lines:
            raise InvalidWarehouseValue(f"return {self.key} has no line")


# --- what a warehouse tells the hub -----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceDocument:
    """Where an event was read: the connector's kind of document (``x12/945``, ``shipbob/webhook``), its
    own identifier (interchange and set control numbers, webhook id) and, for files, the file name."""

    kind: str
    reference: str
    file_name: str | None = None


@dataclass(frozen=True)
class WarehouseEvent:
    warehouse: str
    occurred_at: datetime
    source: SourceDocument

    def __post_init__(self) -> None:
        _require_text("warehouse", self.warehouse)
        _require_utc("occurred_at", self.occurred_at)


@dataclass(frozen=True)
class OrderAcknowledged(WarehouseEvent):
    order_key: str = ""
    # The warehouse's own number for the order, when it gives one.
    warehouse_reference: str | None = None


@dataclass(frozen=True)
class OrderRejected(WarehouseEvent):
    order_key: str = ""
    reason: str = ""
    # Lines the warehouse named as the cause (out of stock, unknown item), by SKU.
    skus: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreparationStarted(WarehouseEvent):
    order_key: str = ""


@dataclass(frozen=True)
class ShippedLine:
    sku: str
    quantity_shipped: int
    quantity_ordered: int
    line_number: int | None = None
    lot: str | None = None

    def __post_init__(self) -> None:
        _require_text("sku", self.sku)
        if self.quantity_shipped < 0 or self.quantity_ordered < 0:
            raise InvalidWarehouseValue(f"shipped line {self.sku}: quantities must not be negative")


@dataclass(frozen=True)
class Parcel:
    tracking_number: str
    # The carrier as the warehouse names it (an SCAC such as UPSN or FDEG), and the name the hub maps it to
    # (``UPS``, ``FedEx``) when its table knows the code.
    carrier_code: str | None = None
    carrier_name: str | None = None
    service_level: str | None = None
    tracking_url: str | None = None
    weight_kg: float | None = None

    def __post_init__(self) -> None:
        _require_text("tracking_number", self.tracking_number)


@dataclass(frozen=True)
class Shipped(WarehouseEvent):
    """One shipment of an order. Several ``Shipped`` events for one order are partial shipments; the same
    ``shipment_id`` arriving twice is the same shipment."""

    order_key: str = ""
    shipment_id: str = ""
    lines: tuple[ShippedLine, ...] = ()
    parcels: tuple[Parcel, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text("order_key", self.order_key)
        _require_text("shipment_id", self.shipment_id)

    @property
    def is_partial(self) -> bool:
        return any(line.quantity_shipped < line.quantity_ordered for line in self.lines)


@dataclass(frozen=True)
class CancelConfirmed(WarehouseEvent):
    order_key: str = ""


@dataclass(frozen=True)
class CancelRefused(WarehouseEvent):
    order_key: str = ""
    reason: str = ""
    # The shipment that made cancelling impossible, when the warehouse names it.
    shipment_id: str | None = None


@dataclass(frozen=True)
class StockLevel:
    sku: str
    on_hand: int
    available: int
    # Units the warehouse holds for orders it has not shipped yet (on hand minus available), when it says so.
    reserved: int | None = None

    def __post_init__(self) -> None:
        _require_text("sku", self.sku)


@dataclass(frozen=True)
class StockSnapshot(WarehouseEvent):
    """Every SKU the warehouse holds as of ``occurred_at``; one absent from a complete snapshot has none."""

    levels: tuple[StockLevel, ...] = ()
    complete: bool = True


AdjustmentReason = Literal["shrinkage", "damaged", "cycle_count", "found", "received", "returned", "other"]


@dataclass(frozen=True)
class StockAdjusted(WarehouseEvent):
    sku: str = ""
    quantity_change: int = 0
    reason: AdjustmentReason = "other"
    # The warehouse's own reason code (a W19 adjustment reason, an API reason), kept for people.
    reason_code: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class ReceivedLine:
    sku: str
    quantity: int
    # Quantity received in a state that cannot be sold (damaged), included in ``quantity``.
    damaged: int = 0


@dataclass(frozen=True)
class ReceiptPosted(WarehouseEvent):
    """Goods received at the warehouse against a reference (an advance ship notice, a purchase order)."""

    reference: str = ""
    lines: tuple[ReceivedLine, ...] = ()


Disposition = Literal["restock", "damaged"]


@dataclass(frozen=True)
class ReturnedLine:
    sku: str
    quantity: int
    disposition: Disposition


@dataclass(frozen=True)
class ReturnReceived(WarehouseEvent):
    return_key: str = ""
    lines: tuple[ReturnedLine, ...] = field(default_factory=tuple)
