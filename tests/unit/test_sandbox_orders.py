"""The sandbox's orders without GraphQL: the fulfillment order transition table, inventory committed, shipped
and released by orders, all-or-nothing fulfillment, and saving and loading orders with the shop."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from crossdock.sandbox.shopify import orders
from crossdock.sandbox.shopify.orders import (
    TRANSITIONS,
    Action,
    FulfillmentHold,
    FulfillmentOrder,
    MailingAddress,
    OrderError,
    TrackingInfo,
)
from crossdock.sandbox.shopify.seed import load_state, save_state
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from tests.support.clocks import T0, ManualClock


@dataclass
class Shop:
    state: ShopState
    clock: ManualClock
    warehouse: int
    store: int

    def quantities(self, sku: str, location_id: int) -> dict[str, int]:
        variant = self.state.variant_by_sku(sku)
        assert variant is not None
        level = self.state.level(variant.inventory_item_id, location_id)
        assert level is not None
        return {name: level.get(name) for name in ("available", "committed", "on_hand")}

    def only_fulfillment_order(self, order: orders.Order) -> FulfillmentOrder:
        (fulfillment_order_id,) = order.fulfillment_order_ids
        return self.state.fulfillment_orders[fulfillment_order_id]


@pytest.fixture
def shop() -> Shop:
    clock = ManualClock()
    state = ShopState(ShopInfo(1, "Acme", "acme.myshopify.com"), clock=clock)
    warehouse = state.add_location("Warehouse").id
    store = state.add_location("Store").id
    state.add_product("Tent", [("TENT", "199.00", {warehouse: 10, store: 5})])
    state.add_product("Stove", [("STOVE", "49.50", {store: 4})])
    state.add_product("Lamp", [("LAMP", "12.00", {warehouse: 1, store: 6})])
    return Shop(state, clock, warehouse, store)


# -- the transition table -----------------------------------------------------------------------------------

# (status, request status, action) -> (status, request status) after it: every legal move of the table.
LEGAL_MOVES: dict[tuple[str, str, Action], tuple[str, str]] = {
    ("OPEN", "UNSUBMITTED", Action.SUBMIT_FULFILLMENT_REQUEST): ("OPEN", "SUBMITTED"),
    ("OPEN", "REJECTED", Action.SUBMIT_FULFILLMENT_REQUEST): ("OPEN", "SUBMITTED"),
    ("OPEN", "SUBMITTED", Action.ACCEPT_FULFILLMENT_REQUEST): ("IN_PROGRESS", "ACCEPTED"),
    ("OPEN", "SUBMITTED", Action.REJECT_FULFILLMENT_REQUEST): ("OPEN", "REJECTED"),
    ("IN_PROGRESS", "ACCEPTED", Action.SUBMIT_CANCELLATION_REQUEST): (
        "IN_PROGRESS",
        "CANCELLATION_REQUESTED",
    ),
    ("IN_PROGRESS", "CANCELLATION_REJECTED", Action.SUBMIT_CANCELLATION_REQUEST): (
        "IN_PROGRESS",
        "CANCELLATION_REQUESTED",
    ),
    ("IN_PROGRESS", "CANCELLATION_REQUESTED", Action.ACCEPT_CANCELLATION_REQUEST): (
        "CANCELLED",
        "CANCELLATION_ACCEPTED",
    ),
    ("IN_PROGRESS", "CANCELLATION_REQUESTED", Action.REJECT_CANCELLATION_REQUEST): (
        "IN_PROGRESS",
        "CANCELLATION_REJECTED",
    ),
    ("OPEN", "UNSUBMITTED", Action.HOLD): ("ON_HOLD", "UNSUBMITTED"),
    ("IN_PROGRESS", "ACCEPTED", Action.HOLD): ("ON_HOLD", "ACCEPTED"),
    ("SCHEDULED", "UNSUBMITTED", Action.HOLD): ("ON_HOLD", "UNSUBMITTED"),
    ("INCOMPLETE", "UNSUBMITTED", Action.HOLD): ("ON_HOLD", "UNSUBMITTED"),
    ("ON_HOLD", "UNSUBMITTED", Action.HOLD): ("ON_HOLD", "UNSUBMITTED"),
    # Released, a fulfillment order goes back to where it was held from (set up below as OPEN).
    ("ON_HOLD", "UNSUBMITTED", Action.RELEASE_HOLD): ("OPEN", "UNSUBMITTED"),
    ("OPEN", "UNSUBMITTED", Action.FULFILL_PART): ("IN_PROGRESS", "UNSUBMITTED"),
    ("IN_PROGRESS", "ACCEPTED", Action.FULFILL_PART): ("IN_PROGRESS", "ACCEPTED"),
    ("OPEN", "UNSUBMITTED", Action.FULFILL_REST): ("CLOSED", "UNSUBMITTED"),
    ("IN_PROGRESS", "ACCEPTED", Action.FULFILL_REST): ("CLOSED", "ACCEPTED"),
    ("OPEN", "UNSUBMITTED", Action.CANCEL): ("CANCELLED", "UNSUBMITTED"),
    ("IN_PROGRESS", "ACCEPTED", Action.CANCEL): ("CANCELLED", "ACCEPTED"),
    ("SCHEDULED", "UNSUBMITTED", Action.CANCEL): ("CANCELLED", "UNSUBMITTED"),
    ("INCOMPLETE", "UNSUBMITTED", Action.CANCEL): ("CANCELLED", "UNSUBMITTED"),
    ("ON_HOLD", "UNSUBMITTED", Action.CANCEL): ("CANCELLED", "UNSUBMITTED"),
}


def fulfillment_order_in(shop: Shop, status: str, request_status: str) -> FulfillmentOrder:
    """A fresh order's fulfillment order (2 tents at the warehouse) put straight into a state; an ON_HOLD one
    gets a hold placed from OPEN."""
    fulfillment_order = shop.only_fulfillment_order(orders.place_order(shop.state, [("TENT", 2)]))
    fulfillment_order.status = status
    fulfillment_order.request_status = request_status
    if status == "ON_HOLD":
        fulfillment_order.holds.append(FulfillmentHold(shop.state.next_id(), "OTHER", None, ""))
        fulfillment_order.status_before_hold = "OPEN"
    return fulfillment_order


def perform(shop: Shop, fulfillment_order: FulfillmentOrder, action: Action) -> None:
    state, fo_id = shop.state, fulfillment_order.id
    if action is Action.SUBMIT_FULFILLMENT_REQUEST:
        orders.request_fulfillment(state, fo_id)
    elif action is Action.ACCEPT_FULFILLMENT_REQUEST:
        orders.accept_fulfillment_request(state, fo_id)
    elif action is Action.REJECT_FULFILLMENT_REQUEST:
        orders.reject_fulfillment_request(state, fo_id)
    elif action is Action.SUBMIT_CANCELLATION_REQUEST:
        orders.request_cancellation(state, fo_id)
    elif action is Action.ACCEPT_CANCELLATION_REQUEST:
        orders.accept_cancellation_request(state, fo_id)
    elif action is Action.REJECT_CANCELLATION_REQUEST:
        orders.reject_cancellation_request(state, fo_id)
    elif action is Action.HOLD:
        orders.hold(state, fo_id, "OTHER")
    elif action is Action.RELEASE_HOLD:
        orders.release_hold(state, fo_id)
    elif action is Action.FULFILL_PART:
        orders.create_fulfillment(state, [(fo_id, [(fulfillment_order.line_items[0].id, 1)])])
    elif action is Action.FULFILL_REST:
        orders.create_fulfillment(state, [(fo_id, None)])
    else:
        orders.cancel_order(state, fulfillment_order.order_id, "CUSTOMER", restock=True)


def test_the_expected_moves_are_exactly_the_table() -> None:
    assert {(status, action) for status, _, action in LEGAL_MOVES} == set(TRANSITIONS)


@pytest.mark.parametrize(("start", "end"), LEGAL_MOVES.items(), ids=lambda value: "-".join(map(str, value)))
def test_every_legal_move(shop: Shop, start: tuple[str, str, Action], end: tuple[str, str]) -> None:
    status, request_status, action = start
    fulfillment_order = fulfillment_order_in(shop, status, request_status)
    shop.clock.advance()

    perform(shop, fulfillment_order, action)

    assert (fulfillment_order.status, fulfillment_order.request_status) == end
    assert fulfillment_order.updated_at == shop.clock.now
    assert shop.state.orders[fulfillment_order.order_id].updated_at == shop.clock.now


def test_a_move_outside_the_table_is_refused_for_every_status_and_action() -> None:
    for status, action in itertools.product(orders.FULFILLMENT_ORDER_STATUSES, Action):
        if (status, action) in TRANSITIONS:
            continue
        fulfillment_order = FulfillmentOrder(7, 1, 2, T0, T0, status=status)
        with pytest.raises(OrderError) as refused:
            orders.check_transition(fulfillment_order, action)
        assert refused.value.message == f"Cannot {action} on fulfillment order 7: its status is {status}."


@pytest.mark.parametrize(
    ("status", "request_status", "action", "message"),
    [
        (
            "CLOSED",
            "UNSUBMITTED",
            Action.HOLD,
            "Cannot hold on fulfillment order {id}: its status is CLOSED.",
        ),
        (
            "CANCELLED",
            "UNSUBMITTED",
            Action.HOLD,
            "Cannot hold on fulfillment order {id}: its status is CANCELLED.",
        ),
        (
            "OPEN",
            "UNSUBMITTED",
            Action.RELEASE_HOLD,
            "Cannot release the hold on fulfillment order {id}: its status is OPEN.",
        ),
        (
            "ON_HOLD",
            "UNSUBMITTED",
            Action.FULFILL_PART,
            "Cannot fulfill part on fulfillment order {id}: its status is ON_HOLD.",
        ),
        (
            "CLOSED",
            "ACCEPTED",
            Action.SUBMIT_CANCELLATION_REQUEST,
            "Cannot submit a cancellation request on fulfillment order {id}: its status is CLOSED.",
        ),
        (
            "OPEN",
            "UNSUBMITTED",
            Action.ACCEPT_FULFILLMENT_REQUEST,
            "Cannot accept a fulfillment request on fulfillment order {id}: "
            "its request status is UNSUBMITTED (needs SUBMITTED).",
        ),
        (
            "IN_PROGRESS",
            "ACCEPTED",
            Action.ACCEPT_CANCELLATION_REQUEST,
            "Cannot accept a cancellation request on fulfillment order {id}: its request status is ACCEPTED "
            "(needs CANCELLATION_REQUESTED).",
        ),
        (
            "OPEN",
            "SUBMITTED",
            Action.SUBMIT_FULFILLMENT_REQUEST,
            "Cannot submit a fulfillment request on fulfillment order {id}: its request status is SUBMITTED "
            "(needs REJECTED or UNSUBMITTED).",
        ),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(
    shop: Shop, status: str, request_status: str, action: Action, message: str
) -> None:
    fulfillment_order = fulfillment_order_in(shop, status, request_status)
    before = copy.deepcopy(fulfillment_order)
    order_before = copy.deepcopy(shop.state.orders[fulfillment_order.order_id])
    shop.clock.advance()

    with pytest.raises(OrderError) as refused:
        perform(shop, fulfillment_order, action)

    assert refused.value.message == message.format(id=fulfillment_order.id)
    assert fulfillment_order == before
    assert shop.state.orders[fulfillment_order.order_id] == order_before
    assert shop.state.fulfillments == {}


def test_release_goes_back_to_in_progress_when_held_after_a_partial_fulfillment(shop: Shop) -> None:
    fulfillment_order = shop.only_fulfillment_order(orders.place_order(shop.state, [("TENT", 2)]))
    orders.create_fulfillment(shop.state, [(fulfillment_order.id, [(fulfillment_order.line_items[0].id, 1)])])
    first = orders.hold(shop.state, fulfillment_order.id, "AWAITING_PAYMENT", "card declined")
    second = orders.hold(shop.state, fulfillment_order.id, "OTHER", handle="manual")

    orders.release_hold(shop.state, fulfillment_order.id, [first.id])
    assert fulfillment_order.status == "ON_HOLD"  # one hold remains
    assert fulfillment_order.holds == [second]

    orders.release_hold(shop.state, fulfillment_order.id)
    assert (fulfillment_order.status, fulfillment_order.holds) == ("IN_PROGRESS", [])


def test_a_second_hold_with_the_same_handle_is_refused(shop: Shop) -> None:
    fulfillment_order = shop.only_fulfillment_order(orders.place_order(shop.state, [("TENT", 2)]))
    orders.hold(shop.state, fulfillment_order.id, "OTHER", handle="fraud-check")

    with pytest.raises(OrderError) as refused:
        orders.hold(shop.state, fulfillment_order.id, "OTHER", handle="fraud-check")

    assert refused.value.code == "DUPLICATE_FULFILLMENT_HOLD_HANDLE"
    assert len(fulfillment_order.holds) == 1


# -- placing orders -----------------------------------------------------------------------------------------


def test_placing_an_order_commits_units_and_numbers_the_order(shop: Shop) -> None:
    first = orders.place_order(shop.state, [("TENT", 2)], email="a@example.com")
    second = orders.place_order(shop.state, [("TENT", 1)])

    assert (first.name, second.name) == ("#1001", "#1002")
    assert shop.quantities("TENT", shop.warehouse) == {"available": 7, "committed": 3, "on_hand": 10}
    assert shop.quantities("TENT", shop.store) == {"available": 5, "committed": 0, "on_hand": 5}
    fulfillment_order = shop.only_fulfillment_order(first)
    assert (fulfillment_order.location_id, fulfillment_order.status, fulfillment_order.request_status) == (
        shop.warehouse,
        "OPEN",
        "UNSUBMITTED",
    )
    assert [(line.total_quantity, line.remaining_quantity) for line in fulfillment_order.line_items] == [
        (2, 2)
    ]
    assert first.total_price() == 398
    assert first.line_items[0].price == "199.00"


def test_each_line_goes_to_the_first_location_with_enough_and_each_location_gets_a_fulfillment_order(
    shop: Shop,
) -> None:
    # LAMP: the warehouse has 1, the store 6, so 3 come from the store; TENT: the warehouse has enough.
    order = orders.place_order(shop.state, [("TENT", 1), ("LAMP", 3)])

    by_location = {
        shop.state.fulfillment_orders[fid].location_id: [
            line.inventory_item_id for line in shop.state.fulfillment_orders[fid].line_items
        ]
        for fid in order.fulfillment_order_ids
    }
    tent, lamp = (shop.state.variant_by_sku(sku) for sku in ("TENT", "LAMP"))
    assert tent is not None and lamp is not None
    assert by_location == {shop.warehouse: [tent.inventory_item_id], shop.store: [lamp.inventory_item_id]}
    assert shop.quantities("LAMP", shop.store) == {"available": 3, "committed": 3, "on_hand": 6}


def test_without_enough_anywhere_the_first_stocking_location_takes_the_line(shop: Shop) -> None:
    orders.place_order(shop.state, [("LAMP", 9)])

    # Overselling leaves available negative, as Shopify does when a product sells past its stock.
    assert shop.quantities("LAMP", shop.warehouse) == {"available": -8, "committed": 9, "on_hand": 1}


def test_an_order_for_an_unknown_sku_is_refused_and_nothing_is_committed(shop: Shop) -> None:
    with pytest.raises(OrderError) as refused:
        orders.place_order(shop.state, [("TENT", 1), ("NOPE", 1)])

    assert refused.value.message == "No variant has SKU NOPE."
    assert shop.quantities("TENT", shop.warehouse) == {"available": 10, "committed": 0, "on_hand": 10}
    assert (shop.state.orders, shop.state.order_number) == ({}, 1001)


# -- fulfilling ---------------------------------------------------------------------------------------------


def test_a_partial_fulfillment_leaves_the_rest_and_keeps_the_fulfillment_order_in_progress(
    shop: Shop,
) -> None:
    order = orders.place_order(shop.state, [("TENT", 2)])
    fulfillment_order = shop.only_fulfillment_order(order)
    line = fulfillment_order.line_items[0]
    tracking = [TrackingInfo("UPS", "1Z999", "https://ups.example/1Z999")]

    fulfillment = orders.create_fulfillment(shop.state, [(fulfillment_order.id, [(line.id, 1)])], tracking)

    assert (fulfillment.name, fulfillment.status, fulfillment.tracking) == ("#1001.1", "SUCCESS", tracking)
    assert [(fulfilled.line_item_id, fulfilled.quantity) for fulfilled in fulfillment.line_items] == [
        (order.line_items[0].id, 1)
    ]
    assert (line.remaining_quantity, fulfillment_order.status) == (1, "IN_PROGRESS")
    assert shop.quantities("TENT", shop.warehouse) == {"available": 8, "committed": 1, "on_hand": 9}
    assert orders.unfulfilled_quantity(shop.state, order, order.line_items[0].id) == 1

    orders.create_fulfillment(shop.state, [(fulfillment_order.id, None)])

    assert (line.remaining_quantity, fulfillment_order.status) == (0, "CLOSED")
    assert shop.quantities("TENT", shop.warehouse) == {"available": 8, "committed": 0, "on_hand": 8}
    assert [shop.state.fulfillments[fid].name for fid in order.fulfillment_ids] == ["#1001.1", "#1001.2"]


@pytest.mark.parametrize(
    "requested",
    [[(0, 3)], [(0, 1), (0, 2)]],
    ids=["one line above what remains", "the same line twice adding up above it"],
)
def test_over_fulfilment_is_refused_and_nothing_is_applied(
    shop: Shop, requested: list[tuple[int, int]]
) -> None:
    # The first fulfillment order (warehouse tent) would be fine; the second (store lamp) asks too much.
    order = orders.place_order(shop.state, [("TENT", 2), ("STOVE", 2)])
    tent_fo, stove_fo = (shop.state.fulfillment_orders[fid] for fid in order.fulfillment_order_ids)
    stove_line = stove_fo.line_items[0].id
    before = copy.deepcopy((tent_fo, stove_fo, order))

    with pytest.raises(OrderError) as refused:
        orders.create_fulfillment(
            shop.state,
            [(tent_fo.id, None), (stove_fo.id, [(stove_line, quantity) for _, quantity in requested])],
        )

    assert (refused.value.field, refused.value.message) == (
        ["fulfillment"],
        "Invalid fulfillment order line item quantity requested.",
    )
    assert (tent_fo, stove_fo, order) == before
    assert shop.state.fulfillments == {}
    assert shop.quantities("TENT", shop.warehouse) == {"available": 8, "committed": 2, "on_hand": 10}
    assert shop.quantities("STOVE", shop.store) == {"available": 2, "committed": 2, "on_hand": 4}


def test_one_fulfillment_cannot_span_two_locations(shop: Shop) -> None:
    order = orders.place_order(shop.state, [("TENT", 1), ("STOVE", 1)])

    with pytest.raises(OrderError) as refused:
        orders.create_fulfillment(shop.state, [(fid, None) for fid in order.fulfillment_order_ids])

    assert refused.value.message == "All fulfillment orders must be assigned to the same location."
    assert shop.state.fulfillments == {}


def test_tracking_is_replaced_and_moves_the_order_on(shop: Shop) -> None:
    order = orders.place_order(shop.state, [("TENT", 1)])
    fulfillment = orders.create_fulfillment(shop.state, [(order.fulfillment_order_ids[0], None)])
    later = shop.clock.advance()

    orders.update_tracking(shop.state, fulfillment.id, [TrackingInfo("DHL", "JD01", None)])

    assert fulfillment.tracking == [TrackingInfo("DHL", "JD01", None)]
    assert (fulfillment.updated_at, order.updated_at) == (later, later)


# -- cancelling ---------------------------------------------------------------------------------------------


def test_cancelling_releases_the_committed_units(shop: Shop) -> None:
    order = orders.place_order(shop.state, [("TENT", 2), ("STOVE", 1)])
    cancelled_at = shop.clock.advance()

    orders.cancel_order(shop.state, order.id, "CUSTOMER", restock=True)

    assert shop.quantities("TENT", shop.warehouse) == {"available": 10, "committed": 0, "on_hand": 10}
    assert shop.quantities("STOVE", shop.store) == {"available": 4, "committed": 0, "on_hand": 4}
    assert [shop.state.fulfillment_orders[fid].status for fid in order.fulfillment_order_ids] == [
        "CANCELLED",
        "CANCELLED",
    ]
    assert (order.cancelled_at, order.closed_at, order.cancel_reason) == (
        cancelled_at,
        cancelled_at,
        "CUSTOMER",
    )
    assert [line.current_quantity for line in order.line_items] == [0, 0]


def test_cancelling_without_restock_writes_the_units_off(shop: Shop) -> None:
    order = orders.place_order(shop.state, [("TENT", 2)])

    orders.cancel_order(shop.state, order.id, "INVENTORY", restock=False)

    assert shop.quantities("TENT", shop.warehouse) == {"available": 8, "committed": 0, "on_hand": 8}


def test_an_order_with_a_fulfillment_cannot_be_cancelled(shop: Shop) -> None:
    order = orders.place_order(shop.state, [("TENT", 2)])
    fulfillment_order = shop.only_fulfillment_order(order)
    orders.create_fulfillment(shop.state, [(fulfillment_order.id, [(fulfillment_order.line_items[0].id, 1)])])

    with pytest.raises(OrderError) as refused:
        orders.cancel_order(shop.state, order.id, "CUSTOMER", restock=True)

    assert (refused.value.message, refused.value.code) == (
        "Cannot cancel an order that has fulfillments.",
        "INVALID",
    )
    assert (order.cancelled_at, fulfillment_order.status) == (None, "IN_PROGRESS")
    assert shop.quantities("TENT", shop.warehouse) == {"available": 8, "committed": 1, "on_hand": 9}


def test_an_accepted_cancellation_request_releases_the_units(shop: Shop) -> None:
    fulfillment_order = shop.only_fulfillment_order(orders.place_order(shop.state, [("TENT", 2)]))
    orders.request_fulfillment(shop.state, fulfillment_order.id, "please ship")
    orders.accept_fulfillment_request(shop.state, fulfillment_order.id)
    orders.request_cancellation(shop.state, fulfillment_order.id, "customer changed their mind")

    orders.accept_cancellation_request(shop.state, fulfillment_order.id)

    assert (fulfillment_order.status, fulfillment_order.request_status) == (
        "CANCELLED",
        "CANCELLATION_ACCEPTED",
    )
    assert [(request.kind, request.message) for request in fulfillment_order.merchant_requests] == [
        ("FULFILLMENT_REQUEST", "please ship"),
        ("CANCELLATION_REQUEST", "customer changed their mind"),
    ]
    assert shop.quantities("TENT", shop.warehouse) == {"available": 10, "committed": 0, "on_hand": 10}


# -- tags ---------------------------------------------------------------------------------------------------


def test_tags_are_split_trimmed_and_kept_once(shop: Shop) -> None:
    order = orders.place_order(shop.state, [("TENT", 1)], tags=["vip"])

    orders.add_tags(shop.state, order.id, ["wholesale, VIP", " gift "])
    assert order.tags == ["vip", "wholesale", "gift"]

    orders.remove_tags(shop.state, order.id, ["Wholesale"])
    assert order.tags == ["vip", "gift"]


# -- saving and loading -------------------------------------------------------------------------------------


def test_orders_fulfillment_orders_and_fulfillments_round_trip(shop: Shop, tmp_path: Path) -> None:
    address = MailingAddress("Ada", "Lovelace", None, "1 Main St", None, "Reno", "NV", "89501", "US", "+1555")
    first = orders.place_order(
        shop.state, [("TENT", 2), ("STOVE", 1)], shipping_address=address, email="a@b.c"
    )
    tent_fo, stove_fo = (shop.state.fulfillment_orders[fid] for fid in first.fulfillment_order_ids)
    shop.clock.advance()
    orders.request_fulfillment(shop.state, tent_fo.id, "go")
    orders.accept_fulfillment_request(shop.state, tent_fo.id)
    orders.create_fulfillment(
        shop.state, [(tent_fo.id, [(tent_fo.line_items[0].id, 1)])], [TrackingInfo("UPS", "1Z", None)], True
    )
    orders.hold(shop.state, stove_fo.id, "AWAITING_PAYMENT", "wire transfer", "pay")
    orders.add_tags(shop.state, first.id, ["vip"])
    second = orders.place_order(shop.state, [("LAMP", 1)], financial_status="PENDING", note="gift")
    orders.cancel_order(shop.state, second.id, "DECLINED", restock=True)
    path = tmp_path / "state.json"

    save_state(shop.state, path)
    loaded = load_state(path, clock=shop.clock)

    assert loaded.orders == shop.state.orders
    assert loaded.fulfillment_orders == shop.state.fulfillment_orders
    assert loaded.fulfillments == shop.state.fulfillments
    assert loaded.inventory_items == shop.state.inventory_items
    assert loaded.order_number == shop.state.order_number == 1003
    assert loaded.next_id() == shop.state.next_id()
