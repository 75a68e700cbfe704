"""A customer return as the hub follows it: asked for in Shopify, approved there, announced to the
warehouse that shipped the goods (an RMA), received by that warehouse (each unit restocked or found damaged),
then closed in Shopify.

The hub's status only moves forward — ``requested → approved → authorised → received → closed`` — so an input
that would move it back (a ``returns/request`` delivered after ``returns/approve``, a webhook repeated late)
is older news and is skipped. What the warehouse received is compared with what it was told to expect: a SKU
the return does not authorise, or more units of a SKU than authorised, is a mismatch an operator must see;
fewer units is a shortfall the timeline states (the rest may still come, or never will).

Pure values and functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from crossdock.domain.warehouse import ReturnedLine

ReturnStatus = Literal["requested", "approved", "authorised", "received", "closed"]
RETURN_STATUSES: tuple[ReturnStatus, ...] = ("requested", "approved", "authorised", "received", "closed")
_RANK: Mapping[str, int] = {status: rank for rank, status in enumerate(RETURN_STATUSES)}

# The RMA number travels in an X12 944's W17-04 (at most 22 characters) and a 180's BGN-02 (30).
RMA_KEY_MAX_LENGTH = 22
_RMA_PREFIX = "RMA"


class InvalidReturn(ValueError):
    """A return (or a part of it) that breaks one of the model's invariants."""


def _require_number(name: str, value: str) -> None:
    if not (value.isascii() and value.isdigit()):
        raise InvalidReturn(f"{name} must be Shopify's numeric id as a string, got {value!r}")


def _require_utc(name: str, moment: datetime | None) -> None:
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() != timedelta(0)):
        raise InvalidReturn(f"{name} must be an aware UTC datetime, got {moment!r}")


@dataclass(frozen=True)
class ReturnNotice:
    """What a Shopify returns/* webhook says: which return of which order, and how far it went (a request,
    an approval). It carries no lines: Shopify's payload has none, they are read from the return itself."""

    shopify_return_id: str
    shopify_order_id: str
    status: ReturnStatus

    def __post_init__(self) -> None:
        _require_number("shopify_return_id", self.shopify_return_id)
        _require_number("shopify_order_id", self.shopify_order_id)
        if self.status not in ("requested", "approved"):
            raise InvalidReturn(f"Shopify announces returns requested or approved, not {self.status!r}")


@dataclass(frozen=True)
class RequestedLine:
    """One line of the return as Shopify lists it: the order line the units were sold on, the SKU Shopify
    shows there, and how many units come back."""

    return_line_id: str
    order_line_id: str
    sku: str | None
    quantity: int

    def __post_init__(self) -> None:
        _require_number("return_line_id", self.return_line_id)
        _require_number("order_line_id", self.order_line_id)
        if self.quantity < 1:
            raise InvalidReturn(f"return line {self.return_line_id}: quantity must be at least 1")


@dataclass(frozen=True)
class ReturnItem:
    """Units of one SKU, as the warehouse knows it, that the return authorises (a bundle comes back as its
    components, the way it was shipped)."""

    sku: str
    quantity: int

    def __post_init__(self) -> None:
        if not self.sku.strip():
            raise InvalidReturn("a returned item needs a SKU")
        if self.quantity < 1:
            raise InvalidReturn(f"{self.sku}: quantity must be at least 1, got {self.quantity}")


@dataclass(frozen=True)
class Return:
    """A return the hub follows. ``items`` are empty until the return's lines were read from Shopify;
    ``rma_key`` names it at the warehouse (``rma_key_for``); ``received`` is everything the warehouse
    reported receiving for it, each unit with its disposition."""

    shopify_return_id: str
    shopify_order_id: str
    status: ReturnStatus
    items: tuple[ReturnItem, ...] = ()
    rma_key: str | None = None
    received: tuple[ReturnedLine, ...] = ()
    approved_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_number("shopify_return_id", self.shopify_return_id)
        _require_number("shopify_order_id", self.shopify_order_id)
        _require_utc("approved_at", self.approved_at)
        if self.status not in _RANK:
            raise InvalidReturn(f"unknown return status {self.status!r}")
        skus = [item.sku for item in self.items]
        if len(set(skus)) != len(skus):
            raise InvalidReturn(f"return {self.shopify_return_id} lists a SKU twice: {skus}")

    @property
    def shopify_global_id(self) -> str:
        return f"gid://shopify/Return/{self.shopify_return_id}"


def rma_key_for(shopify_return_id: str) -> str:
    """The RMA number of a Shopify return: the warehouse prints it on the parcel's label and quotes it on its
    receipt. Shopify's return ids are unique across shops, so the key is too."""
    _require_number("shopify_return_id", shopify_return_id)
    key = f"{_RMA_PREFIX}{shopify_return_id}"
    if len(key) > RMA_KEY_MAX_LENGTH:
        raise InvalidReturn(
            f"return id {shopify_return_id} makes an RMA number longer than {RMA_KEY_MAX_LENGTH}"
        )
    return key


def is_newer(current: ReturnStatus, incoming: ReturnStatus) -> bool:
    """Whether ``incoming`` moves a return now ``current`` forward; anything else is old or repeated news."""
    return _RANK[incoming] > _RANK[current]


def authorised_items(lines: Iterable[tuple[str, int]]) -> tuple[ReturnItem, ...]:
    """(SKU, units) pairs as the return's items: one per SKU, units added up, in order of first appearance."""
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        totals[sku] = totals.get(sku, 0) + quantity
    return tuple(ReturnItem(sku, quantity) for sku, quantity in totals.items())


MismatchKind = Literal["not_authorised", "more_than_authorised"]


@dataclass(frozen=True)
class Mismatch:
    """A SKU the warehouse received against the return beyond what the return authorises."""

    sku: str
    kind: MismatchKind
    authorised: int
    received: int

    def describe(self) -> str:
        if self.kind == "not_authorised":
            return f"{self.received} x {self.sku} received, which the return does not authorise"
        return f"{self.received} x {self.sku} received, {self.authorised} authorised"


def received_by_sku(received: Iterable[ReturnedLine]) -> dict[str, int]:
    """Every unit received per SKU, whatever its disposition."""
    totals: dict[str, int] = {}
    for line in received:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


def mismatches(items: Iterable[ReturnItem], received: Iterable[ReturnedLine]) -> tuple[Mismatch, ...]:
    """What the warehouse received that the return does not cover: each SKU not authorised, and each SKU with
    more units received than authorised, by SKU. Damaged units count: they were received all the same."""
    authorised = {item.sku: item.quantity for item in items}
    found: list[Mismatch] = []
    for sku, units in sorted(received_by_sku(received).items()):
        if sku not in authorised:
            if units > 0:
                found.append(Mismatch(sku, "not_authorised", 0, units))
        elif units > authorised[sku]:
            found.append(Mismatch(sku, "more_than_authorised", authorised[sku], units))
    return tuple(found)


def shortfall(items: Iterable[ReturnItem], received: Iterable[ReturnedLine]) -> dict[str, int]:
    """Units authorised that the warehouse has not received (yet), by SKU."""
    got = received_by_sku(received)
    return {
        item.sku: item.quantity - got.get(item.sku, 0)
        for item in items
        if got.get(item.sku, 0) < item.quantity
    }


def units_by_disposition(received: Iterable[ReturnedLine]) -> dict[str, dict[str, int]]:
    """{"restock": {sku: units}, "damaged": {sku: units}} of what was received."""
    split: dict[str, dict[str, int]] = {"restock": {}, "damaged": {}}
    for line in received:
        bucket = split[line.disposition]
        bucket[line.sku] = bucket.get(line.sku, 0) + line.quantity
    return split


def shipping_warehouse_order(
    items: Iterable[ReturnItem], shipped: Mapping[int, Mapping[str, int]]
) -> int | None:
    """Which warehouse order the returned units left with: ``shipped`` maps each warehouse order (by id) to
    the units it shipped per SKU; the first one, by id, that shipped every unit the return authorises, or None
    when no single one did (the units left from several warehouses, or never left)."""
    wanted = list(items)
    for placed in sorted(shipped):
        units = shipped[placed]
        if wanted and all(units.get(item.sku, 0) >= item.quantity for item in wanted):
            return placed
    return None
