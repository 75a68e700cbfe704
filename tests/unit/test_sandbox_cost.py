"""Requested query cost in the sandbox, on the schema it serves. The figures follow Shopify's published
rules; Shopify's live responses charge large connection pages less (see crossdock.sandbox.shopify.cost)."""

from __future__ import annotations

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from crossdock.sandbox.shopify.cost import CostCalculator
from crossdock.sandbox.shopify.schema import load_subset_schema


def requested_cost(query: str, variables: dict[str, object] | None = None) -> int:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return CostCalculator(load_subset_schema()).requested_cost(operation, fragments, variables or {})


def test_scalars_cost_nothing_and_an_object_one() -> None:
    assert requested_cost("{ shop { id name myshopifyDomain } }") == 1


def test_a_connection_costs_two_plus_its_page_times_one_element() -> None:
    assert requested_cost("{ products(first: 10) { edges { node { id title } } } }") == 2 + 10 * 1
    assert requested_cost("{ products(first: 10) { nodes { id } pageInfo { hasNextPage } } }") == 12


def test_nested_connections_multiply_and_the_page_size_may_come_from_a_variable() -> None:
    query = """
      query($pageSize: Int!) {
        products(first: $pageSize) { edges { node { title variants(first: 5) { nodes { sku } } } } }
      }"""
    assert requested_cost(query, {"pageSize": 10}) == 2 + 10 * (1 + 2 + 5 * 1)


def test_fragments_count_like_the_fields_they_hold() -> None:
    query = """
      { productVariants(first: 3) { nodes { ...v } } }
      fragment v on ProductVariant { sku inventoryItem { id } }"""
    assert requested_cost(query) == 2 + 3 * (1 + 1)


def test_a_mutation_costs_ten_plus_its_selection() -> None:
    query = 'mutation { tagsAdd(id: "gid://shopify/Order/1", tags: ["a"]) { userErrors { message } } }'
    assert requested_cost(query) == 10 + 1
