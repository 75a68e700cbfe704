"""Returns and fulfillment services without GraphQL: the return transition table, what may be returned per
fulfillment line item, fulfillment services and their locations, the callback a service is sent, and
saving and loading both with the shop."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from crossdock.sandbox.shopify import orders, returns
from crossdock.sandbox.shopify.catalog import FulfillmentService, Location
from crossdock.sandbox.shopify.fulfillment_services import (
    create_fulfillment_service,
    fulfillment_service_callback,
)
from crossdock.sandbox.shopify.orders import OrderError
from crossdock.sandbox.shopify.returns import (
    RETURN_STATUSES,
    RETURN_TRANSITIONS,
    Return,
    ReturnAction,
    ReturnLineRequest,
)
from crossdock.sandbox.shopify.seed import load_state, save_state
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from tests.support.clocks import ManualClock


@dataclass
class Shop:
    state: ShopState
    clock: ManualClock
    order: orders.Order
    # The fulfillment line items of the order's one fulfillment: 3 tents, 1 lamp.
    tent_line: int
    lamp_line: int

    def snapshot(self) -> tuple[object, ...]:
        return copy.deepcopy((self.state.returns, self.state.orders))


@pytest.fixture
def shop() -> Shop:
    clock = ManualClock()
    state = ShopState(ShopInfo(1, "Acme", "acme.myshopify.com"), clock=clock)
    warehouse = state.add_location("Warehouse").id
    state.add_product("Tent", [("TENT", "199.00", {warehouse: 10})])
    state.add_product("Lamp", [("LAMP", "12.00", {warehouse: 5})])
    order = orders.place_order(state, [("TENT", 4), ("LAMP", 1)])
    (fulfillment_order_id,) = order.fulfillment_order_ids
    tent, lamp = state.fulfillment_orders[fulfillment_order_id].line_items
    # 3 of the 4 tents ship: the fourth is not returnable.
    fulfillment = orders.create_fulfillment(state, [(fulfillment_order_id, [(tent.id, 3), (lamp.id, 1)])])
    clock.advance()
    tent_line, lamp_line = (line.id for line in fulfillment.line_items)
    return Shop(state, clock, order, tent_line, lamp_line)


# -- the transition table -----------------------------------------------------------------------------------

LEGAL_MOVES = {
    ("REQUESTED", ReturnAction.APPROVE_REQUEST): "OPEN",
    ("REQUESTED", ReturnAction.DECLINE_REQUEST): "DECLINED",
    ("OPEN", ReturnAction.CLOSE): "CLOSED",
    ("CLOSED", ReturnAction.REOPEN): "OPEN",
    ("OPEN", ReturnAction.CANCEL): "CANCELED",
}

OPERATIONS = {
    ReturnAction.APPROVE_REQUEST: returns.approve_return_request,
    ReturnAction.DECLINE_REQUEST: lambda state, return_id: returns.decline_return_request(
        state, return_id, "FINAL_SALE", "Clearance item"
    ),
    ReturnAction.CLOSE: returns.close_return,
    ReturnAction.REOPEN: returns.reopen_return,
    ReturnAction.CANCEL: returns.cancel_return,
}


def test_the_table_holds_exactly_the_legal_moves() -> None:
    assert RETURN_TRANSITIONS == LEGAL_MOVES


def a_return_in(shop: Shop, status: str) -> Return:
    returned = returns.request_return(shop.state, shop.order.id, [ReturnLineRequest(shop.tent_line, 1)])
    # Set directly: the table, not the path to a status, is what is under test.
    returned.status = status
    return returned


@pytest.mark.parametrize(
    ("status", "action"), list(itertools.product(RETURN_STATUSES, ReturnAction)), ids=str
)
def test_every_move_is_applied_or_refused_by_the_table(shop: Shop, status: str, action: ReturnAction) -> None:
    returned = a_return_in(shop, status)
    before = shop.snapshot()

    if (status, action) in LEGAL_MOVES:
        moved = OPERATIONS[action](shop.state, returned.id)
        assert moved.status == LEGAL_MOVES[(status, action)]
        assert moved.updated_at == shop.order.updated_at == shop.clock.now
    else:
        with pytest.raises(OrderError) as refused:
            OPERATIONS[action](shop.state, returned.id)
        assert refused.value.code == "INVALID_STATE"
        assert refused.value.message == f"Cannot {action} return #1001-R1: its status is {status}."
        assert shop.snapshot() == before


def test_the_moves_record_their_times_and_the_decline(shop: Shop) -> None:
    requested = returns.request_return(shop.state, shop.order.id, [ReturnLineRequest(shop.tent_line, 1)])
    approved_at = shop.clock.advance()
    returns.approve_return_request(shop.state, requested.id)
    closed_at = shop.clock.advance()
    returns.close_return(shop.state, requested.id)
    assert (requested.status, requested.request_approved_at, requested.closed_at) == (
        "CLOSED",
        approved_at,
        closed_at,
    )
    returns.reopen_return(shop.state, requested.id)
    assert (requested.status, requested.closed_at) == ("OPEN", None)

    declined = returns.request_return(shop.state, shop.order.id, [ReturnLineRequest(shop.lamp_line, 1)])
    returns.decline_return_request(shop.state, declined.id, "RETURN_PERIOD_ENDED", "Bought in 2024")
    assert (declined.status, declined.decline_reason, declined.decline_note) == (
        "DECLINED",
        "RETURN_PERIOD_ENDED",
        "Bought in 2024",
    )


def test_an_unknown_decline_reason_is_refused(shop: Shop) -> None:
    requested = returns.request_return(shop.state, shop.order.id, [ReturnLineRequest(shop.tent_line, 1)])
    with pytest.raises(OrderError) as refused:
        returns.decline_return_request(shop.state, requested.id, "CHANGED_MIND")
    assert (refused.value.field, refused.value.code) == (["input", "declineReason"], "INCLUSION")
    assert requested.status == "REQUESTED"


# -- opening returns and their quantities -------------------------------------------------------------------


def test_a_request_waits_for_approval_and_a_merchant_return_is_open(shop: Shop) -> None:
    requested = returns.request_return(
        shop.state,
        shop.order.id,
        [ReturnLineRequest(shop.tent_line, 2, "SIZE_TOO_SMALL", customer_note="Too tight")],
    )
    created = returns.create_return(
        shop.state, shop.order.id, [ReturnLineRequest(shop.lamp_line, 1, return_reason_note="Broken glass")]
    )

    assert (requested.name, requested.status, requested.total_quantity) == ("#1001-R1", "REQUESTED", 2)
    assert (created.name, created.status, created.total_quantity) == ("#1001-R2", "OPEN", 1)
    assert requested.line_items == [
        returns.ReturnLineItem(
            requested.line_items[0].id, shop.tent_line, 2, "SIZE_TOO_SMALL", "", "Too tight"
        )
    ]
    assert created.line_items == [
        returns.ReturnLineItem(created.line_items[0].id, shop.lamp_line, 1, "UNKNOWN", "Broken glass", None)
    ]
    assert shop.state.returns == {requested.id: requested, created.id: created}
    assert shop.order.updated_at == shop.clock.now


def test_more_than_was_fulfilled_is_refused_and_nothing_changes(shop: Shop) -> None:
    before = shop.snapshot()
    with pytest.raises(OrderError) as refused:
        # 4 tents were ordered, 3 shipped.
        returns.request_return(shop.state, shop.order.id, [ReturnLineRequest(shop.tent_line, 4)])
    assert refused.value.field == ["input", "returnLineItems", "0", "quantity"]
    assert refused.value.code == "LESS_THAN_OR_EQUAL_TO"
    assert refused.value.message == (
        f"Quantity 4 of fulfillment line item {shop.tent_line} exceeds the 3 that can be returned."
    )
    assert shop.snapshot() == before


def test_units_in_standing_returns_count_and_declined_or_canceled_ones_give_them_back(shop: Shop) -> None:
    first = returns.request_return(shop.state, shop.order.id, [ReturnLineRequest(shop.tent_line, 2)])
    assert returns.returnable_quantity(shop.state, shop.tent_line) == 1
    with pytest.raises(OrderError):
        returns.create_return(shop.state, shop.order.id, [ReturnLineRequest(shop.tent_line, 2)])

    returns.decline_return_request(shop.state, first.id, "OTHER")
    assert returns.returnable_quantity(shop.state, shop.tent_line) == 3
    second = returns.create_return(shop.state, shop.order.id, [ReturnLineRequest(shop.tent_line, 3)])
    returns.close_return(shop.state, second.id)
    # A closed return still holds its units.
    assert returns.returnable_quantity(shop.state, shop.tent_line) == 0
    returns.reopen_return(shop.state, second.id)
    returns.cancel_return(shop.state, second.id)
    assert returns.returnable_quantity(shop.state, shop.tent_line) == 3


def test_two_lines_for_the_same_units_must_fit_together(shop: Shop) -> None:
    with pytest.raises(OrderError) as refused:
        returns.create_return(
            shop.state,
            shop.order.id,
            [ReturnLineRequest(shop.tent_line, 2), ReturnLineRequest(shop.tent_line, 2)],
        )
    assert refused.value.field == ["returnInput", "returnLineItems", "1", "quantity"]
    assert shop.state.returns == {}


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        (ReturnLineRequest(0, 1), ["input", "returnLineItems", "0", "fulfillmentLineItemId"], "NOT_FOUND"),
        (ReturnLineRequest(-1, 0), ["input", "returnLineItems", "0", "quantity"], "GREATER_THAN"),
        (ReturnLineRequest(-1, 1, "BORED"), ["input", "returnLineItems", "0", "returnReason"], "INCLUSION"),
    ],
)
def test_bad_lines_are_refused(shop: Shop, line: ReturnLineRequest, field: list[str], code: str) -> None:
    if line.fulfillment_line_item_id == -1:
        line = ReturnLineRequest(shop.tent_line, line.quantity, line.return_reason)
    with pytest.raises(OrderError) as refused:
        returns.request_return(shop.state, shop.order.id, [line])
    assert (refused.value.field, refused.value.code) == (field, code)
    assert shop.state.returns == {}


def test_units_of_another_order_or_a_cancelled_fulfillment_cannot_be_returned(shop: Shop) -> None:
    other = orders.place_order(shop.state, [("TENT", 1)])
    with pytest.raises(OrderError) as refused:
        returns.request_return(shop.state, other.id, [ReturnLineRequest(shop.tent_line, 1)])
    assert refused.value.code == "NOT_FOUND"

    (fulfillment_id,) = shop.order.fulfillment_ids
    shop.state.fulfillments[fulfillment_id].status = "CANCELLED"
    assert returns.returnable_quantity(shop.state, shop.tent_line) == 0


def test_an_empty_return_is_refused(shop: Shop) -> None:
    with pytest.raises(OrderError) as refused:
        returns.create_return(shop.state, shop.order.id, [])
    assert (refused.value.field, refused.value.code) == (["returnInput", "returnLineItems"], "BLANK")


# -- fulfillment services -----------------------------------------------------------------------------------


def test_a_fulfillment_service_gets_its_own_location(shop: Shop) -> None:
    service = create_fulfillment_service(
        shop.state, "Crossdock 3PL", "https://hub.example/shopify/", inventory_management=True
    )

    assert service == FulfillmentService(
        id=service.id,
        name="Crossdock 3PL",
        handle="crossdock-3pl",
        location_id=service.location_id,
        callback_url="https://hub.example/shopify/",
        inventory_management=True,
    )
    assert shop.state.locations[service.location_id] == Location(
        id=service.location_id, name="Crossdock 3PL", fulfillment_service_id=service.id
    )
    assert shop.state.fulfillment_services == {service.id: service}


@pytest.mark.parametrize(
    ("name", "callback_url", "field", "message"),
    [
        ("  ", None, ["name"], "Name can't be blank"),
        ("crossdock 3pl", None, ["name"], "Name has already been taken"),
        ("Other", "ftp://hub.example", ["callbackUrl"], "Callback url is invalid"),
    ],
)
def test_a_bad_fulfillment_service_is_refused(
    shop: Shop, name: str, callback_url: str | None, field: list[str], message: str
) -> None:
    create_fulfillment_service(shop.state, "Crossdock 3PL")
    locations = dict(shop.state.locations)
    with pytest.raises(OrderError) as refused:
        create_fulfillment_service(shop.state, name, callback_url)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert shop.state.locations == locations
    assert len(shop.state.fulfillment_services) == 1


def test_an_order_stocked_at_the_service_location_is_assigned_there_and_its_callback_named(
    shop: Shop,
) -> None:
    service = create_fulfillment_service(shop.state, "Crossdock 3PL", "https://hub.example/shopify/")
    variant = shop.state.variant_by_sku("LAMP")
    assert variant is not None
    # Stock only at the service: the warehouse has 4 lamps left, the order wants 6.
    shop.state.stock(variant.inventory_item_id, service.location_id, 20)

    order = orders.place_order(shop.state, [("LAMP", 6)])
    (fulfillment_order_id,) = order.fulfillment_order_ids
    fulfillment_order = shop.state.fulfillment_orders[fulfillment_order_id]

    assert fulfillment_order.location_id == service.location_id
    assert fulfillment_service_callback(shop.state, fulfillment_order) == (
        "https://hub.example/shopify/fulfillment_order_notification",
        {"kind": "FULFILLMENT_REQUEST"},
    )
    assert fulfillment_service_callback(shop.state, fulfillment_order, "CANCELLATION_REQUEST") == (
        "https://hub.example/shopify/fulfillment_order_notification",
        {"kind": "CANCELLATION_REQUEST"},
    )
    with pytest.raises(ValueError):
        fulfillment_service_callback(shop.state, fulfillment_order, "REFUND")


def test_no_callback_for_a_plain_location_or_a_service_without_url(shop: Shop) -> None:
    (fulfillment_order_id,) = shop.order.fulfillment_order_ids
    assert (
        fulfillment_service_callback(shop.state, shop.state.fulfillment_orders[fulfillment_order_id]) is None
    )

    silent = create_fulfillment_service(shop.state, "Silent")
    variant = shop.state.variant_by_sku("TENT")
    assert variant is not None
    shop.state.stock(variant.inventory_item_id, silent.location_id, 1)
    order = orders.place_order(shop.state, [("TENT", 1)], location_id=silent.location_id)
    (at_silent,) = order.fulfillment_order_ids
    assert fulfillment_service_callback(shop.state, shop.state.fulfillment_orders[at_silent]) is None


# -- saving and loading -------------------------------------------------------------------------------------


def test_returns_and_fulfillment_services_round_trip(shop: Shop, tmp_path: Path) -> None:
    create_fulfillment_service(
        shop.state, "Crossdock 3PL", "https://hub.example/shopify", tracking_support=True
    )
    declined = returns.request_return(
        shop.state, shop.order.id, [ReturnLineRequest(shop.tent_line, 1, "COLOR", customer_note="Too red")]
    )
    returns.decline_return_request(shop.state, declined.id, "FINAL_SALE", "Sale item")
    closed = returns.create_return(
        shop.state, shop.order.id, [ReturnLineRequest(shop.lamp_line, 1, "DEFECTIVE", "Flickers")]
    )
    shop.clock.advance()
    returns.close_return(shop.state, closed.id)
    path = tmp_path / "state.json"

    save_state(shop.state, path)
    loaded = load_state(path, clock=shop.clock)

    assert loaded.returns == shop.state.returns
    assert loaded.fulfillment_services == shop.state.fulfillment_services
    assert loaded.locations == shop.state.locations
    assert loaded.returns[closed.id].closed_at == shop.clock.now
    assert loaded.next_id() == shop.state.next_id()
