"""Fulfillment services and returns over real HTTP: an app registers its fulfillment service, an order stocked
at the service's location is requested, accepted and fulfilled, then a unit comes back through a return
request that is approved and closed; ``node``/``nodes`` find every kind of object the sandbox serves."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from crossdock.sandbox.shopify import orders, returns
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.fulfillment_services import fulfillment_service_callback
from crossdock.sandbox.shopify.ids import gid, parse_gid
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from tests.support.servers import graphql_data, serving

TOKEN = "shpat_test_token"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@dataclass
class Shop:
    url: str
    state: ShopState
    warehouse_id: int

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return graphql_data(self.url, TOKEN, query, variables)


@pytest.fixture
def shop() -> Iterator[Shop]:
    state = ShopState(ShopInfo(1, "Acme Outdoor", "acme.myshopify.com"), clock=lambda: T0)
    warehouse = state.add_location("Warehouse")
    state.add_product("Trail tent", [("TENT-2P", "199.00", {warehouse.id: 0})])
    sandbox = ShopifySandbox(state, PLANS["standard"])
    with serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url:
        yield Shop(url, state, warehouse.id)


CREATE_SERVICE = """mutation($name: String!, $callbackUrl: URL) {
  fulfillmentServiceCreate(name: $name, callbackUrl: $callbackUrl, inventoryManagement: true,
                           trackingSupport: true) {
    fulfillmentService { id serviceName handle callbackUrl inventoryManagement trackingSupport
      requiresShippingMethod type
      location { id name isFulfillmentService fulfillmentService { serviceName } } }
    userErrors { field message }
  }
}"""

ASSIGNED = """query($status: FulfillmentOrderAssignmentStatus!) {
  assignedFulfillmentOrders(first: 10, assignmentStatus: $status) {
    nodes { id status requestStatus assignedLocation { location { id } } } }
}"""

RETURN_REQUEST = """mutation($input: ReturnRequestInput!) {
  returnRequest(input: $input) {
    return { id name status totalQuantity }
    userErrors { field message code }
  }
}"""

RETURN_FIELDS = """id name status totalQuantity createdAt requestApprovedAt closedAt decline { reason note }
  order { id name }
  returnLineItems(first: 5) { nodes { __typename id quantity customerNote returnReasonNote
    ... on ReturnLineItem { fulfillmentLineItem { id quantity lineItem { sku } } } } }"""


def create_service(shop: Shop) -> dict[str, Any]:
    created = shop.post(
        CREATE_SERVICE, {"name": "Crossdock 3PL", "callbackUrl": "https://hub.example/shopify"}
    )
    payload: dict[str, Any] = created["fulfillmentServiceCreate"]
    assert payload["userErrors"] == []
    service: dict[str, Any] = payload["fulfillmentService"]
    return service


def test_service_order_fulfilled_then_a_unit_returned(shop: Shop) -> None:
    service = create_service(shop)
    location_gid = service["location"]["id"]
    assert service == {
        "id": gid("FulfillmentService", next(iter(shop.state.fulfillment_services))),
        "serviceName": "Crossdock 3PL",
        "handle": "crossdock-3pl",
        "callbackUrl": "https://hub.example/shopify",
        "inventoryManagement": True,
        "trackingSupport": True,
        "requiresShippingMethod": True,
        "type": "THIRD_PARTY",
        "location": {
            "id": location_gid,
            "name": "Crossdock 3PL",
            "isFulfillmentService": True,
            "fulfillmentService": {"serviceName": "Crossdock 3PL"},
        },
    }
    listed = shop.post("{ shop { fulfillmentServices { id serviceName location { id } } } }")
    assert listed["shop"]["fulfillmentServices"] == [
        {"id": service["id"], "serviceName": "Crossdock 3PL", "location": {"id": location_gid}}
    ]

    # The 3PL holds the stock; the warehouse has none, so checkout assigns the order to the service.
    service_location = parse_gid(location_gid, "Location")[1]
    variant = shop.state.variant_by_sku("TENT-2P")
    assert variant is not None
    shop.state.stock(variant.inventory_item_id, service_location, 5)
    order = orders.place_order(shop.state, [("TENT-2P", 2)], email="ada@example.com")
    (fulfillment_order_id,) = order.fulfillment_order_ids
    fulfillment_order = shop.state.fulfillment_orders[fulfillment_order_id]
    assert fulfillment_order.location_id == service_location
    # An order at the plain warehouse, also submitted: not the app's work once the app has its service.
    shop.state.stock(variant.inventory_item_id, shop.warehouse_id, 1)
    elsewhere = orders.place_order(shop.state, [("TENT-2P", 1)], location_id=shop.warehouse_id)
    orders.request_fulfillment(shop.state, elsewhere.fulfillment_order_ids[0])

    # The merchant submits the request; the control API sends the service this notification.
    orders.request_fulfillment(shop.state, fulfillment_order_id, "Ship it")
    assert fulfillment_service_callback(shop.state, fulfillment_order) == (
        "https://hub.example/shopify/fulfillment_order_notification",
        {"kind": "FULFILLMENT_REQUEST"},
    )
    fo_gid = gid("FulfillmentOrder", fulfillment_order_id)
    requested = shop.post(ASSIGNED, {"status": "FULFILLMENT_REQUESTED"})
    assert requested["assignedFulfillmentOrders"]["nodes"] == [
        {
            "id": fo_gid,
            "status": "OPEN",
            "requestStatus": "SUBMITTED",
            "assignedLocation": {"location": {"id": location_gid}},
        }
    ]

    accepted = shop.post(
        """mutation($id: ID!) { fulfillmentOrderAcceptFulfillmentRequest(id: $id) {
          fulfillmentOrder { status requestStatus } userErrors { field message } } }""",
        {"id": fo_gid},
    )
    assert accepted["fulfillmentOrderAcceptFulfillmentRequest"] == {
        "fulfillmentOrder": {"status": "IN_PROGRESS", "requestStatus": "ACCEPTED"},
        "userErrors": [],
    }
    assert (
        shop.post(ASSIGNED, {"status": "FULFILLMENT_REQUESTED"})["assignedFulfillmentOrders"]["nodes"] == []
    )
    assert [
        node["id"]
        for node in shop.post(ASSIGNED, {"status": "FULFILLMENT_ACCEPTED"})["assignedFulfillmentOrders"][
            "nodes"
        ]
    ] == [fo_gid]

    fulfilled = shop.post(
        """mutation($fulfillment: FulfillmentInput!) { fulfillmentCreate(fulfillment: $fulfillment) {
          fulfillment { id fulfillmentLineItems(first: 5) { nodes { id quantity } } }
          userErrors { field message } } }""",
        {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_gid}]}},
    )["fulfillmentCreate"]
    assert fulfilled["userErrors"] == []
    (fulfillment_line,) = fulfilled["fulfillment"]["fulfillmentLineItems"]["nodes"]
    assert fulfillment_line["quantity"] == 2

    requested_return = shop.post(
        RETURN_REQUEST,
        {
            "input": {
                "orderId": gid("Order", order.id),
                "returnLineItems": [
                    {
                        "fulfillmentLineItemId": fulfillment_line["id"],
                        "quantity": 1,
                        "returnReason": "SIZE_TOO_SMALL",
                        "customerNote": "Too small for two",
                    }
                ],
            }
        },
    )["returnRequest"]
    assert requested_return["userErrors"] == []
    return_gid = requested_return["return"]["id"]
    assert requested_return["return"] == {
        "id": return_gid,
        "name": "#1001-R1",
        "status": "REQUESTED",
        "totalQuantity": 1,
    }

    approved = shop.post(
        """mutation($id: ID!) { returnApproveRequest(input: {id: $id}) {
          return { status requestApprovedAt } userErrors { field message code } } }""",
        {"id": return_gid},
    )
    assert approved["returnApproveRequest"] == {
        "return": {"status": "OPEN", "requestApprovedAt": "2026-11-01T09:00:00Z"},
        "userErrors": [],
    }
    closed = shop.post(
        """mutation($id: ID!) { returnClose(id: $id) { return { status closedAt }
          userErrors { field message code } } }""",
        {"id": return_gid},
    )
    assert closed["returnClose"] == {
        "return": {"status": "CLOSED", "closedAt": "2026-11-01T09:00:00Z"},
        "userErrors": [],
    }
    closed_again = shop.post(
        """mutation($id: ID!) { returnClose(id: $id) {
          return { status } userErrors { field message code } } }""",
        {"id": return_gid},
    )
    assert closed_again["returnClose"] == {
        "return": None,
        "userErrors": [
            {
                "field": ["id"],
                "message": "Cannot close return #1001-R1: its status is CLOSED.",
                "code": "INVALID_STATE",
            }
        ],
    }

    read = shop.post(f"query($id: ID!) {{ return(id: $id) {{ {RETURN_FIELDS} }} }}", {"id": return_gid})
    assert read["return"] == {
        "id": return_gid,
        "name": "#1001-R1",
        "status": "CLOSED",
        "totalQuantity": 1,
        "createdAt": "2026-11-01T09:00:00Z",
        "requestApprovedAt": "2026-11-01T09:00:00Z",
        "closedAt": "2026-11-01T09:00:00Z",
        "decline": None,
        "order": {"id": gid("Order", order.id), "name": "#1001"},
        "returnLineItems": {
            "nodes": [
                {
                    "__typename": "ReturnLineItem",
                    "id": read["return"]["returnLineItems"]["nodes"][0]["id"],
                    "quantity": 1,
                    "customerNote": "Too small for two",
                    "returnReasonNote": "",
                    "fulfillmentLineItem": {
                        "id": fulfillment_line["id"],
                        "quantity": 2,
                        "lineItem": {"sku": "TENT-2P"},
                    },
                }
            ]
        },
    }

    # Two shipped, one already in a return: asking for two more is refused and changes nothing.
    before = copy.deepcopy((shop.state.returns, shop.state.orders))
    over = shop.post(
        RETURN_REQUEST,
        {
            "input": {
                "orderId": gid("Order", order.id),
                "returnLineItems": [{"fulfillmentLineItemId": fulfillment_line["id"], "quantity": 2}],
            }
        },
    )["returnRequest"]
    assert over == {
        "return": None,
        "userErrors": [
            {
                "field": ["input", "returnLineItems", "0", "quantity"],
                "message": f"Quantity 2 of fulfillment line item {parse_gid(fulfillment_line['id'])[1]} "
                "exceeds the 1 that can be returned.",
                "code": "LESS_THAN_OR_EQUAL_TO",
            }
        ],
    }
    assert (shop.state.returns, shop.state.orders) == before
    on_order = shop.post(
        "query($id: ID!) { order(id: $id) { returns(first: 5) { nodes { id name status } } } }",
        {"id": gid("Order", order.id)},
    )
    assert on_order["order"]["returns"]["nodes"] == [
        {"id": return_gid, "name": "#1001-R1", "status": "CLOSED"}
    ]


def test_a_merchant_return_opens_and_a_declined_request_records_why(shop: Shop) -> None:
    variant = shop.state.variant_by_sku("TENT-2P")
    assert variant is not None
    shop.state.stock(variant.inventory_item_id, shop.warehouse_id, 3)
    order = orders.place_order(shop.state, [("TENT-2P", 3)])
    fulfillment = orders.create_fulfillment(shop.state, [(order.fulfillment_order_ids[0], None)])
    line_gid = gid("FulfillmentLineItem", fulfillment.line_items[0].id)

    created = shop.post(
        """mutation($input: ReturnInput!) { returnCreate(returnInput: $input) {
          return { name status totalQuantity } userErrors { field message code } } }""",
        {
            "input": {
                "orderId": gid("Order", order.id),
                "returnLineItems": [
                    {"fulfillmentLineItemId": line_gid, "quantity": 1, "returnReasonNote": "Torn"}
                ],
            }
        },
    )
    assert created["returnCreate"] == {
        "return": {"name": "#1001-R1", "status": "OPEN", "totalQuantity": 1},
        "userErrors": [],
    }
    requested = shop.post(
        RETURN_REQUEST,
        {
            "input": {
                "orderId": gid("Order", order.id),
                "returnLineItems": [{"fulfillmentLineItemId": line_gid, "quantity": 2}],
            }
        },
    )["returnRequest"]["return"]
    declined = shop.post(
        """mutation($id: ID!) { returnDeclineRequest(input: {id: $id, declineReason: FINAL_SALE,
          declineNote: "Sale item"}) {
          return { status decline { reason note } } userErrors { field message } } }""",
        {"id": requested["id"]},
    )
    assert declined["returnDeclineRequest"] == {
        "return": {"status": "DECLINED", "decline": {"reason": "FINAL_SALE", "note": "Sale item"}},
        "userErrors": [],
    }
    reopened = shop.post(
        """mutation($id: ID!) { returnReopen(id: $id) {
          return { status } userErrors { field message code } } }""",
        {"id": requested["id"]},
    )
    assert reopened["returnReopen"] == {
        "return": None,
        "userErrors": [
            {
                "field": ["id"],
                "message": "Cannot reopen return #1001-R2: its status is DECLINED.",
                "code": "INVALID_STATE",
            }
        ],
    }
    missing = shop.post(
        """mutation { returnApproveRequest(input: {id: "gid://shopify/Return/999999"}) {
          return { id } userErrors { field message code } } }"""
    )
    assert missing["returnApproveRequest"] == {
        "return": None,
        "userErrors": [{"field": ["input", "id"], "message": "Return does not exist.", "code": "NOT_FOUND"}],
    }


def test_a_service_with_a_taken_name_is_refused(shop: Shop) -> None:
    create_service(shop)
    again = shop.post(CREATE_SERVICE, {"name": "Crossdock 3PL"})
    assert again["fulfillmentServiceCreate"] == {
        "fulfillmentService": None,
        "userErrors": [{"field": ["name"], "message": "Name has already been taken"}],
    }
    assert len(shop.state.fulfillment_services) == 1


NODE_FIELDS = """__typename id
  ... on Order { name }
  ... on FulfillmentOrder { status }
  ... on Fulfillment { name }
  ... on Return { name }
  ... on Product { title }
  ... on ProductVariant { sku }
  ... on InventoryItem { sku }
  ... on Location { name }
  ... on Shop { name }
  ... on WebhookSubscription { topic }"""


def test_node_and_nodes_return_each_kind_of_object(shop: Shop) -> None:
    variant = shop.state.variant_by_sku("TENT-2P")
    assert variant is not None
    shop.state.stock(variant.inventory_item_id, shop.warehouse_id, 2)
    order = orders.place_order(shop.state, [("TENT-2P", 1)])
    fulfillment = orders.create_fulfillment(shop.state, [(order.fulfillment_order_ids[0], None)])
    returned = returns.create_return(
        shop.state, order.id, [returns.ReturnLineRequest(fulfillment.line_items[0].id, 1)]
    )
    subscribed = shop.post(
        """mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE,
          webhookSubscription: {uri: "https://hub.example/webhooks"}) {
          webhookSubscription { id } userErrors { message } } }"""
    )["webhookSubscriptionCreate"]["webhookSubscription"]["id"]

    expected = [
        {"__typename": "Order", "id": gid("Order", order.id), "name": "#1001"},
        {
            "__typename": "FulfillmentOrder",
            "id": gid("FulfillmentOrder", order.fulfillment_order_ids[0]),
            "status": "CLOSED",
        },
        {"__typename": "Fulfillment", "id": gid("Fulfillment", fulfillment.id), "name": "#1001.1"},
        {"__typename": "Return", "id": gid("Return", returned.id), "name": "#1001-R1"},
        {"__typename": "Product", "id": gid("Product", variant.product_id), "title": "Trail tent"},
        {"__typename": "ProductVariant", "id": gid("ProductVariant", variant.id), "sku": "TENT-2P"},
        {
            "__typename": "InventoryItem",
            "id": gid("InventoryItem", variant.inventory_item_id),
            "sku": "TENT-2P",
        },
        {"__typename": "Location", "id": gid("Location", shop.warehouse_id), "name": "Warehouse"},
        {"__typename": "Shop", "id": gid("Shop", 1), "name": "Acme Outdoor"},
        {"__typename": "WebhookSubscription", "id": subscribed, "topic": "ORDERS_CREATE"},
    ]
    ids = [node["id"] for node in expected]
    unknown = [gid("Order", 999999), gid("Return", order.id), "not-a-gid"]

    found = shop.post(
        f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {NODE_FIELDS} }} }}", {"ids": ids + unknown}
    )
    assert found["nodes"] == [*expected, None, None, None]
    for one in expected:
        single = shop.post(f"query($id: ID!) {{ node(id: $id) {{ {NODE_FIELDS} }} }}", {"id": one["id"]})
        assert single["node"] == one
    assert shop.post('{ node(id: "gid://shopify/Product/999999") { id } }')["node"] is None
