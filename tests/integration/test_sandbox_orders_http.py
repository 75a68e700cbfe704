"""Orders and fulfillment over real HTTP: an order placed through the shop's Python API, then read, accepted,
fulfilled, tracked, held, listed and cancelled through the Admin GraphQL endpoint as an integration would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from crossdock.sandbox.shopify import orders
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.ids import gid
from crossdock.sandbox.shopify.orders import MailingAddress
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from tests.support.clocks import T0, ManualClock
from tests.support.servers import graphql_data, serving

TOKEN = "shpat_test_token"


@dataclass
class Shop:
    url: str
    state: ShopState
    clock: ManualClock
    warehouse_id: int
    order: orders.Order

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return graphql_data(self.url, TOKEN, query, variables)

    def tent(self) -> dict[str, int]:
        variant = self.state.variant_by_sku("TENT-2P")
        assert variant is not None
        level = self.state.level(variant.inventory_item_id, self.warehouse_id)
        assert level is not None
        return {name: level.get(name) for name in ("available", "committed", "on_hand")}

    @property
    def fulfillment_order_gid(self) -> str:
        return gid("FulfillmentOrder", self.order.fulfillment_order_ids[0])

    @property
    def fulfillment_order_line_gid(self) -> str:
        fulfillment_order = self.state.fulfillment_orders[self.order.fulfillment_order_ids[0]]
        return gid("FulfillmentOrderLineItem", fulfillment_order.line_items[0].id)


@pytest.fixture
def shop() -> Iterator[Shop]:
    clock = ManualClock()
    state = ShopState(ShopInfo(1, "Acme Outdoor", "acme.myshopify.com"), clock=clock)
    warehouse = state.add_location("Warehouse")
    state.add_product("Trail tent", [("TENT-2P", "199.00", {warehouse.id: 10})])
    order = orders.place_order(
        state,
        [("TENT-2P", 2)],
        email="ada@example.com",
        shipping_address=MailingAddress(
            "Ada", "Lovelace", address1="1 Main St", city="Reno", country_code="US"
        ),
    )
    fulfillment_order_id = order.fulfillment_order_ids[0]
    # The merchant sends the order to the warehouse's fulfillment service, which the tests then play.
    orders.request_fulfillment(state, fulfillment_order_id, "Ship it")
    sandbox = ShopifySandbox(state, PLANS["standard"])
    with serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url:
        yield Shop(url, state, clock, warehouse.id, order)


ORDER_QUERY = """query($id: ID!) {
  order(id: $id) {
    name email displayFulfillmentStatus displayFinancialStatus
    totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
    shippingAddress { name address1 city countryCodeV2 }
    lineItems(first: 5) { nodes { sku quantity currentQuantity unfulfilledQuantity
      originalUnitPriceSet { shopMoney { amount } } } }
    fulfillmentOrders(first: 5) { nodes { id status requestStatus
      assignedLocation { name }
      merchantRequests(first: 5) { nodes { kind message } }
      lineItems(first: 5) { nodes { id sku totalQuantity remainingQuantity } } } }
  }
}"""

FULFILL = """mutation($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id name status trackingInfo { company number url }
      fulfillmentLineItems(first: 5) { nodes { quantity lineItem { sku } } } }
    userErrors { field message }
  }
}"""

REMAINING = """query($id: ID!) {
  fulfillmentOrder(id: $id) { status lineItems(first: 5) { nodes { remainingQuantity } } }
}"""


def fulfill_input(shop: Shop, quantity: int, tracking: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "lineItemsByFulfillmentOrder": [
            {
                "fulfillmentOrderId": shop.fulfillment_order_gid,
                "fulfillmentOrderLineItems": [{"id": shop.fulfillment_order_line_gid, "quantity": quantity}],
            }
        ],
        "trackingInfo": tracking,
        "notifyCustomer": False,
    }


def accept(shop: Shop) -> dict[str, Any]:
    payload: dict[str, Any] = shop.post(
        """mutation($id: ID!) { fulfillmentOrderAcceptFulfillmentRequest(id: $id, message: "On it") {
          fulfillmentOrder { status requestStatus } userErrors { field message } } }""",
        {"id": shop.fulfillment_order_gid},
    )["fulfillmentOrderAcceptFulfillmentRequest"]
    return payload


def test_an_order_reads_with_its_line_items_and_fulfillment_orders(shop: Shop) -> None:
    data = shop.post(ORDER_QUERY, {"id": gid("Order", shop.order.id)})

    assert data["order"] == {
        "name": "#1001",
        "email": "ada@example.com",
        "displayFulfillmentStatus": "UNFULFILLED",
        "displayFinancialStatus": "PAID",
        "totalPriceSet": {
            "shopMoney": {"amount": "398.00", "currencyCode": "USD"},
            "presentmentMoney": {"amount": "398.00", "currencyCode": "USD"},
        },
        "shippingAddress": {
            "name": "Ada Lovelace",
            "address1": "1 Main St",
            "city": "Reno",
            "countryCodeV2": "US",
        },
        "lineItems": {
            "nodes": [
                {
                    "sku": "TENT-2P",
                    "quantity": 2,
                    "currentQuantity": 2,
                    "unfulfilledQuantity": 2,
                    "originalUnitPriceSet": {"shopMoney": {"amount": "199.00"}},
                }
            ]
        },
        "fulfillmentOrders": {
            "nodes": [
                {
                    "id": shop.fulfillment_order_gid,
                    "status": "OPEN",
                    "requestStatus": "SUBMITTED",
                    "assignedLocation": {"name": "Warehouse"},
                    "merchantRequests": {"nodes": [{"kind": "FULFILLMENT_REQUEST", "message": "Ship it"}]},
                    "lineItems": {
                        "nodes": [
                            {
                                "id": shop.fulfillment_order_line_gid,
                                "sku": "TENT-2P",
                                "totalQuantity": 2,
                                "remainingQuantity": 2,
                            }
                        ]
                    },
                }
            ]
        },
    }
    assert shop.tent() == {"available": 8, "committed": 2, "on_hand": 10}


def test_accept_fulfill_part_refuse_too_much_and_update_tracking(shop: Shop) -> None:
    assert accept(shop) == {
        "fulfillmentOrder": {"status": "IN_PROGRESS", "requestStatus": "ACCEPTED"},
        "userErrors": [],
    }
    assigned = shop.post(
        """{ assignedFulfillmentOrders(first: 5, assignmentStatus: FULFILLMENT_ACCEPTED) { nodes { id } } }"""
    )
    assert assigned["assignedFulfillmentOrders"]["nodes"] == [{"id": shop.fulfillment_order_gid}]

    tracking = {"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"}
    created = shop.post(FULFILL, {"fulfillment": fulfill_input(shop, 1, tracking)})["fulfillmentCreate"]
    fulfillment_id = created["fulfillment"]["id"]
    assert created == {
        "fulfillment": {
            "id": fulfillment_id,
            "name": "#1001.1",
            "status": "SUCCESS",
            "trackingInfo": [tracking],
            "fulfillmentLineItems": {"nodes": [{"quantity": 1, "lineItem": {"sku": "TENT-2P"}}]},
        },
        "userErrors": [],
    }
    assert shop.post(REMAINING, {"id": shop.fulfillment_order_gid})["fulfillmentOrder"] == {
        "status": "IN_PROGRESS",
        "lineItems": {"nodes": [{"remainingQuantity": 1}]},
    }
    assert shop.tent() == {"available": 8, "committed": 1, "on_hand": 9}

    refused = shop.post(FULFILL, {"fulfillment": fulfill_input(shop, 2)})["fulfillmentCreate"]
    assert refused == {
        "fulfillment": None,
        "userErrors": [
            {"field": ["fulfillment"], "message": "Invalid fulfillment order line item quantity requested."}
        ],
    }
    assert shop.post(REMAINING, {"id": shop.fulfillment_order_gid})["fulfillmentOrder"] == {
        "status": "IN_PROGRESS",
        "lineItems": {"nodes": [{"remainingQuantity": 1}]},
    }
    assert shop.tent() == {"available": 8, "committed": 1, "on_hand": 9}
    assert len(shop.state.fulfillments) == 1

    updated = shop.post(
        """mutation($id: ID!, $tracking: FulfillmentTrackingInput!) {
          fulfillmentTrackingInfoUpdate(
            fulfillmentId: $id, trackingInfoInput: $tracking, notifyCustomer: true
          ) {
            fulfillment { trackingInfo { company number url } } userErrors { field message } } }""",
        {"id": fulfillment_id, "tracking": {"company": "DHL", "number": "JD0001"}},
    )["fulfillmentTrackingInfoUpdate"]
    assert updated == {
        "fulfillment": {"trackingInfo": [{"company": "DHL", "number": "JD0001", "url": None}]},
        "userErrors": [],
    }


def test_hold_and_release(shop: Shop) -> None:
    accept(shop)
    held = shop.post(
        """mutation($id: ID!) { fulfillmentOrderHold(id: $id, fulfillmentHold: {
             reason: AWAITING_PAYMENT, reasonNotes: "Wire pending", handle: "payment" }) {
           fulfillmentHold { reason reasonNotes handle displayReason }
           fulfillmentOrder { status supportedActions { action } }
           userErrors { field message code } } }""",
        {"id": shop.fulfillment_order_gid},
    )["fulfillmentOrderHold"]
    assert held == {
        "fulfillmentHold": {
            "reason": "AWAITING_PAYMENT",
            "reasonNotes": "Wire pending",
            "handle": "payment",
            "displayReason": "Awaiting payment",
        },
        "fulfillmentOrder": {
            "status": "ON_HOLD",
            "supportedActions": [{"action": "HOLD"}, {"action": "RELEASE_HOLD"}],
        },
        "userErrors": [],
    }

    refused = shop.post(FULFILL, {"fulfillment": fulfill_input(shop, 1)})["fulfillmentCreate"]
    assert refused["userErrors"] == [
        {
            "field": ["id"],
            "message": f"Cannot fulfill part on fulfillment order {shop.order.fulfillment_order_ids[0]}: "
            "its status is ON_HOLD.",
        }
    ]

    released = shop.post(
        """mutation($id: ID!) { fulfillmentOrderReleaseHold(id: $id) {
             fulfillmentOrder { status requestStatus fulfillmentHolds { reason } } userErrors { code } } }""",
        {"id": shop.fulfillment_order_gid},
    )["fulfillmentOrderReleaseHold"]
    assert released == {
        "fulfillmentOrder": {"status": "IN_PROGRESS", "requestStatus": "ACCEPTED", "fulfillmentHolds": []},
        "userErrors": [],
    }

    missing = shop.post(
        """mutation { fulfillmentOrderHold(id: "gid://shopify/FulfillmentOrder/999999",
             fulfillmentHold: { reason: OTHER }) {
           fulfillmentOrder { id } userErrors { field message code } } }"""
    )["fulfillmentOrderHold"]
    assert missing == {
        "fulfillmentOrder": None,
        "userErrors": [
            {
                "field": ["id"],
                "message": "Fulfillment order does not exist.",
                "code": "FULFILLMENT_ORDER_NOT_FOUND",
            }
        ],
    }


def test_orders_updated_since_returns_the_changed_order(shop: Shop) -> None:
    untouched = orders.place_order(shop.state, [("TENT-2P", 1)])
    shop.clock.now = T0 + timedelta(hours=1)

    tagged = shop.post(
        """mutation($id: ID!) { tagsAdd(id: $id, tags: ["priority"]) {
             node { ... on Order { name tags } } userErrors { field message } } }""",
        {"id": gid("Order", shop.order.id)},
    )["tagsAdd"]
    assert tagged == {"node": {"name": "#1001", "tags": ["priority"]}, "userErrors": []}

    changed = shop.post(
        """{ orders(first: 10, sortKey: UPDATED_AT, query: "updated_at:>2026-11-01T09:30:00Z") {
             nodes { name updatedAt tags } } }"""
    )
    assert changed["orders"]["nodes"] == [
        {"name": "#1001", "updatedAt": "2026-11-01T10:00:00Z", "tags": ["priority"]}
    ]
    by_name = shop.post("""{ orders(first: 10, query: "name:#1002") { nodes { id } } }""")
    assert by_name["orders"]["nodes"] == [{"id": gid("Order", untouched.id)}]
    newest_first = shop.post(
        """{ orders(first: 10, sortKey: UPDATED_AT, reverse: true) { nodes { name } } }"""
    )
    assert newest_first["orders"]["nodes"] == [{"name": "#1001"}, {"name": "#1002"}]


def test_order_cancel_releases_the_stock(shop: Shop) -> None:
    cancelled = shop.post(
        """mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, restock: true, refund: false) {
             job { done } orderCancelUserErrors { field message code } } }""",
        {"id": gid("Order", shop.order.id)},
    )["orderCancel"]
    assert cancelled == {"job": {"done": True}, "orderCancelUserErrors": []}
    assert shop.tent() == {"available": 10, "committed": 0, "on_hand": 10}

    order = shop.post(
        """query($id: ID!) { order(id: $id) { cancelReason cancelledAt closed
             fulfillmentOrders(first: 5) { nodes { status } } } }""",
        {"id": gid("Order", shop.order.id)},
    )["order"]
    assert order == {
        "cancelReason": "CUSTOMER",
        "cancelledAt": "2026-11-01T09:00:00Z",
        "closed": True,
        "fulfillmentOrders": {"nodes": [{"status": "CANCELLED"}]},
    }
    again = shop.post(
        """mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, restock: true) {
             job { done } orderCancelUserErrors { field message code } } }""",
        {"id": gid("Order", shop.order.id)},
    )["orderCancel"]
    assert again == {
        "job": None,
        "orderCancelUserErrors": [
            {"field": ["orderId"], "message": "Order has already been cancelled.", "code": "INVALID"}
        ],
    }
