"""Returns as the sandbox holds them, and the operations that move them.

A customer asks for a return (``request_return``: REQUESTED) which the merchant approves (OPEN) or declines
(DECLINED); a merchant may also open one directly (``create_return``). An open return is closed once handled
and can be reopened. Every status change goes through one table, ``RETURN_TRANSITIONS``.

What may be returned is counted per fulfillment line item: the units it shipped, less the units already in
returns that still stand (anything but DECLINED or CANCELED, which give their units back). Like the
fulfillment operations, each operation checks everything before it changes anything.

Inventory is not touched: Shopify restocks returned units only when the return is processed, which the
sandbox does not model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from crossdock.sandbox.shopify.orders import FulfilledLineItem, Fulfillment, OrderError, get_order

if TYPE_CHECKING:
    from crossdock.sandbox.shopify.shop_state import ShopState

RETURN_STATUSES = ("CANCELED", "CLOSED", "OPEN", "REQUESTED", "DECLINED")
# Returns in these statuses no longer hold their units: the units can be returned again.
RELEASED_STATUSES = frozenset({"DECLINED", "CANCELED"})
RETURN_REASONS = (
    "SIZE_TOO_SMALL",
    "SIZE_TOO_LARGE",
    "UNWANTED",
    "NOT_AS_DESCRIBED",
    "WRONG_ITEM",
    "DEFECTIVE",
    "STYLE",
    "COLOR",
    "OTHER",
    "UNKNOWN",
)
DECLINE_REASONS = ("RETURN_PERIOD_ENDED", "FINAL_SALE", "OTHER")


@dataclass
class ReturnLineItem:
    id: int
    fulfillment_line_item_id: int
    quantity: int
    return_reason: str = "UNKNOWN"
    return_reason_note: str = ""
    customer_note: str | None = None


@dataclass
class Return:
    id: int
    order_id: int
    name: str  # "#1001-R1": the order's name and the return's place among the order's returns
    status: str
    created_at: datetime
    updated_at: datetime
    line_items: list[ReturnLineItem] = field(default_factory=list)
    request_approved_at: datetime | None = None
    closed_at: datetime | None = None
    decline_reason: str | None = None
    decline_note: str | None = None

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.line_items)


@dataclass(frozen=True)
class ReturnLineRequest:
    """One line of a return as asked for: which fulfilled units, how many, and why."""

    fulfillment_line_item_id: int
    quantity: int
    return_reason: str | None = None
    return_reason_note: str = ""
    customer_note: str | None = None


# -- the transition table ---------------------------------------------------------------------------------


class ReturnAction(StrEnum):
    APPROVE_REQUEST = "approve the request for"
    DECLINE_REQUEST = "decline the request for"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"


RETURN_TRANSITIONS: dict[tuple[str, ReturnAction], str] = {
    ("REQUESTED", ReturnAction.APPROVE_REQUEST): "OPEN",
    ("REQUESTED", ReturnAction.DECLINE_REQUEST): "DECLINED",
    ("OPEN", ReturnAction.CLOSE): "CLOSED",
    ("CLOSED", ReturnAction.REOPEN): "OPEN",
    ("OPEN", ReturnAction.CANCEL): "CANCELED",
}


def check_return_transition(returned: Return, action: ReturnAction) -> str:
    """The status ``action`` moves the return to; raises OrderError (INVALID_STATE) when it is illegal."""
    new_status = RETURN_TRANSITIONS.get((returned.status, action))
    if new_status is None:
        raise OrderError(
            ["id"],
            f"Cannot {action} return {returned.name}: its status is {returned.status}.",
            "INVALID_STATE",
        )
    return new_status


# -- lookups ----------------------------------------------------------------------------------------------


def get_return(state: ShopState, return_id: int) -> Return:
    returned = state.returns.get(return_id)
    if returned is None:
        raise OrderError(["id"], "Return does not exist.", "NOT_FOUND")
    return returned


def order_returns(state: ShopState, order_id: int) -> list[Return]:
    return sorted((r for r in state.returns.values() if r.order_id == order_id), key=lambda r: r.id)


def fulfillment_line_item(
    state: ShopState, fulfillment_line_item_id: int
) -> tuple[Fulfillment, FulfilledLineItem]:
    """The fulfillment line item and the fulfillment it belongs to; raises KeyError when there is none."""
    for fulfillment in state.fulfillments.values():
        for line in fulfillment.line_items:
            if line.id == fulfillment_line_item_id:
                return fulfillment, line
    raise KeyError(fulfillment_line_item_id)


def returned_quantity(state: ShopState, fulfillment_line_item_id: int) -> int:
    """Units of the fulfillment line item held by returns that still stand."""
    return sum(
        line.quantity
        for returned in state.returns.values()
        if returned.status not in RELEASED_STATUSES
        for line in returned.line_items
        if line.fulfillment_line_item_id == fulfillment_line_item_id
    )


def returnable_quantity(state: ShopState, fulfillment_line_item_id: int) -> int:
    fulfillment, line = fulfillment_line_item(state, fulfillment_line_item_id)
    if fulfillment.status != "SUCCESS":
        return 0  # a cancelled fulfillment shipped nothing that could come back
    return line.quantity - returned_quantity(state, fulfillment_line_item_id)


# -- opening returns --------------------------------------------------------------------------------------


def _open(
    state: ShopState, order_id: int, lines: Sequence[ReturnLineRequest], status: str, input_field: str
) -> Return:
    """Checks every line against the order's fulfilled units, then records the return in ``status``.
    ``input_field`` is the argument the user errors point into (``returnInput`` or ``input``)."""
    order = get_order(state, order_id)
    if not lines:
        raise OrderError([input_field, "returnLineItems"], "Return line items can't be blank.", "BLANK")
    asked: dict[int, int] = {}
    for index, line in enumerate(lines):
        where = [input_field, "returnLineItems", str(index)]
        if line.quantity <= 0:
            raise OrderError([*where, "quantity"], "Quantity must be greater than 0.", "GREATER_THAN")
        if line.return_reason is not None and line.return_reason not in RETURN_REASONS:
            raise OrderError(
                [*where, "returnReason"], "Return reason is not included in the list.", "INCLUSION"
            )
        try:
            fulfillment, _ = fulfillment_line_item(state, line.fulfillment_line_item_id)
        except KeyError:
            fulfillment = None
        if fulfillment is None or fulfillment.order_id != order.id:
            raise OrderError(
                [*where, "fulfillmentLineItemId"],
                f"Fulfillment line item {line.fulfillment_line_item_id} does not belong to order "
                f"{order.name}.",
                "NOT_FOUND",
            )
        # The same fulfillment line item on two lines: together they must fit.
        asked[line.fulfillment_line_item_id] = asked.get(line.fulfillment_line_item_id, 0) + line.quantity
        returnable = returnable_quantity(state, line.fulfillment_line_item_id)
        if asked[line.fulfillment_line_item_id] > returnable:
            raise OrderError(
                [*where, "quantity"],
                f"Quantity {asked[line.fulfillment_line_item_id]} of fulfillment line item "
                f"{line.fulfillment_line_item_id} exceeds the {returnable} that can be returned.",
                "LESS_THAN_OR_EQUAL_TO",
            )

    now = state.clock()
    created = Return(
        id=state.next_id(),
        order_id=order.id,
        name=f"{order.name}-R{len(order_returns(state, order.id)) + 1}",
        status=status,
        created_at=now,
        updated_at=now,
    )
    for line in lines:
        created.line_items.append(
            ReturnLineItem(
                id=state.next_id(),
                fulfillment_line_item_id=line.fulfillment_line_item_id,
                quantity=line.quantity,
                return_reason=line.return_reason or "UNKNOWN",
                return_reason_note=line.return_reason_note,
                customer_note=line.customer_note,
            )
        )
    state.returns[created.id] = created
    # An integration finds new returns by the orders updated since its last look.
    order.updated_at = now
    return created


def request_return(state: ShopState, order_id: int, lines: Sequence[ReturnLineRequest]) -> Return:
    """The customer asks to send units back; the merchant has yet to approve or decline."""
    return _open(state, order_id, lines, "REQUESTED", "input")


def create_return(state: ShopState, order_id: int, lines: Sequence[ReturnLineRequest]) -> Return:
    """The merchant opens a return: it needs no approval."""
    return _open(state, order_id, lines, "OPEN", "returnInput")


# -- moving returns ---------------------------------------------------------------------------------------


def _move(state: ShopState, return_id: int, action: ReturnAction) -> Return:
    returned = get_return(state, return_id)
    returned.status = check_return_transition(returned, action)
    now = state.clock()
    returned.updated_at = now
    state.orders[returned.order_id].updated_at = now
    return returned


def approve_return_request(state: ShopState, return_id: int) -> Return:
    returned = _move(state, return_id, ReturnAction.APPROVE_REQUEST)
    returned.request_approved_at = returned.updated_at
    return returned


def decline_return_request(state: ShopState, return_id: int, reason: str, note: str | None = None) -> Return:
    if reason not in DECLINE_REASONS:
        raise OrderError(
            ["input", "declineReason"], "Decline reason is not included in the list.", "INCLUSION"
        )
    returned = _move(state, return_id, ReturnAction.DECLINE_REQUEST)
    returned.decline_reason = reason
    returned.decline_note = note
    return returned


def close_return(state: ShopState, return_id: int) -> Return:
    returned = _move(state, return_id, ReturnAction.CLOSE)
    returned.closed_at = returned.updated_at
    return returned


def reopen_return(state: ShopState, return_id: int) -> Return:
    returned = _move(state, return_id, ReturnAction.REOPEN)
    returned.closed_at = None
    return returned


def cancel_return(state: ShopState, return_id: int) -> Return:
    """Not served over GraphQL (returnCancel is outside the subset); the control API may use it."""
    return _move(state, return_id, ReturnAction.CANCEL)
