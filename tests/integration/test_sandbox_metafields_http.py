"""metafieldsSet in the sandbox over HTTP: written all together or not at all, read back on the owner."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.ids import gid
from crossdock.sandbox.shopify.orders import place_order
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.seed import generate
from tests.support.servers import serving

TOKEN = "shpat_metafields"
SET = """mutation($fields: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $fields) {
  metafields { namespace key type value compareDigest } userErrors { field message code elementIndex } } }"""


@pytest.fixture
def shop() -> Iterator[tuple[Any, str]]:
    state = generate(2, 1)
    order = place_order(state, [("SKU-000001", 1)])
    sandbox = ShopifySandbox(state, PLANS["standard"])
    with serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url:

        def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            return httpx.post(
                f"{url}/admin/api/2026-07/graphql.json",
                json={"query": query, "variables": variables},
                headers={"X-Shopify-Access-Token": TOKEN},
                timeout=10,
            ).json()

        yield post, gid("Order", order.id)
    sandbox.webhooks.stop()


def field(owner: str, value: str, **extra: Any) -> dict[str, Any]:
    return {
        "ownerId": owner,
        "namespace": "crossdock",
        "key": "status",
        "type": "single_line_text_field",
        "value": value,
        **extra,
    }


def test_a_metafield_is_written_read_back_and_guarded_by_its_digest(shop: tuple[Any, str]) -> None:
    post, order_id = shop
    written = post(SET, {"fields": [field(order_id, "in_preparation")]})["data"]["metafieldsSet"]
    assert written["userErrors"] == []
    digest = written["metafields"][0]["compareDigest"]
    read = post(
        'query($id: ID!) { order(id: $id) { metafield(namespace: "crossdock", key: "status") { value } } }',
        {"id": order_id},
    )
    assert read["data"]["order"]["metafield"] == {"value": "in_preparation"}
    updated = post(SET, {"fields": [field(order_id, "shipped", compareDigest=digest)]})["data"][
        "metafieldsSet"
    ]
    assert updated["userErrors"] == [] and updated["metafields"][0]["value"] == "shipped"
    stale = post(SET, {"fields": [field(order_id, "cancelled", compareDigest=digest)]})["data"][
        "metafieldsSet"
    ]
    assert [error["code"] for error in stale["userErrors"]] == ["STALE_OBJECT"]
    read = post(
        'query($id: ID!) { order(id: $id) { metafield(namespace: "crossdock", key: "status") { value } } }',
        {"id": order_id},
    )
    assert read["data"]["order"]["metafield"] == {"value": "shipped"}


def test_one_bad_metafield_refuses_the_whole_call(shop: tuple[Any, str]) -> None:
    post, order_id = shop
    answer = post(
        SET,
        {
            "fields": [
                field(order_id, "ok"),
                {
                    "ownerId": order_id,
                    "namespace": "crossdock",
                    "key": "payload",
                    "type": "json",
                    "value": "{not json",
                },
            ]
        },
    )["data"]["metafieldsSet"]
    assert answer["metafields"] is None
    assert answer["userErrors"] == [
        {
            "field": ["metafields", "1", "value"],
            "message": "Value must be valid JSON.",
            "code": "INVALID_VALUE",
            "elementIndex": 1,
        }
    ]
    read = post(
        'query($id: ID!) { order(id: $id) { metafield(namespace: "crossdock", key: "status") { value } } }',
        {"id": order_id},
    )
    assert read["data"]["order"]["metafield"] is None
    too_many = post(SET, {"fields": [field(order_id, str(n)) for n in range(26)]})["data"]["metafieldsSet"]
    assert [error["code"] for error in too_many["userErrors"]] == ["LESS_THAN_OR_EQUAL_TO"]
