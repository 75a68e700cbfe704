"""A warehouse's shipment as a Shopify fulfillment, tracking corrections, the order's status for support, and
crossdock's answers to the merchant's requests when it is the warehouse's fulfillment service.

**One fulfillment per shipment, for exactly the shipped units.** ``fulfil_shipment`` reads the order's
fulfillment orders and fulfillments, then places each SKU's shipped units on the lines of the fulfillment
orders that can still be fulfilled (OPEN or IN_PROGRESS, with units remaining), in Shopify's order, and
creates one fulfillment with the shipment's tracking. Shopify fulfils from one location per fulfillment: the
shipment's ``location_gid`` names it when the caller knows the warehouse's location, otherwise the location
that can take most of the shipment is used. Units that fit nowhere (more shipped than ordered, a SKU the
order does not have, lines on hold) are returned in the outcome, never dropped in silence. Callers pass the
SKUs as Shopify knows them: the hub maps a bundle's component shipments back to the bundle's lines itself.

**Applied once.** ``fulfillmentCreate`` has no ``@idempotent`` in Shopify's API, so the client never sends it
twice on its own; when its outcome is unknown (ShopifyOutcomeUnknown), or the hub crashed between Shopify's
answer and its own commit, the shipment is simply fulfilled again: the order's fulfillments are read first,
and one that carries the shipment's first tracking number *is* the shipment's fulfillment (returned with
``created=False``, whatever its status: a fulfillment the merchant cancelled is not recreated). A shipment
without tracking number has nothing of its own to be recognised by; it counts as applied when no line of its
SKUs remains to fulfil, so an untracked shipment replayed while units of its SKUs are still open would be
fulfilled twice: the hub's own record of applied shipments is what guards that case.

**The status for support** is an order metafield, ``crossdock.status`` (and ``crossdock.status_detail``),
rather than a tag: an order's tags are shared with the merchant's own automations (Shopify Flow, other apps),
and rewriting that shared set would race with them and could drop or resurrect their tags; a metafield in
our namespace is written by crossdock alone, and the merchant sees it on the order in the admin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.errors import ShopifyError
from crossdock.jobs.errors import FatalJobError

# Fulfillment orders Shopify lets a fulfillment draw from; the others are on hold, scheduled, closed,
# cancelled or incomplete.
FULFILLABLE_STATUSES = frozenset({"OPEN", "IN_PROGRESS"})
STATUS_NAMESPACE = "crossdock"
STATUS_KEY = "status"
STATUS_DETAIL_KEY = "status_detail"
STATUS_TYPE = "single_line_text_field"


class UnknownOrder(ShopifyError, FatalJobError):
    def __init__(self, order_gid: str) -> None:
        super().__init__(f"Shopify has no order {order_gid}")
        self.order_gid = order_gid


@dataclass(frozen=True)
class ShipmentToFulfil:
    order_gid: str
    shipment_id: str
    lines: Mapping[str, int]  # sku → units shipped
    tracking_numbers: tuple[str, ...]
    # Empty, or one per tracking number, in the same order: Shopify pairs numbers and URLs by position.
    tracking_urls: tuple[str, ...]
    company: str | None
    notify_customer: bool
    # The Shopify location of the warehouse that shipped, when the caller knows it; None lets the shipment go
    # to the location whose fulfillment orders can take most of it.
    location_gid: str | None = None

    def __post_init__(self) -> None:
        for sku, units in self.lines.items():
            if not sku.strip():
                raise ValueError(f"shipment {self.shipment_id}: a line has no SKU")
            if units < 0:
                raise ValueError(f"shipment {self.shipment_id}: {sku} has {units} units")
        if any(not number.strip() for number in self.tracking_numbers):
            raise ValueError(f"shipment {self.shipment_id}: a tracking number is blank")
        if self.tracking_urls and len(self.tracking_urls) != len(self.tracking_numbers):
            raise ValueError(
                f"shipment {self.shipment_id}: {len(self.tracking_urls)} tracking URLs for "
                f"{len(self.tracking_numbers)} tracking numbers (give one per number, or none)"
            )


@dataclass(frozen=True)
class Tracking:
    number: str | None
    company: str | None
    url: str | None


@dataclass(frozen=True)
class FulfillmentOutcome:
    # None when no unit of the shipment could be placed (and so nothing was created).
    fulfillment_id: str | None
    created: bool
    fulfilled: Mapping[str, int]  # sku → units in the fulfillment
    unplaced: Mapping[str, int]  # sku → shipped units no fulfillment order line could take
    tracking: tuple[Tracking, ...] = ()


@dataclass(frozen=True)
class FulfillmentOrderState:
    id: str
    status: str
    request_status: str


# -- what Shopify holds for the order -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    id: str
    sku: str | None
    remaining: int


@dataclass(frozen=True)
class _FulfillmentOrder:
    id: str
    status: str
    location_gid: str | None
    lines: tuple[_Line, ...]
    # Where the merchant's requests to the location's fulfillment service stand (UNSUBMITTED, SUBMITTED,
    # CANCELLATION_REQUESTED…): what fulfillment-service mode answers.
    request_status: str


@dataclass(frozen=True)
class _Fulfillment:
    id: str
    status: str
    tracking: tuple[Tracking, ...]
    units: Mapping[str, int]  # sku → units

    @property
    def tracking_numbers(self) -> set[str]:
        return {info.number.strip() for info in self.tracking if info.number}


@dataclass(frozen=True)
class _OrderState:
    fulfillment_orders: tuple[_FulfillmentOrder, ...]
    fulfillments: tuple[_Fulfillment, ...]


def _lines(nodes: Sequence[Mapping[str, Any]]) -> list[_Line]:
    return [
        _Line(node["id"], (node.get("lineItem") or {}).get("sku"), int(node["remainingQuantity"]))
        for node in nodes
    ]


def _tracking(infos: Sequence[Mapping[str, Any]] | None) -> tuple[Tracking, ...]:
    return tuple(Tracking(info.get("number"), info.get("company"), info.get("url")) for info in infos or ())


async def _remaining_lines(
    client: ShopifyClient, order_gid: str, fulfillment_order_id: str, after: str | None
) -> list[_Line]:
    lines: list[_Line] = []
    while after is not None:
        data = await client.execute(
            "FulfillmentOrderLineItems", {"id": fulfillment_order_id, "after": after}, subject=order_gid
        )
        page = (data.get("fulfillmentOrder") or {}).get("lineItems") or {}
        lines += _lines(page.get("nodes") or [])
        info = page.get("pageInfo") or {}
        after = info.get("endCursor") if info.get("hasNextPage") else None
    return lines


async def _read_order(client: ShopifyClient, order_gid: str) -> _OrderState:
    fulfillment_orders: list[_FulfillmentOrder] = []
    fulfillments: tuple[_Fulfillment, ...] | None = None
    after: str | None = None
    while True:
        data = await client.execute(
            "OrderFulfillmentOrders", {"id": order_gid, "after": after}, subject=order_gid
        )
        order = data.get("order")
        if order is None:
            raise UnknownOrder(order_gid)
        if fulfillments is None:  # every page repeats them
            fulfillments = tuple(_fulfillment(node) for node in order.get("fulfillments") or [])
        page = order["fulfillmentOrders"]
        for node in page["nodes"]:
            line_page = node["lineItems"]
            lines = _lines(line_page["nodes"])
            if line_page["pageInfo"]["hasNextPage"]:
                lines += await _remaining_lines(
                    client, order_gid, node["id"], line_page["pageInfo"]["endCursor"]
                )
            location = (node.get("assignedLocation") or {}).get("location") or {}
            fulfillment_orders.append(
                _FulfillmentOrder(
                    node["id"],
                    node["status"],
                    location.get("id"),
                    tuple(lines),
                    node["requestStatus"],
                )
            )
        if not page["pageInfo"]["hasNextPage"]:
            return _OrderState(tuple(fulfillment_orders), fulfillments)
        after = page["pageInfo"]["endCursor"]


def _fulfillment(node: Mapping[str, Any]) -> _Fulfillment:
    units: dict[str, int] = {}
    for line in (node.get("fulfillmentLineItems") or {}).get("nodes") or []:
        sku = (line.get("lineItem") or {}).get("sku")
        if sku:
            units[sku] = units.get(sku, 0) + int(line["quantity"])
    return _Fulfillment(node["id"], node["status"], _tracking(node.get("trackingInfo")), units)


# -- fulfilling a shipment ----------------------------------------------------------------------------------


def _shipped(shipment: ShipmentToFulfil) -> dict[str, int]:
    return {sku: units for sku, units in shipment.lines.items() if units > 0}


def _already_applied(shipment: ShipmentToFulfil, order: _OrderState) -> _Fulfillment | None:
    if shipment.tracking_numbers:
        first = shipment.tracking_numbers[0].strip()
        return next((found for found in order.fulfillments if first in found.tracking_numbers), None)
    skus = set(_shipped(shipment))
    still_open = any(
        line.sku in skus and line.remaining > 0
        for fulfillment_order in order.fulfillment_orders
        if fulfillment_order.status in FULFILLABLE_STATUSES
        for line in fulfillment_order.lines
    )
    if still_open:
        return None
    # The latest fulfillment of these SKUs is the best guess at the shipment's own.
    return next((found for found in reversed(order.fulfillments) if skus & found.units.keys()), None)


def _placeable(shipped: Mapping[str, int], fulfillment_orders: Sequence[_FulfillmentOrder]) -> int:
    room: dict[str, int] = {}
    for fulfillment_order in fulfillment_orders:
        for line in fulfillment_order.lines:
            if line.sku is not None:
                room[line.sku] = room.get(line.sku, 0) + line.remaining
    return sum(min(units, room.get(sku, 0)) for sku, units in shipped.items())


def _candidates(shipment: ShipmentToFulfil, order: _OrderState) -> list[_FulfillmentOrder]:
    """The fulfillable fulfillment orders of one location: Shopify refuses a fulfillment spanning two."""
    fulfillable = [fo for fo in order.fulfillment_orders if fo.status in FULFILLABLE_STATUSES]
    by_location: dict[str | None, list[_FulfillmentOrder]] = {}
    for fulfillment_order in fulfillable:
        by_location.setdefault(fulfillment_order.location_gid, []).append(fulfillment_order)
    if shipment.location_gid is not None:
        return by_location.get(shipment.location_gid, [])
    if not by_location:
        return []
    shipped = _shipped(shipment)
    # max() keeps the first of equals: Shopify's order of fulfillment orders breaks ties.
    return max(by_location.values(), key=lambda group: _placeable(shipped, group))


def _allocate(
    shipment: ShipmentToFulfil, fulfillment_orders: Sequence[_FulfillmentOrder]
) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, int]]:
    """``lineItemsByFulfillmentOrder`` for the shipped units, the units placed and those left, by SKU."""
    left = _shipped(shipment)
    placed: dict[str, int] = {}
    groups: list[dict[str, Any]] = []
    for fulfillment_order in fulfillment_orders:
        items: list[dict[str, Any]] = []
        for line in fulfillment_order.lines:
            wanted = left.get(line.sku or "", 0)
            quantity = min(wanted, line.remaining)
            if line.sku is None or quantity <= 0:
                continue
            items.append({"id": line.id, "quantity": quantity})
            left[line.sku] = wanted - quantity
            placed[line.sku] = placed.get(line.sku, 0) + quantity
        if items:
            groups.append({"fulfillmentOrderId": fulfillment_order.id, "fulfillmentOrderLineItems": items})
    return groups, placed, {sku: units for sku, units in left.items() if units > 0}


def _tracking_input(
    numbers: Sequence[str], urls: Sequence[str], company: str | None
) -> dict[str, Any] | None:
    # numbers/urls rather than number/url, which Shopify says not to mix with them: one form for any count.
    tracking: dict[str, Any] = {}
    if company:
        tracking["company"] = company
    if numbers:
        tracking["numbers"] = [number.strip() for number in numbers]
    if urls:
        tracking["urls"] = list(urls)
    return tracking or None


async def fulfil_shipment(client: ShopifyClient, shipment: ShipmentToFulfil) -> FulfillmentOutcome:
    """Create the shipment's fulfillment, or find the one an earlier attempt created (``created=False``)."""
    order = await _read_order(client, shipment.order_gid)
    shipped = _shipped(shipment)
    existing = _already_applied(shipment, order)
    if existing is not None:
        fulfilled = {
            sku: min(units, existing.units.get(sku, 0))
            for sku, units in shipped.items()
            if sku in existing.units
        }
        unplaced = {sku: units - fulfilled.get(sku, 0) for sku, units in shipped.items()}
        return FulfillmentOutcome(
            existing.id,
            created=False,
            fulfilled=MappingProxyType(fulfilled),
            unplaced=MappingProxyType({sku: units for sku, units in unplaced.items() if units > 0}),
            tracking=existing.tracking,
        )
    groups, placed, unplaced = _allocate(shipment, _candidates(shipment, order))
    if not groups:
        return FulfillmentOutcome(None, False, MappingProxyType({}), MappingProxyType(unplaced))
    fulfillment: dict[str, Any] = {
        "lineItemsByFulfillmentOrder": groups,
        "notifyCustomer": shipment.notify_customer,
    }
    tracking = _tracking_input(shipment.tracking_numbers, shipment.tracking_urls, shipment.company)
    if tracking is not None:
        fulfillment["trackingInfo"] = tracking
    data = await client.execute(
        "FulfillmentCreate",
        {"fulfillment": fulfillment, "message": f"crossdock shipment {shipment.shipment_id}"},
        subject=shipment.order_gid,
    )
    created = data["fulfillmentCreate"]["fulfillment"]
    return FulfillmentOutcome(
        created["id"],
        created=True,
        fulfilled=MappingProxyType(placed),
        unplaced=MappingProxyType(unplaced),
        tracking=_tracking(created.get("trackingInfo")),
    )


async def update_tracking(
    client: ShopifyClient,
    fulfillment_id: str,
    numbers: Sequence[str],
    urls: Sequence[str],
    company: str | None,
    notify_customer: bool,
    order_gid: str | None = None,
) -> tuple[Tracking, ...]:
    """Replace the fulfillment's tracking; returns the tracking Shopify holds afterwards. Updating to the same
    tracking again changes nothing, so a repeated correction is harmless."""
    if urls and len(urls) != len(numbers):
        raise ValueError(f"{len(urls)} tracking URLs for {len(numbers)} tracking numbers")
    data = await client.execute(
        "FulfillmentTrackingInfoUpdate",
        {
            "fulfillmentId": fulfillment_id,
            "trackingInfoInput": _tracking_input(numbers, urls, company) or {},
            "notifyCustomer": notify_customer,
        },
        subject=order_gid,
    )
    return _tracking(data["fulfillmentTrackingInfoUpdate"]["fulfillment"].get("trackingInfo"))


# -- the order's status for support -------------------------------------------------------------------------


def _single_line(text: str) -> str:
    return " ".join(text.split())


# metafieldsSet takes at most 25 metafields; each order's status takes two.
STATUSES_PER_CALL = 12


async def publish_status(client: ShopifyClient, order_gid: str, status: str, detail: str) -> None:
    """Write the hub's canonical status of the order (``crossdock.status``) and a line for people saying more
    (``crossdock.status_detail``; the status itself when there is nothing more to say)."""
    await publish_statuses(client, [(order_gid, status, detail)])


async def publish_statuses(client: ShopifyClient, statuses: Sequence[tuple[str, str, str]]) -> None:
    """``publish_status`` for up to STATUSES_PER_CALL orders (order GID, status, detail) in one call."""
    if not 0 < len(statuses) <= STATUSES_PER_CALL:
        raise ValueError(f"publish 1 to {STATUSES_PER_CALL} statuses a call, not {len(statuses)}")
    metafields = []
    for order_gid, status, detail in statuses:
        value = _single_line(status)
        if not value:
            raise ValueError(f"the status to publish for {order_gid} is blank")
        metafields += [
            {
                "ownerId": order_gid,
                "namespace": STATUS_NAMESPACE,
                "key": key,
                "type": STATUS_TYPE,
                "value": text,
            }
            for key, text in ((STATUS_KEY, value), (STATUS_DETAIL_KEY, _single_line(detail) or value))
        ]
    await client.execute("OrderStatusMetafieldSet", {"metafields": metafields})


# -- fulfillment-service mode -------------------------------------------------------------------------------


async def _answer_request(
    client: ShopifyClient, operation: str, variables: Mapping[str, Any]
) -> FulfillmentOrderState:
    data = await client.execute(operation, variables)
    (payload,) = data.values()
    changed = payload["fulfillmentOrder"]
    return FulfillmentOrderState(changed["id"], changed["status"], changed["requestStatus"])


async def accept_fulfillment_request(
    client: ShopifyClient, fulfillment_order_id: str, message: str | None = None
) -> FulfillmentOrderState:
    return await _answer_request(
        client,
        "FulfillmentOrderAcceptFulfillmentRequest",
        {"id": fulfillment_order_id, "message": message},
    )


async def reject_fulfillment_request(
    client: ShopifyClient, fulfillment_order_id: str, message: str | None = None, reason: str | None = None
) -> FulfillmentOrderState:
    """``reason`` is a FulfillmentOrderRejectionReason (INVENTORY_OUT_OF_STOCK, INVALID_SKU, OTHER…)."""
    return await _answer_request(
        client,
        "FulfillmentOrderRejectFulfillmentRequest",
        {"id": fulfillment_order_id, "message": message, "reason": reason},
    )


async def accept_cancellation_request(
    client: ShopifyClient, fulfillment_order_id: str, message: str | None = None
) -> FulfillmentOrderState:
    return await _answer_request(
        client,
        "FulfillmentOrderAcceptCancellationRequest",
        {"id": fulfillment_order_id, "message": message},
    )


async def reject_cancellation_request(
    client: ShopifyClient, fulfillment_order_id: str, message: str | None = None
) -> FulfillmentOrderState:
    return await _answer_request(
        client,
        "FulfillmentOrderRejectCancellationRequest",
        {"id": fulfillment_order_id, "message": message},
    )
