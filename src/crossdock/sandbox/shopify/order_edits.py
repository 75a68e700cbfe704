"""Editing an order as a merchant does in Shopify's admin: change a line's quantity, add or remove lines,
change the shipping address. Quantities already fulfilled cannot be edited away. Inventory follows: more
units are committed, fewer are released. The edit is allowed whatever the warehouse has done with the
fulfillment order — it is the hub's job to notice an edit that arrives too late.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crossdock.sandbox.shopify.orders import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    MailingAddress,
    Order,
    OrderError,
    OrderLineItem,
    choose_location,
    fulfilled_quantity,
    get_order,
    new_line_item,
)

if TYPE_CHECKING:
    from crossdock.sandbox.shopify.shop_state import ShopState


@dataclass(frozen=True)
class LineDelta:
    line_item_id: int
    delta: int  # units added (> 0) or removed (< 0)


@dataclass
class OrderEdit:
    """What an edit changed, as the orders/edited webhook reports it."""

    additions: list[LineDelta] = field(default_factory=list)
    removals: list[LineDelta] = field(default_factory=list)
    address_changed: bool = False

    @property
    def changed_lines(self) -> bool:
        return bool(self.additions or self.removals)


def edit_order(
    state: ShopState,
    order_id: int,
    *,
    set_quantities: Mapping[int, int] | None = None,
    add_lines: Sequence[tuple[str, int]] = (),
    shipping_address: MailingAddress | None = None,
) -> OrderEdit:
    """``set_quantities``: line item id -> new quantity (0 removes the line). Everything is checked before
    anything changes."""
    order = get_order(state, order_id)
    if order.cancelled_at is not None:
        raise OrderError(["id"], "A cancelled order cannot be edited.")
    changes = dict(set_quantities or {})
    for line_item_id, quantity in changes.items():
        line = next((line for line in order.line_items if line.id == line_item_id), None)
        if line is None:
            raise OrderError(["lineItems"], f"Line item {line_item_id} is not in order {order.name}.")
        if quantity < fulfilled_quantity(state, order, line_item_id):
            raise OrderError(
                ["lineItems"],
                f"Line item {line_item_id} has {fulfilled_quantity(state, order, line_item_id)} unit(s) "
                f"fulfilled; its quantity cannot go below that.",
            )
    for sku, quantity in add_lines:
        if state.variant_by_sku(sku) is None:
            raise OrderError(["lineItems"], f"No variant has SKU {sku}.")
        if quantity <= 0:
            raise OrderError(["lineItems"], f"Quantity of {sku} must be greater than 0, got {quantity}.")

    edit = OrderEdit()
    for line_item_id, quantity in changes.items():
        delta = _change_line(state, order, order.line_item(line_item_id), quantity)
        if delta > 0:
            edit.additions.append(LineDelta(line_item_id, delta))
        elif delta < 0:
            edit.removals.append(LineDelta(line_item_id, delta))
    for sku, quantity in add_lines:
        line = _add_line(state, order, sku, quantity)
        edit.additions.append(LineDelta(line.id, quantity))
    if shipping_address is not None:
        order.shipping_address = shipping_address
        edit.address_changed = True
    if edit.changed_lines or edit.address_changed:
        order.updated_at = state.clock()
    return edit


def _fulfillment_order_line(
    state: ShopState, order: Order, line_item_id: int
) -> tuple[FulfillmentOrder, FulfillmentOrderLineItem]:
    for fulfillment_order_id in order.fulfillment_order_ids:
        fulfillment_order = state.fulfillment_orders[fulfillment_order_id]
        for line in fulfillment_order.line_items:
            if line.line_item_id == line_item_id:
                return fulfillment_order, line
    raise OrderError(["lineItems"], f"Line item {line_item_id} has no fulfillment order.")


def _change_line(state: ShopState, order: Order, line: OrderLineItem, quantity: int) -> int:
    delta = quantity - line.current_quantity
    if delta == 0:
        return 0
    fulfillment_order, fo_line = _fulfillment_order_line(state, order, line.id)
    level = state.inventory_items[fo_line.inventory_item_id].levels[fulfillment_order.location_id]
    if delta > 0:
        level.commit(delta)
    else:
        level.release(-delta)
    state.touch_level(fo_line.inventory_item_id, fulfillment_order.location_id)
    line.current_quantity = quantity
    fo_line.total_quantity += delta
    fo_line.remaining_quantity += delta
    fulfillment_order.updated_at = state.clock()
    if all(
        item.remaining_quantity == 0 for item in fulfillment_order.line_items
    ) and fulfillment_order.status in (
        "OPEN",
        "ON_HOLD",
    ):
        fulfillment_order.status = "CLOSED"
    return delta


def _add_line(state: ShopState, order: Order, sku: str, quantity: int) -> OrderLineItem:
    variant = state.variant_by_sku(sku)
    assert variant is not None
    location_id = choose_location(state, variant.inventory_item_id, quantity, sku)
    line = new_line_item(state, variant, quantity)
    order.line_items.append(line)
    now = state.clock()
    # Added units join the location's fulfillment order if the warehouse has not been asked for it yet;
    # otherwise they make a new one, as Shopify does.
    target = next(
        (
            state.fulfillment_orders[fo_id]
            for fo_id in order.fulfillment_order_ids
            if state.fulfillment_orders[fo_id].location_id == location_id
            and state.fulfillment_orders[fo_id].status == "OPEN"
            and state.fulfillment_orders[fo_id].request_status == "UNSUBMITTED"
        ),
        None,
    )
    if target is None:
        target = FulfillmentOrder(
            id=state.next_id(), order_id=order.id, location_id=location_id, created_at=now, updated_at=now
        )
        state.fulfillment_orders[target.id] = target
        order.fulfillment_order_ids.append(target.id)
    target.line_items.append(
        FulfillmentOrderLineItem(
            id=state.next_id(),
            line_item_id=line.id,
            inventory_item_id=variant.inventory_item_id,
            total_quantity=quantity,
            remaining_quantity=quantity,
        )
    )
    target.updated_at = now
    state.inventory_items[variant.inventory_item_id].levels[location_id].commit(quantity)
    state.touch_level(variant.inventory_item_id, location_id)
    return line
