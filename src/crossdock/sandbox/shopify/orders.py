"""Orders, fulfillment orders and fulfillments as the sandbox holds them, and the operations that move them.

Plain objects and functions over a ShopState, no GraphQL. Every fulfillment order status change goes through
one table, ``TRANSITIONS``: (current status, action) -> what the action makes of it. An operation checks
everything first and applies nothing when any part is refused, so a refused call leaves the shop as it was.

Inventory follows the order the way Shopify moves it: placing an order commits units at the assigned
location, fulfilling ships them (out of committed and on hand), cancelling releases what was not fulfilled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crossdock.sandbox.shopify.catalog import Variant
    from crossdock.sandbox.shopify.shop_state import ShopState

FIRST_ORDER_NUMBER = 1001
# Shopify allows at most ten holds on one fulfillment order (FULFILLMENT_ORDER_HOLD_LIMIT_REACHED).
MAX_HOLDS = 10


class OrderError(Exception):
    """A refused operation, shaped as a Shopify user error (``code`` None where the payload has none)."""

    def __init__(self, field: list[str] | None, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


# -- the records ------------------------------------------------------------------------------------------


@dataclass
class MailingAddress:
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None
    phone: str | None = None


@dataclass
class OrderLineItem:
    id: int
    sku: str
    variant_id: int | None
    title: str
    variant_title: str | None
    quantity: int
    # What is still ordered: the quantity less what a cancellation removed.
    current_quantity: int
    price: str  # one unit, a decimal string as Shopify's Money travels


@dataclass
class FulfillmentOrderLineItem:
    id: int
    line_item_id: int
    inventory_item_id: int
    total_quantity: int
    remaining_quantity: int


@dataclass
class FulfillmentHold:
    id: int
    reason: str
    reason_notes: str | None
    handle: str


@dataclass
class MerchantRequest:
    id: int
    kind: str  # FULFILLMENT_REQUEST | CANCELLATION_REQUEST
    message: str | None
    sent_at: datetime


@dataclass
class FulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    created_at: datetime
    updated_at: datetime
    status: str = "OPEN"
    request_status: str = "UNSUBMITTED"
    line_items: list[FulfillmentOrderLineItem] = field(default_factory=list)
    holds: list[FulfillmentHold] = field(default_factory=list)
    merchant_requests: list[MerchantRequest] = field(default_factory=list)
    fulfillment_ids: list[int] = field(default_factory=list)
    # Where releasing the last hold returns to (OPEN, or IN_PROGRESS once accepted or partly fulfilled).
    status_before_hold: str | None = None


@dataclass
class TrackingInfo:
    company: str | None = None
    number: str | None = None
    url: str | None = None


@dataclass
class FulfilledLineItem:
    id: int
    line_item_id: int
    fulfillment_order_line_item_id: int
    quantity: int


@dataclass
class Fulfillment:
    id: int
    order_id: int
    location_id: int
    name: str
    created_at: datetime
    updated_at: datetime
    status: str = "SUCCESS"
    notify_customer: bool = False
    tracking: list[TrackingInfo] = field(default_factory=list)
    line_items: list[FulfilledLineItem] = field(default_factory=list)


@dataclass
class Order:
    id: int
    number: int
    name: str
    created_at: datetime
    updated_at: datetime
    processed_at: datetime
    email: str | None = None
    currency_code: str = "USD"
    financial_status: str = "PAID"
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed_at: datetime | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    shipping_address: MailingAddress | None = None
    line_items: list[OrderLineItem] = field(default_factory=list)
    fulfillment_order_ids: list[int] = field(default_factory=list)
    fulfillment_ids: list[int] = field(default_factory=list)

    def line_item(self, line_item_id: int) -> OrderLineItem:
        return next(line for line in self.line_items if line.id == line_item_id)

    def total_price(self) -> Decimal:
        return sum((Decimal(line.price) * line.quantity for line in self.line_items), Decimal(0))


# -- the transition table ---------------------------------------------------------------------------------


class Action(StrEnum):
    SUBMIT_FULFILLMENT_REQUEST = "submit a fulfillment request"
    ACCEPT_FULFILLMENT_REQUEST = "accept a fulfillment request"
    REJECT_FULFILLMENT_REQUEST = "reject a fulfillment request"
    SUBMIT_CANCELLATION_REQUEST = "submit a cancellation request"
    ACCEPT_CANCELLATION_REQUEST = "accept a cancellation request"
    REJECT_CANCELLATION_REQUEST = "reject a cancellation request"
    HOLD = "hold"
    RELEASE_HOLD = "release the hold"
    FULFILL_PART = "fulfill part"
    FULFILL_REST = "fulfill the rest"
    CANCEL = "cancel"


# The status a fulfillment order had before its first hold; RELEASE_HOLD goes back to it.
STATUS_BEFORE_HOLD = "STATUS_BEFORE_HOLD"
FULFILLMENT_ORDER_STATUSES = (
    "OPEN",
    "IN_PROGRESS",
    "CANCELLED",
    "INCOMPLETE",
    "CLOSED",
    "SCHEDULED",
    "ON_HOLD",
)


@dataclass(frozen=True)
class Transition:
    status: str  # the new status, or STATUS_BEFORE_HOLD
    request_status: str | None = None  # the new request status; None leaves it as it is
    # Request statuses the move is legal from; None: any.
    needs_request_status: frozenset[str] | None = None


def _any_of(*statuses: str) -> frozenset[str]:
    return frozenset(statuses)


_HOLDABLE = ("OPEN", "IN_PROGRESS", "SCHEDULED", "INCOMPLETE", "ON_HOLD")
_CANCELLABLE = ("OPEN", "IN_PROGRESS", "SCHEDULED", "INCOMPLETE", "ON_HOLD")

TRANSITIONS: dict[tuple[str, Action], Transition] = {
    ("OPEN", Action.SUBMIT_FULFILLMENT_REQUEST): Transition(
        "OPEN", "SUBMITTED", _any_of("UNSUBMITTED", "REJECTED")
    ),
    ("OPEN", Action.ACCEPT_FULFILLMENT_REQUEST): Transition("IN_PROGRESS", "ACCEPTED", _any_of("SUBMITTED")),
    ("OPEN", Action.REJECT_FULFILLMENT_REQUEST): Transition("OPEN", "REJECTED", _any_of("SUBMITTED")),
    ("IN_PROGRESS", Action.SUBMIT_CANCELLATION_REQUEST): Transition(
        "IN_PROGRESS", "CANCELLATION_REQUESTED", _any_of("ACCEPTED", "CANCELLATION_REJECTED")
    ),
    ("IN_PROGRESS", Action.ACCEPT_CANCELLATION_REQUEST): Transition(
        "CANCELLED", "CANCELLATION_ACCEPTED", _any_of("CANCELLATION_REQUESTED")
    ),
    ("IN_PROGRESS", Action.REJECT_CANCELLATION_REQUEST): Transition(
        "IN_PROGRESS", "CANCELLATION_REJECTED", _any_of("CANCELLATION_REQUESTED")
    ),
    **{(status, Action.HOLD): Transition("ON_HOLD") for status in _HOLDABLE},
    ("ON_HOLD", Action.RELEASE_HOLD): Transition(STATUS_BEFORE_HOLD),
    # A partly fulfilled order stays IN_PROGRESS until nothing remains, as Shopify keeps it.
    ("OPEN", Action.FULFILL_PART): Transition("IN_PROGRESS"),
    ("IN_PROGRESS", Action.FULFILL_PART): Transition("IN_PROGRESS"),
    ("OPEN", Action.FULFILL_REST): Transition("CLOSED"),
    ("IN_PROGRESS", Action.FULFILL_REST): Transition("CLOSED"),
    **{(status, Action.CANCEL): Transition("CANCELLED") for status in _CANCELLABLE},
}


def check_transition(fulfillment_order: FulfillmentOrder, action: Action) -> Transition:
    """The transition ``action`` makes from the fulfillment order's state; raises OrderError if illegal."""
    transition = TRANSITIONS.get((fulfillment_order.status, action))
    if transition is None:
        raise OrderError(
            ["id"],
            f"Cannot {action} on fulfillment order {fulfillment_order.id}: its status is "
            f"{fulfillment_order.status}.",
        )
    needed = transition.needs_request_status
    if needed is not None and fulfillment_order.request_status not in needed:
        raise OrderError(
            ["id"],
            f"Cannot {action} on fulfillment order {fulfillment_order.id}: its request status is "
            f"{fulfillment_order.request_status} (needs {' or '.join(sorted(needed))}).",
        )
    return transition


def is_allowed(fulfillment_order: FulfillmentOrder, action: Action) -> bool:
    try:
        check_transition(fulfillment_order, action)
    except OrderError:
        return False
    return True


def _apply(state: ShopState, fulfillment_order: FulfillmentOrder, transition: Transition) -> None:
    now = state.clock()
    new_status = transition.status
    if new_status == STATUS_BEFORE_HOLD:
        new_status = fulfillment_order.status_before_hold or "OPEN"
        fulfillment_order.status_before_hold = None
    elif new_status == "ON_HOLD" and fulfillment_order.status != "ON_HOLD":
        fulfillment_order.status_before_hold = fulfillment_order.status
    fulfillment_order.status = new_status
    if transition.request_status is not None:
        fulfillment_order.request_status = transition.request_status
    fulfillment_order.updated_at = now
    state.orders[fulfillment_order.order_id].updated_at = now


# -- lookups ----------------------------------------------------------------------------------------------


def get_order(state: ShopState, order_id: int) -> Order:
    order = state.orders.get(order_id)
    if order is None:
        raise OrderError(["id"], "Order does not exist.", "NOT_FOUND")
    return order


def get_fulfillment_order(state: ShopState, fulfillment_order_id: int) -> FulfillmentOrder:
    fulfillment_order = state.fulfillment_orders.get(fulfillment_order_id)
    if fulfillment_order is None:
        raise OrderError(["id"], "Fulfillment order does not exist.", "FULFILLMENT_ORDER_NOT_FOUND")
    return fulfillment_order


def get_fulfillment(state: ShopState, fulfillment_id: int) -> Fulfillment:
    fulfillment = state.fulfillments.get(fulfillment_id)
    if fulfillment is None:
        raise OrderError(["fulfillmentId"], "Fulfillment does not exist.")
    return fulfillment


def fulfilled_quantity(state: ShopState, order: Order, line_item_id: int) -> int:
    return sum(
        fulfilled.quantity
        for fulfillment_id in order.fulfillment_ids
        if state.fulfillments[fulfillment_id].status == "SUCCESS"
        for fulfilled in state.fulfillments[fulfillment_id].line_items
        if fulfilled.line_item_id == line_item_id
    )


def unfulfilled_quantity(state: ShopState, order: Order, line_item_id: int) -> int:
    return sum(
        line.remaining_quantity
        for fulfillment_order_id in order.fulfillment_order_ids
        for line in state.fulfillment_orders[fulfillment_order_id].line_items
        if line.line_item_id == line_item_id
    )


# -- placing and cancelling orders ------------------------------------------------------------------------


def choose_location(state: ShopState, inventory_item_id: int, quantity: int, sku: str) -> int:
    """The first location (lowest id) with enough available, else the first that stocks the item."""
    levels = state.inventory_items[inventory_item_id].levels
    stocking = sorted(levels)
    if not stocking:
        raise OrderError(["lineItems"], f"SKU {sku} is not stocked at any location.")
    enough = [location_id for location_id in stocking if levels[location_id].get("available") >= quantity]
    return enough[0] if enough else stocking[0]


def new_line_item(state: ShopState, variant: Variant, quantity: int) -> OrderLineItem:
    """A line for ``quantity`` units of ``variant`` at its current price, as checkout or an edit adds it."""
    product = state.products[variant.product_id]
    return OrderLineItem(
        id=state.next_id(),
        sku=variant.sku,
        variant_id=variant.id,
        title=product.title,
        variant_title=None if variant.title == "Default Title" else variant.title,
        quantity=quantity,
        current_quantity=quantity,
        price=variant.price,
    )


def place_order(
    state: ShopState,
    lines: Sequence[tuple[str, int]],
    *,
    shipping_address: MailingAddress | None = None,
    email: str | None = None,
    financial_status: str = "PAID",
    location_id: int | None = None,
    tags: Sequence[str] = (),
    note: str | None = None,
) -> Order:
    """An order for ``lines`` of (sku, quantity), as a customer's checkout makes one: units committed at
    ``location_id`` when given (it must stock every SKU), else per line at the location chosen by
    ``choose_location``; one fulfillment order per location."""
    if not lines:
        raise OrderError(["lineItems"], "An order needs at least one line item.")
    assigned: list[tuple[str, int, int, int]] = []  # sku, quantity, variant id, location id
    for sku, quantity in lines:
        variant = state.variant_by_sku(sku)
        if variant is None:
            raise OrderError(["lineItems"], f"No variant has SKU {sku}.")
        if quantity <= 0:
            raise OrderError(["lineItems"], f"Quantity of {sku} must be greater than 0, got {quantity}.")
        item_id = variant.inventory_item_id
        if location_id is not None:
            if location_id not in state.inventory_items[item_id].levels:
                raise OrderError(["lineItems"], f"SKU {sku} is not stocked at location {location_id}.")
            at = location_id
        else:
            at = choose_location(state, item_id, quantity, sku)
        assigned.append((sku, quantity, variant.id, at))

    now = state.clock()
    number = state.order_number
    state.order_number += 1
    order = Order(
        id=state.next_id(),
        number=number,
        name=f"#{number}",
        created_at=now,
        updated_at=now,
        processed_at=now,
        email=email,
        currency_code=state.shop.currency_code,
        financial_status=financial_status,
        tags=_clean_tags(tags),
        note=note,
        shipping_address=shipping_address,
    )
    by_location: dict[int, FulfillmentOrder] = {}
    for _sku, quantity, variant_id, at in assigned:
        variant = state.variants[variant_id]
        line = new_line_item(state, variant, quantity)
        order.line_items.append(line)
        if at not in by_location:
            by_location[at] = FulfillmentOrder(
                id=state.next_id(), order_id=order.id, location_id=at, created_at=now, updated_at=now
            )
        by_location[at].line_items.append(
            FulfillmentOrderLineItem(
                id=state.next_id(),
                line_item_id=line.id,
                inventory_item_id=variant.inventory_item_id,
                total_quantity=quantity,
                remaining_quantity=quantity,
            )
        )
        state.inventory_items[variant.inventory_item_id].levels[at].commit(quantity)
        state.touch_level(variant.inventory_item_id, at)
    state.orders[order.id] = order
    for fulfillment_order in by_location.values():
        state.fulfillment_orders[fulfillment_order.id] = fulfillment_order
        order.fulfillment_order_ids.append(fulfillment_order.id)
    return order


def _give_back(state: ShopState, fulfillment_order: FulfillmentOrder, restock: bool) -> None:
    """The units a fulfillment order still holds leave its commitment: back to available when restocked,
    written off (out of on hand) when not."""
    for line in fulfillment_order.line_items:
        if line.remaining_quantity:
            level = state.inventory_items[line.inventory_item_id].levels[fulfillment_order.location_id]
            if restock:
                level.release(line.remaining_quantity)
            else:
                level.ship(line.remaining_quantity)
            state.touch_level(line.inventory_item_id, fulfillment_order.location_id)
            line.remaining_quantity = 0


def cancel_order(state: ShopState, order_id: int, reason: str, restock: bool) -> Order:
    order = get_order(state, order_id)
    if order.cancelled_at is not None:
        raise OrderError(["orderId"], "Order has already been cancelled.", "INVALID")
    # Shopify refuses to cancel an order with fulfillments: they have to be cancelled first.
    if any(state.fulfillments[fid].status == "SUCCESS" for fid in order.fulfillment_ids):
        raise OrderError(["orderId"], "Cannot cancel an order that has fulfillments.", "INVALID")
    to_cancel = [
        state.fulfillment_orders[fid]
        for fid in order.fulfillment_order_ids
        if state.fulfillment_orders[fid].status != "CANCELLED"
    ]
    transitions = [(fo, check_transition(fo, Action.CANCEL)) for fo in to_cancel]
    for fulfillment_order, transition in transitions:
        _give_back(state, fulfillment_order, restock)
        _apply(state, fulfillment_order, transition)
    now = state.clock()
    for line in order.line_items:
        line.current_quantity = fulfilled_quantity(state, order, line.id)
    order.cancelled_at = now
    order.cancel_reason = reason
    order.closed_at = now
    order.updated_at = now
    return order


# -- the fulfillment request and cancellation request dialogue ----------------------------------------------


def _request(
    state: ShopState, fulfillment_order_id: int, action: Action, message: str | None
) -> FulfillmentOrder:
    fulfillment_order = get_fulfillment_order(state, fulfillment_order_id)
    transition = check_transition(fulfillment_order, action)
    if action is Action.SUBMIT_FULFILLMENT_REQUEST or action is Action.SUBMIT_CANCELLATION_REQUEST:
        kind = (
            "FULFILLMENT_REQUEST" if action is Action.SUBMIT_FULFILLMENT_REQUEST else "CANCELLATION_REQUEST"
        )
        fulfillment_order.merchant_requests.append(
            MerchantRequest(state.next_id(), kind, message, state.clock())
        )
    if action is Action.ACCEPT_CANCELLATION_REQUEST:
        _give_back(state, fulfillment_order, restock=True)
    _apply(state, fulfillment_order, transition)
    return fulfillment_order


def request_fulfillment(
    state: ShopState, fulfillment_order_id: int, message: str | None = None
) -> FulfillmentOrder:
    """The merchant sends the fulfillment order to the location's fulfillment service."""
    return _request(state, fulfillment_order_id, Action.SUBMIT_FULFILLMENT_REQUEST, message)


def accept_fulfillment_request(
    state: ShopState, fulfillment_order_id: int, message: str | None = None
) -> FulfillmentOrder:
    return _request(state, fulfillment_order_id, Action.ACCEPT_FULFILLMENT_REQUEST, message)


def reject_fulfillment_request(
    state: ShopState, fulfillment_order_id: int, message: str | None = None
) -> FulfillmentOrder:
    return _request(state, fulfillment_order_id, Action.REJECT_FULFILLMENT_REQUEST, message)


def request_cancellation(
    state: ShopState, fulfillment_order_id: int, message: str | None = None
) -> FulfillmentOrder:
    return _request(state, fulfillment_order_id, Action.SUBMIT_CANCELLATION_REQUEST, message)


def accept_cancellation_request(
    state: ShopState, fulfillment_order_id: int, message: str | None = None
) -> FulfillmentOrder:
    """The fulfillment service agrees to stop: the fulfillment order is cancelled and its units released."""
    return _request(state, fulfillment_order_id, Action.ACCEPT_CANCELLATION_REQUEST, message)


def reject_cancellation_request(
    state: ShopState, fulfillment_order_id: int, message: str | None = None
) -> FulfillmentOrder:
    return _request(state, fulfillment_order_id, Action.REJECT_CANCELLATION_REQUEST, message)


# -- holds ------------------------------------------------------------------------------------------------


def hold(
    state: ShopState,
    fulfillment_order_id: int,
    reason: str,
    reason_notes: str | None = None,
    handle: str = "",
) -> FulfillmentHold:
    fulfillment_order = get_fulfillment_order(state, fulfillment_order_id)
    transition = check_transition(fulfillment_order, Action.HOLD)
    if len(fulfillment_order.holds) >= MAX_HOLDS:
        raise OrderError(
            ["id"],
            f"This fulfillment order already has the maximum of {MAX_HOLDS} fulfillment holds.",
            "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED",
        )
    if handle and any(existing.handle == handle for existing in fulfillment_order.holds):
        raise OrderError(
            ["fulfillmentHold", "handle"],
            f"The fulfillment hold handle {handle!r} is already in use by this app.",
            "DUPLICATE_FULFILLMENT_HOLD_HANDLE",
        )
    placed = FulfillmentHold(state.next_id(), reason, reason_notes, handle)
    fulfillment_order.holds.append(placed)
    _apply(state, fulfillment_order, transition)
    return placed


def release_hold(
    state: ShopState, fulfillment_order_id: int, hold_ids: Sequence[int] | None = None
) -> FulfillmentOrder:
    """Releases the named holds (all when None); the status moves only once no hold remains."""
    fulfillment_order = get_fulfillment_order(state, fulfillment_order_id)
    transition = check_transition(fulfillment_order, Action.RELEASE_HOLD)
    held = {existing.id for existing in fulfillment_order.holds}
    unknown = [hold_id for hold_id in hold_ids or () if hold_id not in held]
    if unknown:
        raise OrderError(["holdIds"], f"Fulfillment holds {unknown} do not exist on this fulfillment order.")
    releasing = held if hold_ids is None else set(hold_ids)
    fulfillment_order.holds = [
        existing for existing in fulfillment_order.holds if existing.id not in releasing
    ]
    if fulfillment_order.holds:
        fulfillment_order.updated_at = state.clock()
        state.orders[fulfillment_order.order_id].updated_at = fulfillment_order.updated_at
    else:
        _apply(state, fulfillment_order, transition)
    return fulfillment_order


# -- fulfillments -----------------------------------------------------------------------------------------

# (fulfillment order id, [(fulfillment order line item id, quantity)] or None for everything remaining)
FulfillmentRequest = tuple[int, Sequence[tuple[int, int]] | None]


def create_fulfillment(
    state: ShopState,
    lines_by_fulfillment_order: Sequence[FulfillmentRequest],
    tracking: Sequence[TrackingInfo] = (),
    notify_customer: bool = False,
) -> Fulfillment:
    """Ships the named units of one order from one location. Refused as a whole when any line asks for more
    than remains, or when a fulfillment order cannot be fulfilled in its status."""
    if not lines_by_fulfillment_order:
        raise OrderError(
            ["fulfillment", "lineItemsByFulfillmentOrder"], "Line items by fulfillment order are required."
        )
    plan: list[tuple[FulfillmentOrder, dict[int, int], Transition]] = []
    for fulfillment_order_id, requested in lines_by_fulfillment_order:
        fulfillment_order = state.fulfillment_orders.get(fulfillment_order_id)
        if fulfillment_order is None:
            raise OrderError(["fulfillment"], "Fulfillment order does not exist.")
        lines = {line.id: line for line in fulfillment_order.line_items}
        quantities: dict[int, int] = {}
        if requested is None:
            quantities = {
                line.id: line.remaining_quantity for line in lines.values() if line.remaining_quantity
            }
        else:
            for line_id, quantity in requested:
                if line_id not in lines:
                    raise OrderError(
                        ["fulfillment"],
                        f"Fulfillment order line item {line_id} does not belong to fulfillment order "
                        f"{fulfillment_order.id}.",
                    )
                if quantity <= 0:
                    raise OrderError(
                        ["fulfillment"], "Invalid fulfillment order line item quantity requested."
                    )
                quantities[line_id] = quantities.get(line_id, 0) + quantity
        for line_id, quantity in quantities.items():
            if quantity > lines[line_id].remaining_quantity:
                raise OrderError(["fulfillment"], "Invalid fulfillment order line item quantity requested.")
        if not quantities:
            raise OrderError(
                ["fulfillment"], f"Fulfillment order {fulfillment_order.id} has nothing left to fulfill."
            )
        rest = all(quantities.get(line.id, 0) == line.remaining_quantity for line in lines.values())
        transition = check_transition(fulfillment_order, Action.FULFILL_REST if rest else Action.FULFILL_PART)
        plan.append((fulfillment_order, quantities, transition))
    if len({fo.order_id for fo, _, _ in plan}) > 1:
        raise OrderError(["fulfillment"], "All fulfillment orders must belong to the same order.")
    if len({fo.location_id for fo, _, _ in plan}) > 1:
        raise OrderError(["fulfillment"], "All fulfillment orders must be assigned to the same location.")
    if len({fo.id for fo, _, _ in plan}) < len(plan):
        raise OrderError(["fulfillment"], "A fulfillment order is listed more than once.")

    now = state.clock()
    order = state.orders[plan[0][0].order_id]
    fulfillment = Fulfillment(
        id=state.next_id(),
        order_id=order.id,
        location_id=plan[0][0].location_id,
        name=f"{order.name}.{len(order.fulfillment_ids) + 1}",
        created_at=now,
        updated_at=now,
        notify_customer=notify_customer,
        tracking=list(tracking),
    )
    for fulfillment_order, quantities, transition in plan:
        for line in fulfillment_order.line_items:
            quantity = quantities.get(line.id, 0)
            if not quantity:
                continue
            line.remaining_quantity -= quantity
            state.inventory_items[line.inventory_item_id].levels[fulfillment_order.location_id].ship(quantity)
            state.touch_level(line.inventory_item_id, fulfillment_order.location_id)
            fulfillment.line_items.append(
                FulfilledLineItem(state.next_id(), line.line_item_id, line.id, quantity)
            )
        fulfillment_order.fulfillment_ids.append(fulfillment.id)
        _apply(state, fulfillment_order, transition)
    state.fulfillments[fulfillment.id] = fulfillment
    order.fulfillment_ids.append(fulfillment.id)
    order.updated_at = now
    return fulfillment


def update_tracking(
    state: ShopState, fulfillment_id: int, tracking: Sequence[TrackingInfo], notify_customer: bool = False
) -> Fulfillment:
    """Replaces the fulfillment's tracking information."""
    fulfillment = get_fulfillment(state, fulfillment_id)
    if fulfillment.status != "SUCCESS":
        raise OrderError(["fulfillmentId"], "Cannot update tracking of a cancelled fulfillment.")
    now = state.clock()
    fulfillment.tracking = list(tracking)
    fulfillment.notify_customer = notify_customer
    fulfillment.updated_at = now
    state.orders[fulfillment.order_id].updated_at = now
    return fulfillment


# -- tags -------------------------------------------------------------------------------------------------


def _clean_tags(tags: Sequence[str]) -> list[str]:
    """Shopify splits tags on commas, trims them and keeps one of each (compared without case)."""
    cleaned: list[str] = []
    for entry in tags:
        for tag in entry.split(","):
            tag = tag.strip()
            if tag and tag.lower() not in {known.lower() for known in cleaned}:
                cleaned.append(tag)
    return cleaned


def add_tags(state: ShopState, order_id: int, tags: Sequence[str]) -> Order:
    order = get_order(state, order_id)
    order.tags = _clean_tags([*order.tags, *tags])
    order.updated_at = state.clock()
    return order


def remove_tags(state: ShopState, order_id: int, tags: Sequence[str]) -> Order:
    order = get_order(state, order_id)
    removing = {tag.lower() for tag in _clean_tags(tags)}
    order.tags = [tag for tag in order.tags if tag.lower() not in removing]
    order.updated_at = state.clock()
    return order
