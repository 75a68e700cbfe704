"""The sandbox's Shopify schema is a faithful subset of Shopify's Admin API 2026-07.

The subset is always built. The comparison with Shopify's real schema needs the reference SDL in
../shared, which product machines do not have: those tests skip without it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    specified_directives,
)

from crossdock.sandbox.shopify.schema import SUBSET_SDL_PATH, load_subset_schema

REPO_ROOT = Path(__file__).resolve().parents[2]
REAL_SDL_PATH = REPO_ROOT.parent / "shared" / "reference" / "shopify" / "admin_2026-07.graphql"
TOOL_PATH = REPO_ROOT / "tools" / "shopify_schema_subset.py"
SELECTION_PATH = SUBSET_SDL_PATH.with_name("selection.toml")

QUERY_ROOT_FIELDS = {
    "shop",
    "location",
    "locations",
    "product",
    "products",
    "productVariant",
    "productVariants",
    "inventoryItem",
    "inventoryItems",
    "inventoryLevel",
    "order",
    "orders",
    "fulfillmentOrder",
    "assignedFulfillmentOrders",
    "fulfillmentOrders",
    "return",
    "webhookSubscription",
    "webhookSubscriptions",
    "node",
    "nodes",
}
MUTATION_FIELDS = {
    "inventorySetQuantities",
    "inventoryAdjustQuantities",
    "fulfillmentCreate",
    "fulfillmentTrackingInfoUpdate",
    "fulfillmentOrderAcceptFulfillmentRequest",
    "fulfillmentOrderRejectFulfillmentRequest",
    "fulfillmentOrderAcceptCancellationRequest",
    "fulfillmentOrderRejectCancellationRequest",
    "fulfillmentOrderHold",
    "fulfillmentOrderReleaseHold",
    "fulfillmentOrderSubmitFulfillmentRequest",
    "fulfillmentOrderSubmitCancellationRequest",
    "orderCancel",
    "tagsAdd",
    "tagsRemove",
    "metafieldsSet",
    "webhookSubscriptionCreate",
    "webhookSubscriptionDelete",
    "fulfillmentServiceCreate",
    "returnCreate",
    "returnRequest",
    "returnApproveRequest",
    "returnDeclineRequest",
    "returnClose",
    "returnReopen",
}


def named_types(schema: GraphQLSchema) -> dict[str, GraphQLNamedType]:
    """The schema's own types, without introspection's."""
    return {name: type_ for name, type_ in schema.type_map.items() if not name.startswith("__")}


def describe_arguments(arguments: dict[str, GraphQLArgument]) -> list[tuple[str, str, Any, str | None]]:
    return [
        (name, str(argument.type), argument.default_value, argument.deprecation_reason)
        for name, argument in arguments.items()
    ]


def describe_field(field: GraphQLField) -> tuple[str, list[tuple[str, str, Any, str | None]], str | None]:
    return str(field.type), describe_arguments(field.args), field.deprecation_reason


def describe_input_field(field: GraphQLInputField) -> tuple[str, Any, str | None]:
    return str(field.type), field.default_value, field.deprecation_reason


# --- The subset on its own: needs nothing outside the repository --------------------------------------------


def test_the_subset_schema_builds_and_serves_the_root_fields() -> None:
    schema = load_subset_schema()

    assert schema.query_type is not None and schema.query_type.name == "QueryRoot"
    assert schema.mutation_type is not None and schema.mutation_type.name == "Mutation"
    assert sorted(QUERY_ROOT_FIELDS - schema.query_type.fields.keys()) == []
    assert sorted(MUTATION_FIELDS - schema.mutation_type.fields.keys()) == []
    assert load_subset_schema() is schema  # Built once per process.


def test_node_returns_only_the_kept_implementations() -> None:
    schema = load_subset_schema()
    node = schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)

    implementations = {type_.name for type_ in schema.get_implementations(node).objects}

    assert {"Order", "FulfillmentOrder", "InventoryItem", "Location"} <= implementations
    assert "Customer" not in schema.type_map  # Not selected, although Shopify's Customer is a Node.


# --- The tool's rules, on a toy schema ----------------------------------------------------------------------

TOY_REAL_SDL = """# Shopify Admin GraphQL 2099-01
schema { query: QueryRoot }
directive @idempotent(key: String!) on FIELD
directive @accessRestricted(reason: String = null) on FIELD_DEFINITION | OBJECT
interface Node { id: ID! }
type QueryRoot {
  node(id: ID!): Node
  order(id: ID!): Order
  search(filter: SearchFilter = {limit: 10}): [SearchResult!]!
}
type Order implements Node { id: ID! name: String! customer: Customer total: Float }
type Customer implements Node { id: ID! email: String }
union SearchResult = Order | Customer
input SearchFilter { limit: Int = 5 status: Status nested: SearchFilter }
enum Status { OPEN CLOSED @deprecated(reason: "Use OPEN.") }
"""


@pytest.fixture(scope="module")
def subset_tool() -> Iterator[ModuleType]:
    # tools/ is not a package: load the script as a module.
    spec = importlib.util.spec_from_file_location("shopify_schema_subset", TOOL_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created.
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def toy_subset_problems(subset_tool: ModuleType, selection: dict[str, list[str]]) -> list[str]:
    with pytest.raises(subset_tool.SubsetError) as raised:
        subset_tool.build_subset_sdl(TOY_REAL_SDL, selection)
    return list(raised.value.problems)


def test_the_tool_pulls_inputs_and_enums_whole_and_keeps_only_selected_union_members(
    subset_tool: ModuleType,
) -> None:
    selection = {"QueryRoot": ["search", "order"], "Order": ["name", "id"], "Node": ["id"]}

    sdl, schema = subset_tool.build_subset_sdl(TOY_REAL_SDL, selection)

    assert sdl.startswith("# Generated by tools/shopify_schema_subset.py from Shopify Admin API 2099-01;")
    assert "union SearchResult = Order\n" in sdl
    assert "input SearchFilter {\n  limit: Int = 5\n  status: Status\n  nested: SearchFilter\n}" in sdl
    assert 'CLOSED @deprecated(reason: "Use OPEN.")' in sdl
    assert "search(filter: SearchFilter = {limit: 10}): [SearchResult!]!" in sdl
    assert "type Order implements Node {\n  id: ID!\n  name: String!\n}" in sdl  # The real field order.
    assert "directive @idempotent(key: String!) on FIELD" in sdl
    assert "accessRestricted" not in sdl
    assert "Customer" not in schema.type_map


def test_the_tool_names_a_referenced_type_missing_from_the_selection(subset_tool: ModuleType) -> None:
    selection = {"QueryRoot": ["order"], "Order": ["id", "customer"]}

    assert toy_subset_problems(subset_tool, selection) == [
        "Customer (the type of Order.customer) is not in the selection"
    ]


def test_the_tool_refuses_a_union_without_selected_members(subset_tool: ModuleType) -> None:
    problems = toy_subset_problems(subset_tool, {"QueryRoot": ["search"]})

    assert problems == [
        "SearchResult (the type of QueryRoot.search) is a union of which no member is selected: "
        "select at least one of Order, Customer"
    ]


def test_the_tool_requires_the_kept_fields_of_kept_interfaces(subset_tool: ModuleType) -> None:
    selection = {"QueryRoot": ["node"], "Node": ["id"], "Order": ["name"]}

    assert toy_subset_problems(subset_tool, selection) == [
        "Order implements Node but does not keep its field(s) id"
    ]


def test_the_tool_refuses_unknown_and_unreachable_selections(subset_tool: ModuleType) -> None:
    selection = {"QueryRoot": ["order", "orders"], "Order": ["id"], "Customer": ["email"], "Status": []}

    assert toy_subset_problems(subset_tool, selection) == [
        "QueryRoot: no field orders in the real schema",
        "Status: is an enum; only objects and interfaces are selected "
        "(input objects, enums, scalars and unions follow from the fields that use them)",
    ]
    assert toy_subset_problems(
        subset_tool, {"QueryRoot": ["order"], "Order": ["id"], "Customer": ["id"]}
    ) == ["Customer: selected but reached from no root field, argument or interface"]


# --- The subset against Shopify's real schema ---------------------------------------------------------------


@pytest.fixture(scope="module")
def real_schema() -> GraphQLSchema:
    if not REAL_SDL_PATH.is_file():
        pytest.skip(
            "../shared/reference/shopify/admin_2026-07.graphql is absent: "
            "cannot compare the sandbox schema with Shopify's"
        )
    return build_schema(REAL_SDL_PATH.read_text(encoding="utf-8"))  # About 2 s: once per module.


@pytest.fixture(scope="module")
def subset_schema() -> GraphQLSchema:
    return load_subset_schema()


def test_every_type_exists_in_the_real_schema_with_the_same_kind(
    subset_schema: GraphQLSchema, real_schema: GraphQLSchema
) -> None:
    real_types = named_types(real_schema)
    mismatches = []
    for name, type_ in named_types(subset_schema).items():
        real_type = real_types.get(name)
        if real_type is None:
            mismatches.append(f"{name}: not in the real schema")
        elif type(real_type) is not type(type_):
            mismatches.append(f"{name}: {type(type_).__name__} here, {type(real_type).__name__} in Shopify's")
    assert mismatches == []


def test_the_roots_are_the_real_roots(subset_schema: GraphQLSchema, real_schema: GraphQLSchema) -> None:
    assert subset_schema.query_type is not None and real_schema.query_type is not None
    assert subset_schema.mutation_type is not None and real_schema.mutation_type is not None
    assert subset_schema.query_type.name == real_schema.query_type.name
    assert subset_schema.mutation_type.name == real_schema.mutation_type.name
    assert subset_schema.subscription_type is None


def test_every_field_has_the_real_type_arguments_and_deprecation(
    subset_schema: GraphQLSchema, real_schema: GraphQLSchema
) -> None:
    mismatches = []
    for name, type_ in named_types(subset_schema).items():
        real_type = real_schema.get_type(name)
        if not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            continue
        assert isinstance(real_type, GraphQLObjectType | GraphQLInterfaceType), name
        for field_name, field in type_.fields.items():
            real_field = real_type.fields.get(field_name)
            if real_field is None:
                mismatches.append(f"{name}.{field_name}: not in the real schema")
            elif (here := describe_field(field)) != (real := describe_field(real_field)):
                mismatches.append(f"{name}.{field_name}: {here} here, {real} in Shopify's")
    assert mismatches == []


def test_every_input_object_is_whole_and_identical(
    subset_schema: GraphQLSchema, real_schema: GraphQLSchema
) -> None:
    mismatches = []
    for name, type_ in named_types(subset_schema).items():
        real_type = real_schema.get_type(name)
        if not isinstance(type_, GraphQLInputObjectType):
            continue
        assert isinstance(real_type, GraphQLInputObjectType), name
        here = {field_name: describe_input_field(field) for field_name, field in type_.fields.items()}
        real = {field_name: describe_input_field(field) for field_name, field in real_type.fields.items()}
        if list(here.items()) != list(real.items()):
            mismatches.append(f"{name}: {here} here, {real} in Shopify's")
    assert mismatches == []


def test_every_enum_is_whole(subset_schema: GraphQLSchema, real_schema: GraphQLSchema) -> None:
    mismatches = []
    for name, type_ in named_types(subset_schema).items():
        real_type = real_schema.get_type(name)
        if not isinstance(type_, GraphQLEnumType):
            continue
        assert isinstance(real_type, GraphQLEnumType), name
        here = {value_name: value.deprecation_reason for value_name, value in type_.values.items()}
        real = {value_name: value.deprecation_reason for value_name, value in real_type.values.items()}
        if here != real:
            redeprecated = sorted(value for value in here.keys() & real.keys() if here[value] != real[value])
            mismatches.append(
                f"{name}: only here {sorted(here.keys() - real.keys())}, "
                f"only in Shopify's {sorted(real.keys() - here.keys())}, "
                f"deprecations differ for {redeprecated}"
            )
    assert mismatches == []


def test_every_implemented_interface_is_implemented_in_the_real_schema(
    subset_schema: GraphQLSchema, real_schema: GraphQLSchema
) -> None:
    mismatches = []
    for name, type_ in named_types(subset_schema).items():
        real_type = real_schema.get_type(name)
        if not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            continue
        assert isinstance(real_type, GraphQLObjectType | GraphQLInterfaceType), name
        real_interfaces = {interface.name for interface in real_type.interfaces}
        for interface in type_.interfaces:
            if interface.name not in real_interfaces:
                mismatches.append(f"{name} implements {interface.name} here, not in Shopify's")
    assert mismatches == []


def test_every_union_member_is_a_real_member(
    subset_schema: GraphQLSchema, real_schema: GraphQLSchema
) -> None:
    mismatches = []
    for name, type_ in named_types(subset_schema).items():
        real_type = real_schema.get_type(name)
        if not isinstance(type_, GraphQLUnionType):
            continue
        assert isinstance(real_type, GraphQLUnionType), name
        real_members = {member.name for member in real_type.types}
        mismatches += [
            f"{name}: member {member.name} is not in Shopify's"
            for member in type_.types
            if member.name not in real_members
        ]
    assert mismatches == []


def test_the_idempotent_directive_is_shopifys_and_the_only_custom_one(
    subset_schema: GraphQLSchema, real_schema: GraphQLSchema
) -> None:
    here = subset_schema.get_directive("idempotent")
    real = real_schema.get_directive("idempotent")
    assert here is not None and real is not None

    assert describe_arguments(here.args) == describe_arguments(real.args)
    assert list(here.locations) == list(real.locations)
    assert here.is_repeatable == real.is_repeatable
    built_in_directives = {directive.name for directive in specified_directives}
    custom_directives = {directive.name for directive in subset_schema.directives} - built_in_directives
    assert custom_directives == {"idempotent"}


def test_the_tool_reproduces_the_committed_subset(tmp_path: Path) -> None:
    if not REAL_SDL_PATH.is_file():
        pytest.skip(
            "../shared/reference/shopify/admin_2026-07.graphql is absent: "
            "cannot regenerate the sandbox schema from Shopify's"
        )
    out_path = tmp_path / "subset.graphql"

    command = [
        sys.executable,
        str(TOOL_PATH),
        "--real",
        str(REAL_SDL_PATH),
        "--selection",
        str(SELECTION_PATH),
    ]
    completed = subprocess.run(
        [*command, "--out", str(out_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert out_path.read_bytes() == SUBSET_SDL_PATH.read_bytes(), (
        "the committed subset is stale: run .venv/bin/python tools/shopify_schema_subset.py"
    )
