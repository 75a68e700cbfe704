"""The Shopify sandbox over real HTTP: authentication, validation, cost and throttling, and the inventory
mutations' semantics (idempotency, compare-and-swap, reasons, input limits)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.ids import gid
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from tests.support.servers import serving

TOKEN = "shpat_test_token"
ENDPOINT = "/admin/api/2026-07/graphql.json"


class FrozenClock:
    """The bucket's clock, moved by the test: refill arithmetic is checked exactly, whatever the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Shop:
    url: str
    sandbox: ShopifySandbox
    clock: FrozenClock
    warehouse_id: int
    tent_item_id: int

    def post(self, query: str, variables: dict[str, Any] | None = None, token: str = TOKEN) -> httpx.Response:
        return httpx.post(
            self.url + ENDPOINT,
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": token},
            timeout=10,
        )

    def available(self) -> int:
        level = self.sandbox.state.level(self.tent_item_id, self.warehouse_id)
        assert level is not None
        return level.get("available")


@pytest.fixture
def shop() -> Iterator[Shop]:
    state = ShopState(
        ShopInfo(1, "Acme Outdoor", "acme.myshopify.com"), clock=lambda: datetime(2026, 11, 1, tzinfo=UTC)
    )
    warehouse = state.add_location("Warehouse")
    store = state.add_location("Store")
    tent = state.add_product("Trail tent", [("TENT-2P", "199.00", {warehouse.id: 10, store.id: 2})])
    for number in range(1, 6):
        state.add_product(f"Stove {number}", [(f"STOVE-{number}", "49.00", {warehouse.id: number})])
    clock = FrozenClock()
    sandbox = ShopifySandbox(state, PLANS["standard"], monotonic=clock)
    with serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url:
        yield Shop(url, sandbox, clock, warehouse.id, state.variants[tent.variant_ids[0]].inventory_item_id)


def test_a_wrong_token_is_refused_as_shopify_refuses_it(shop: Shop) -> None:
    refused = shop.post("{ shop { name } }", token="shpat_wrong")
    assert refused.status_code == 401
    assert refused.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    accepted = shop.post("{ shop { name myshopifyDomain } }")
    assert accepted.status_code == 200
    assert accepted.json()["data"] == {
        "shop": {"name": "Acme Outdoor", "myshopifyDomain": "acme.myshopify.com"}
    }


def test_an_invalid_operation_fails_validation_and_executes_nothing(shop: Shop) -> None:
    mutation = """mutation($input: InventorySetQuantitiesInput!) {
      inventorySetQuantities(input: $input) @idempotent(key: "v1") { userErrors { field } noSuchField }
    }"""
    answer = shop.post(mutation, {"input": set_input(shop, 3, change_from=10)}).json()
    assert answer == {
        "errors": [
            {
                "message": "Field 'noSuchField' doesn't exist on type 'InventorySetQuantitiesPayload'",
                "locations": [{"line": 2, "column": mutation.splitlines()[1].index("noSuchField") + 1}],
                "extensions": {
                    "code": "undefinedField",
                    "typeName": "InventorySetQuantitiesPayload",
                    "fieldName": "noSuchField",
                },
            }
        ]
    }
    assert shop.available() == 10


def test_every_answer_reports_its_cost_and_the_bucket(shop: Shop) -> None:
    answer = shop.post("{ products(first: 10) { nodes { title } } }").json()
    assert [node["title"] for node in answer["data"]["products"]["nodes"]] == [
        "Trail tent",
        *(f"Stove {n}" for n in range(1, 6)),
    ]
    # Requested: 2 + f(10) * 1 = 6; the page held 6 products: 2 + f(6) * 1 = 5, and 1 point is refunded.
    assert answer["extensions"]["cost"] == {
        "requestedQueryCost": 6,
        "actualQueryCost": 5,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1995, "restoreRate": 100.0},
    }


def test_a_burst_is_throttled_exactly_when_the_bucket_would_go_negative(shop: Shop) -> None:
    warehouse = shop.warehouse_id
    for number in range(244):  # 250 variants in all: every page below is full, so actual = requested
        shop.sandbox.state.add_product(f"Sock {number}", [(f"SOCK-{number:03}", "9.00", {warehouse: 1})])
    full_page = "{ productVariants(first: 250) { nodes { sku } } }"  # 2 + f(250) * 1 = 13 points
    answers = [shop.post(full_page).json() for _ in range(154)]
    assert all("data" in answer for answer in answers[:153])  # 153 * 13 = 1989 <= 2000
    assert answers[152]["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 11
    assert answers[153] == {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ],
        "extensions": {
            "cost": {
                "requestedQueryCost": 13,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": 11,
                    "restoreRate": 100.0,
                },
            }
        },
    }
    shop.clock.now += 0.015625  # 1.5625 points restored: 12.56, still short of 13
    assert shop.post(full_page).json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    shop.clock.now += 0.015625  # 14.125 now
    assert "data" in shop.post(full_page).json()


def test_a_query_over_a_thousand_points_is_refused_whatever_the_bucket_holds(shop: Shop) -> None:
    deep = """{ products(first: 250) { nodes { variants(first: 250) { nodes { inventoryItem {
      inventoryLevels(first: 250) { nodes { location { id } } } } } } } } }"""
    # 2 + 11 * (1 + 2 + 11 * (1 + 1 + 2 + 11 * (1 + 1))) = 3181
    answer = shop.post(deep).json()
    assert answer["errors"][0]["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 3181, "maxCost": 1000}
    assert "data" not in answer


def set_input(
    shop: Shop, quantity: int, *, change_from: int | None, reason: str = "correction"
) -> dict[str, Any]:
    return {
        "reason": reason,
        "name": "available",
        "referenceDocumentUri": "gid://crossdock/StockSnapshot/846-0001",
        "quantities": [
            {
                "inventoryItemId": gid("InventoryItem", shop.tent_item_id),
                "locationId": gid("Location", shop.warehouse_id),
                "quantity": quantity,
                "changeFromQuantity": change_from,
            }
        ],
    }


SET_QUANTITIES = """mutation($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "%s") {
    inventoryAdjustmentGroup { reason referenceDocumentUri changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}"""


def test_inventory_set_quantities_requires_the_idempotent_directive(shop: Shop) -> None:
    without_key = SET_QUANTITIES.replace(' @idempotent(key: "%s")', "")
    answer = shop.post(without_key, {"input": set_input(shop, 3, change_from=10)}).json()
    assert answer["errors"] == [
        {
            "message": "The @idempotent directive is required for this mutation but was not provided.",
            "extensions": {"code": "BAD_REQUEST"},
            "path": ["inventorySetQuantities"],
        }
    ]
    assert answer["data"] == {"inventorySetQuantities": None}
    assert shop.available() == 10


def test_the_same_key_and_arguments_apply_once_and_answer_the_same(shop: Shop) -> None:
    first = shop.post(SET_QUANTITIES % "push-1", {"input": set_input(shop, 7, change_from=10)}).json()
    again = shop.post(SET_QUANTITIES % "push-1", {"input": set_input(shop, 7, change_from=10)}).json()
    assert first["data"] == again["data"]
    assert first["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"] == {
        "reason": "correction",
        "referenceDocumentUri": "gid://crossdock/StockSnapshot/846-0001",
        "changes": [
            {"name": "available", "delta": -3, "quantityAfterChange": 7},
            {"name": "on_hand", "delta": -3, "quantityAfterChange": 7},
        ],
    }
    assert shop.available() == 7
    mismatch = shop.post(SET_QUANTITIES % "push-1", {"input": set_input(shop, 5, change_from=7)}).json()
    assert mismatch["data"]["inventorySetQuantities"]["userErrors"] == [
        {
            "field": ["idempotencyKey"],
            "message": "The same idempotency key cannot be used with different operation parameters.",
            "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        }
    ]
    assert shop.available() == 7


def test_a_stale_compare_quantity_changes_nothing(shop: Shop) -> None:
    answer = shop.post(SET_QUANTITIES % "push-2", {"input": set_input(shop, 4, change_from=9)}).json()
    payload = answer["data"]["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    assert [error["code"] for error in payload["userErrors"]] == ["CHANGE_FROM_QUANTITY_STALE"]
    assert payload["userErrors"][0]["field"] == ["input", "quantities", "0", "changeFromQuantity"]
    assert shop.available() == 10


def test_an_invalid_reason_is_a_user_error_listing_the_valid_ones(shop: Shop) -> None:
    answer = shop.post(
        SET_QUANTITIES % "push-3", {"input": set_input(shop, 4, change_from=10, reason="sync")}
    )
    error = answer.json()["data"]["inventorySetQuantities"]["userErrors"][0]
    assert error["code"] == "INVALID_REASON"
    assert error["field"] == ["input", "reason"]
    assert "correction, cycle_count_available, damaged" in error["message"]
    assert shop.available() == 10


def test_more_than_250_quantities_are_refused(shop: Shop) -> None:
    oversized = set_input(shop, 4, change_from=10)
    oversized["quantities"] = oversized["quantities"] * 251
    answer = shop.post(SET_QUANTITIES % "push-4", {"input": oversized}).json()
    assert (
        answer["errors"][0]["message"]
        == "The input array size of 251 is greater than the maximum allowed of 250."
    )
    assert answer["errors"][0]["extensions"] == {"code": "MAX_INPUT_SIZE_EXCEEDED"}
    assert shop.available() == 10


def test_variants_are_paged_and_filtered_by_sku(shop: Shop) -> None:
    query = """query($after: String) {
      productVariants(first: 4, after: $after, query: "sku:STOVE-*") {
        nodes { sku } pageInfo { hasNextPage endCursor }
      }
    }"""
    first = shop.post(query).json()["data"]["productVariants"]
    second = shop.post(query, {"after": first["pageInfo"]["endCursor"]}).json()["data"]["productVariants"]
    assert [node["sku"] for node in first["nodes"] + second["nodes"]] == [f"STOVE-{n}" for n in range(1, 6)]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)
