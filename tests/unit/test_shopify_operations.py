"""Every GraphQL operation crossdock sends (connectors/shopify/queries/*.graphql) is well formed and valid for
API 2026-07: against Shopify's real schema when ../shared holds it, and always against the sandbox's subset,
so that an operation the sandbox cannot serve is caught on any machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import FragmentDefinitionNode, GraphQLSchema, build_schema, validate

from crossdock.connectors.shopify.cost_estimates import cost_key, default_cost
from crossdock.connectors.shopify.operations import (
    InvalidOperationFile,
    Operation,
    UnknownOperation,
    load_operation,
    operation_names,
    parse_operation,
)
from crossdock.sandbox.shopify.cost import CostCalculator
from crossdock.sandbox.shopify.schema import load_subset_schema

REPO_ROOT = Path(__file__).resolve().parents[2]
QUERIES = REPO_ROOT / "src" / "crossdock" / "connectors" / "shopify" / "queries"
REAL_SDL_PATH = REPO_ROOT.parent / "shared" / "reference" / "shopify" / "admin_2026-07.graphql"
FILES = sorted(QUERIES.glob("*.graphql"))


def problems(schema: GraphQLSchema, operation: Operation) -> list[str]:
    return [error.message for error in validate(schema, operation.document)]


@pytest.fixture(scope="module")
def real_schema() -> GraphQLSchema:
    if not REAL_SDL_PATH.is_file():
        pytest.skip(
            "../shared/reference/shopify/admin_2026-07.graphql is absent: "
            "cannot validate the operations against Shopify's real schema "
            "(the sandbox's subset still checks them)"
        )
    return build_schema(REAL_SDL_PATH.read_text(encoding="utf-8"))  # About 2 s: once per module.


def test_the_folder_holds_the_operations_the_client_needs() -> None:
    assert {"InventoryLevelQuantities", "InventorySetQuantities"} <= {path.stem for path in FILES}
    assert operation_names() == [path.stem for path in FILES]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_each_file_holds_one_operation_named_like_the_file(path: Path) -> None:
    operation = parse_operation(path.stem, path.read_text(encoding="utf-8"))
    assert operation.definition.name is not None
    assert operation.definition.name.value == path.stem
    assert load_operation(path.stem) == operation


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_each_operation_is_valid_for_shopify_2026_07(path: Path, real_schema: GraphQLSchema) -> None:
    assert problems(real_schema, load_operation(path.stem)) == []


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_each_operation_is_served_by_the_sandbox(path: Path) -> None:
    assert problems(load_subset_schema(), load_operation(path.stem)) == []


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_the_default_estimate_never_reserves_less_than_shopify_requests(path: Path) -> None:
    """The first call of an operation is priced before any answer told its cost: it must not fall short, or
    it could overdraw the bucket. The sandbox's calculator reproduces Shopify's figures."""
    operation = load_operation(path.stem)
    fragments = {
        definition.name.value: definition
        for definition in operation.document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    requested = CostCalculator(load_subset_schema()).requested_cost(operation.definition, fragments, {})
    assert default_cost(operation, {}) >= requested


def test_an_unknown_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(
        UnknownOperation, match=r"no GraphQL operation 'NoSuchThing' .*InventoryLevelQuantities"
    ):
        load_operation("NoSuchThing")
    with pytest.raises(UnknownOperation):
        load_operation("../operations")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("query Other { shop { id } }", "names its operation 'Other'; it must be 'Wanted'"),
        ("{ shop { id } }", "names its operation None"),
        ("query Wanted { shop { id } }\nquery Second { shop { id } }", "holds 2 operations"),
        ("subscription Wanted { shop { id } }", "is a subscription"),
        ("query Wanted { shop { id }", "does not parse"),
    ],
)
def test_a_malformed_file_is_refused(text: str, complaint: str) -> None:
    with pytest.raises(InvalidOperationFile, match=complaint):
        parse_operation("Wanted", text)


def test_the_default_estimate_follows_shopifys_published_rule() -> None:
    operation = parse_operation(
        "Page",
        """query Page($first: Int!) {
          products(first: $first) {
            pageInfo { hasNextPage }
            nodes { id variants(first: 3) { nodes { id } } }
          }
          shop { id plan { shopifyPlus } }
        }""",
    )
    # products: 2 + first * (1 + variants: 2 + 3 * 1); shop: 1 + plan 1.
    assert default_cost(operation, {"first": 10}) == 2 + 10 * 6 + 2
    assert default_cost(operation, {}) == 1000  # an unknown page size is priced at 250, capped at the maximum
    mutation = parse_operation(
        "Set",
        """mutation Set { inventorySetQuantities(input: {reason: "x", name: "available", quantities: []}) {
          inventoryAdjustmentGroup { id changes { name } } userErrors { field }
        } }""",
    )
    # The payload's own fields are free: what is charged is `changes`, an object list priced as one object.
    assert default_cost(mutation, {}) == 10 + 1


def test_the_cost_key_keeps_page_sizes_and_list_lengths_only() -> None:
    operation = parse_operation(
        "Page",
        "query Page($first: Int!, $ids: [ID!]!, $q: String) "
        "{ products(first: $first, query: $q) { nodes { id } } nodes(ids: $ids) { id } }",
    )
    one = cost_key(operation, {"first": 10, "ids": ["a", "b"], "q": "x"})
    assert one == cost_key(operation, {"first": 10, "ids": ["c", "d"], "q": "y"})
    assert one != cost_key(operation, {"first": 10, "ids": ["c"], "q": "x"})
    assert one != cost_key(operation, {"first": 11, "ids": ["a", "b"], "q": "x"})
