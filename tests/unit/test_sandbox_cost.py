"""Query cost in the sandbox. Where the reference schema is present, the figures Shopify itself returned
for real queries (public captures, cited in crossdock.sandbox.shopify.cost) are reproduced exactly."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, GraphQLSchema, OperationDefinitionNode, build_schema, parse

from crossdock.sandbox.shopify.cost import CostCalculator, page_size_factor
from crossdock.sandbox.shopify.schema import load_subset_schema

REAL_SCHEMA = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "shopify" / "admin_2026-07.graphql"
)


def cost_of(
    schema: GraphQLSchema, query: str, variables: dict[str, Any] | None = None, data: Any = None
) -> int:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    calculator = CostCalculator(schema)
    if data is not None:
        return calculator.actual_cost(operation, fragments, variables or {}, data)
    return calculator.requested_cost(operation, fragments, variables or {})


def test_pages_are_charged_on_a_logarithmic_scale() -> None:
    assert [page_size_factor(n) for n in (0, 1, 2, 3, 5, 10, 250)] == [0, 1, 1, 2, 3, 4, 11]


def test_the_sandbox_schema_is_charged_by_the_same_rule() -> None:
    schema = load_subset_schema()
    assert cost_of(schema, "{ shop { id name myshopifyDomain } }") == 1
    assert cost_of(schema, "{ products(first: 10) { nodes { id } pageInfo { hasNextPage } } }") == 2 + 4 * 1
    assert cost_of(schema, "{ products(first: 10) { edges { cursor node { id } } } }") == 2 + 4 * 1
    nested = "query($n: Int!) { products(first: $n) { nodes { variants(first: 5) { nodes { sku } } } } }"
    assert cost_of(schema, nested, {"n": 10}) == 2 + 4 * (1 + 2 + 3 * 1)
    fragment = (
        "{ productVariants(first: 3) { nodes { ...v } } }"
        " fragment v on ProductVariant { inventoryItem { id } }"
    )
    assert cost_of(schema, fragment) == 2 + 2 * (1 + 1)


def test_a_mutation_costs_ten_plus_what_is_nested_under_its_payload() -> None:
    schema = load_subset_schema()
    flat = (
        'mutation { tagsAdd(id: "gid://shopify/Order/1", tags: ["x"]) { node { id } userErrors { field } } }'
    )
    assert cost_of(schema, flat) == 10
    nested = """mutation($input: InventorySetQuantitiesInput!) {
      inventorySetQuantities(input: $input) @idempotent(key: "k") {
        inventoryAdjustmentGroup { id changes { name delta } } userErrors { code }
      }
    }"""
    assert cost_of(schema, nested) == 10 + 1


def test_the_actual_cost_charges_pages_for_what_they_hold() -> None:
    schema = load_subset_schema()
    query = "{ products(first: 250) { nodes { id } } }"
    assert cost_of(schema, query) == 13
    six_products = {"products": {"nodes": [{"id": str(n)} for n in range(6)]}}
    assert cost_of(schema, query, data=six_products) == 2 + 3 * 1
    assert (
        cost_of(
            schema,
            '{ product(id: "gid://shopify/Product/1") { variants(first: 250) { nodes { id } } } }',
            data={"product": None},
        )
        == 1
    )


@cache
def real_schema() -> GraphQLSchema:
    return build_schema(REAL_SCHEMA.read_text(), assume_valid=True)


# Live answers of Shopify (requested cost), from public captures of real responses.
SHOPIFY_ANSWERS = [
    (
        "query($id: ID!) { product(id: $id) {"
        " variants(first: 250) { nodes { inventoryItem { id tracked } } } } }",
        25,
    ),
    ("{ collections(first: 250) { edges { node { id title handle updatedAt sortOrder } } } }", 13),
    ("{ shop { currencyCode } locations(first: 1) { nodes { id name isActive } } }", 4),
    (
        "{ a: products(first: 10) { nodes { title totalInventory } }"
        " b: products(first: 1) { nodes { id } pageInfo { hasNextPage } } }",
        9,
    ),
    (
        "{ a: orders(first: 10) { nodes { email totalPriceSet { shopMoney { amount currencyCode } } } }"
        " b: orders(first: 1) { nodes { id } pageInfo { hasNextPage } } }",
        9,
    ),
    (
        "{ a: segments(first: 3) { nodes { name } } b: segments(first: 3) { nodes { name } }"
        " c: segments(first: 3) { nodes { name } pageInfo { hasNextPage } } }",
        12,
    ),
    (
        'mutation { orderCancel(orderId: "gid://shopify/Order/1", reason: CUSTOMER, refund: false,'
        " restock: true) { job { id done } userErrors { field message } } }",
        10,
    ),
]


@pytest.mark.parametrize(("query", "shopify_charged"), SHOPIFY_ANSWERS)
def test_shopifys_own_figures_are_reproduced(query: str, shopify_charged: int) -> None:
    if not REAL_SCHEMA.exists():
        pytest.skip(
            "../shared/reference/shopify/admin_2026-07.graphql is absent: cannot cost Shopify's queries"
        )
    assert cost_of(real_schema(), query) == shopify_charged
