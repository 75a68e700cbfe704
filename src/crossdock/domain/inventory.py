"""What the hub may offer for sale at each Shopify location, from what the warehouses report. Pure: the caller
brings the stock positions, the open reservations and the safety stock; nothing here does I/O.

Available-to-sell for a SKU at a Shopify location = warehouse-reported available - in-flight reservations
(units of orders the hub has dispatched that the warehouse had not yet counted when it took its snapshot) -
safety stock, never below zero. Several warehouses feeding one location add up. A bundle offers as many as its
scarcest component allows.

A warehouse's stock reaches the hub two ways: snapshots (846), which replace what the hub knew, and deltas
(947 adjustments, 944 receipts), which add to it. A position therefore remembers two moments: ``counted_at``,
when the warehouse counted the snapshot its value starts from, and ``as_of``, the newest report folded in.
They differ once a delta lands after a snapshot, and they must not be merged: a delta does not tell which
orders the warehouse had allocated by then, so reservations are still judged against the snapshot's count,
and a second delta arriving out of order is still compared with the snapshot, not with the first delta.

Each bundle is computed from its components on its own: two bundles sharing a component both advertise its
stock, and whichever sells first takes it; the next computation, with that order reserved, corrects the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# The count a position built from deltas alone starts from: no snapshot has been seen, so the warehouse has
# allocated no order that the hub knows of, and every open reservation is still in flight.
NEVER_COUNTED = datetime.min.replace(tzinfo=UTC)


def _require_utc(name: str, moment: datetime | None) -> None:
    if moment is None:
        return
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be an aware UTC datetime, got {moment!r}")


@dataclass(frozen=True)
class StockPosition:
    """What a warehouse last reported of one SKU, its deltas applied.

    ``available`` may be negative: a warehouse can report more allocated than it holds (backorders), and a
    shrinkage adjustment can exceed the count it corrects. ``counted_at`` defaults to ``as_of`` (a position
    read from a snapshot alone); it is earlier when deltas newer than the snapshot have been added, and it is
    ``NEVER_COUNTED`` when there has been no snapshot at all.
    """

    warehouse: str
    sku: str
    available: int
    as_of: datetime
    counted_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_utc("as_of", self.as_of)
        _require_utc("counted_at", self.counted_at)
        if self.counted_at is None:
            object.__setattr__(self, "counted_at", self.as_of)
        elif self.counted_at > self.as_of:
            raise ValueError(f"counted_at {self.counted_at} is after as_of {self.as_of}")


def _counted_at(position: StockPosition) -> datetime:
    # Never None once built; the field is optional only so that a snapshot position needs four arguments.
    return position.counted_at or position.as_of


@dataclass(frozen=True)
class Reservation:
    """Units of a dispatched order line, from when the warehouse received the order until it shipped or
    cancelled it. ``key`` identifies it (the warehouse order key and the SKU)."""

    key: str
    warehouse: str
    sku: str
    units: int
    reserved_at: datetime
    released_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_utc("reserved_at", self.reserved_at)
        _require_utc("released_at", self.released_at)
        if self.units <= 0:
            raise ValueError(f"a reservation holds at least one unit, got {self.units}")
        if self.released_at is not None and self.released_at < self.reserved_at:
            raise ValueError(f"reservation {self.key} released at {self.released_at} before it was reserved")


def _check_identity(position: StockPosition, warehouse: str, sku: str) -> None:
    if (position.warehouse, position.sku) != (warehouse, sku):
        raise ValueError(
            f"a report for {warehouse}/{sku} cannot update the position of "
            f"{position.warehouse}/{position.sku}"
        )


def apply_snapshot(
    position: StockPosition | None, warehouse: str, sku: str, available: int, as_of: datetime
) -> StockPosition:
    """The position after a snapshot: the snapshot's count, unless the position already holds newer news.

    A snapshot older than ``position.as_of`` arrived late (files are fetched and retried out of order) and is
    ignored. That includes a snapshot newer than the position's own count but older than a delta added to it:
    the delta is not in that snapshot, and replacing the value would lose it for good, since deltas are not
    kept to be replayed. A snapshot as old as the position replaces it: the warehouse's latest word wins ties.
    """
    _require_utc("as_of", as_of)
    if position is not None:
        _check_identity(position, warehouse, sku)
        if as_of < position.as_of:
            return position
    return StockPosition(warehouse, sku, available, as_of)


def apply_delta(
    position: StockPosition | None, warehouse: str, sku: str, change: int, as_of: datetime
) -> StockPosition:
    """The position after a delta (a 947 adjustment, a 944 receipt): ``change`` added, ``as_of`` the newer of
    the two.

    A delta older than the snapshot the position was counted from is ignored: the warehouse's count already
    includes it (it happened before the count), so adding it again would count those units twice. A delta
    stamped at the very moment of the count is added: the times cannot tell which came first, and only news
    strictly older than the count is known to be in it. Deltas are compared with the snapshot, not with each
    other, so two deltas arriving in either order both count. Without a position the delta starts from zero:
    a SKU's first report at a warehouse is usually its first receipt, and the next snapshot corrects it
    otherwise. Applying the same delta twice adds it twice: recognising a resent file is the caller's job.
    """
    _require_utc("as_of", as_of)
    if position is None:
        return StockPosition(warehouse, sku, change, as_of, counted_at=NEVER_COUNTED)
    _check_identity(position, warehouse, sku)
    counted_at = _counted_at(position)
    if as_of < counted_at:
        return position
    return StockPosition(
        warehouse, sku, position.available + change, max(position.as_of, as_of), counted_at=counted_at
    )


def in_flight(position: StockPosition, reservations: Iterable[Reservation]) -> int:
    """Units of the position's warehouse and SKU that the hub has promised and the warehouse's count has not
    taken off yet.

    A reservation counts when it was made at or after the snapshot's count (``counted_at``, not ``as_of``: a
    later delta says nothing about allocations) and was not released before that count. Made before the
    count, the warehouse had already allocated its units and taken them off its available. A release does not
    end the deduction by itself: a line shipped after the count is still in the counted figure, so dropping it
    would offer units that have left the building; the next snapshot, counted after the shipment, shows them
    gone and stops the deduction since the reservation is then older than the count. A line cancelled after
    the count is deducted until that snapshot too, which keeps a few units off sale for a while; the other way
    round would oversell. A reservation made at the very moment of the count is counted as in flight for the
    same reason: when the time cannot tell, the unit is kept off sale.
    """
    counted_at = _counted_at(position)
    return sum(
        reservation.units
        for reservation in reservations
        if (reservation.warehouse, reservation.sku) == (position.warehouse, position.sku)
        and reservation.reserved_at >= counted_at
        and (reservation.released_at is None or reservation.released_at >= counted_at)
    )


def available_to_sell(
    sku: str,
    location_warehouses: Sequence[str],
    positions: Mapping[tuple[str, str], StockPosition],
    reservations: Iterable[Reservation],
    safety_stock: int,
) -> int:
    """What the location may sell: Σ over its warehouses of (available - in flight), less safety stock, never
    below zero. A warehouse that has reported nothing for the SKU holds nothing.

    A warehouse in deficit (more promised than it holds) lowers the location's total rather than counting as
    zero: an order it rejects for lack of stock may be routed again to another warehouse of the location, and
    would then take that warehouse's units.
    """
    if safety_stock < 0:
        raise ValueError(f"safety stock cannot be negative, got {safety_stock}")
    reservations = tuple(reservations)
    total = 0
    for warehouse in dict.fromkeys(location_warehouses):  # a warehouse listed twice holds its stock once
        position = positions.get((warehouse, sku))
        if position is not None:
            total += position.available - in_flight(position, reservations)
    return max(0, total - safety_stock)


def bundle_available(components: Mapping[str, int], available: Mapping[str, int]) -> int:
    """How many bundles the components allow: the least, over components, of ⌊available / quantity per
    bundle⌋. A bundle without components, or with one that has no availability, cannot be sold: 0."""
    if not components:
        return 0
    for component, quantity in components.items():
        if quantity <= 0:
            raise ValueError(f"component {component} must be needed at least once per bundle, got {quantity}")
    counts = []
    for component, quantity in components.items():
        if component not in available:
            return 0
        if available[component] < 0:
            raise ValueError(f"availability of {component} cannot be negative, got {available[component]}")
        counts.append(available[component] // quantity)
    return min(counts)


@dataclass(frozen=True)
class SafetyStock:
    """Units kept off sale, by SKU, by location, or by default.

    A SKU's own figure wins over its location's, which wins over the default. The per-SKU figure is the
    merchant's judgement of that product (it sells out fast, its counts drift, its oversell is costly) and
    holds wherever it is sold; a location's figure is a blanket margin for everything it offers, which a
    product-specific choice must be able to lower as well as raise.
    """

    default: int = 0
    per_sku: Mapping[str, int] = field(default_factory=dict)
    per_location: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        figures = [self.default, *self.per_sku.values(), *self.per_location.values()]
        if any(figure < 0 for figure in figures):
            raise ValueError("safety stock cannot be negative")

    def for_(self, sku: str, location: str) -> int:
        if sku in self.per_sku:
            return self.per_sku[sku]
        if location in self.per_location:
            return self.per_location[location]
        return self.default


def release(reservations: tuple[Reservation, ...], key: str, at: datetime) -> tuple[Reservation, ...]:
    """The reservations with ``key`` released at ``at`` (its line shipped or was cancelled).

    Releasing happens once: the first release's time is kept, and a second release (a resent ship
    confirmation, a cancellation after the shipment) returns the very same tuple. An unknown key is an error:
    the hub released something it never reserved.
    """
    _require_utc("at", at)
    matching = [reservation for reservation in reservations if reservation.key == key]
    if not matching:
        raise ValueError(f"no reservation has key {key!r}")
    if all(reservation.released_at is not None for reservation in matching):
        return reservations
    return tuple(
        dataclasses.replace(reservation, released_at=at)
        if reservation.key == key and reservation.released_at is None
        else reservation
        for reservation in reservations
    )


def changed_levels(
    previous: Mapping[tuple[str, str], int], current: Mapping[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """The levels to push to Shopify, keyed by (SKU, location): those that differ from what was pushed before.

    A level pushed for the first time is always sent, even 0, since nothing says what Shopify shows. A level
    that was pushed before and is no longer computed (the SKU or location left the hub) is sent as 0, unless
    it already was: leaving Shopify with the old figure would keep selling stock nobody feeds anymore.
    """
    changes = {key: level for key, level in current.items() if previous.get(key) != level}
    for key, level in previous.items():
        if key not in current and level != 0:
            changes[key] = 0
    return changes
