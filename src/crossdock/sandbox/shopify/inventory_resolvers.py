"""Resolvers of ``inventorySetQuantities`` and ``inventoryAdjustQuantities``: validate everything, apply all
or nothing, record an adjustment group, and honour the ``@idempotent`` key."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema, GraphQLString, value_from_ast
from graphql.language import FieldNode

from crossdock.sandbox.shopify import events
from crossdock.sandbox.shopify.idempotency import IdempotencyKeyMismatch
from crossdock.sandbox.shopify.ids import number_of
from crossdock.sandbox.shopify.inventory_mutations import (
    AdjustmentGroup,
    RequestedChange,
    UserError,
    apply_adjust,
    apply_set,
    validate_adjust,
    validate_set,
)
from crossdock.sandbox.shopify.shop_state import ShopState
from crossdock.sandbox.shopify.views import View, adjustment_group_view

MAX_INPUT_SIZE = 250
# Mutations that Shopify refuses without @idempotent from API version 2026-04 on.
IDEMPOTENT_REQUIRED = frozenset({"inventorySetQuantities", "inventoryAdjustQuantities", "refundCreate"})


def idempotency_key(field: FieldNode, variables: dict[str, Any]) -> str | None:
    for directive in field.directives:
        if directive.name.value == "idempotent":
            for argument in directive.arguments:
                if argument.name.value == "key":
                    value = value_from_ast(argument.value, GraphQLString, variables)
                    return str(value) if value is not None else None
    return None


def _requested(lines: list[dict[str, Any]], value_key: str) -> list[RequestedChange]:
    return [
        RequestedChange(
            inventory_item_id=number_of(line["inventoryItemId"], "InventoryItem"),
            location_id=number_of(line["locationId"], "Location"),
            value=int(line[value_key]),
            change_from_quantity=line.get("changeFromQuantity"),
            change_from_given="changeFromQuantity" in line,
        )
        for line in lines
    ]


def _exists(state: ShopState):  # type: ignore[no-untyped-def]
    return lambda change: (
        change.inventory_item_id in state.inventory_items,
        change.location_id in state.locations,
    )


def _payload(state: ShopState, group: AdjustmentGroup | None, errors: list[UserError]) -> View:
    return {
        "inventoryAdjustmentGroup": None if group is None else adjustment_group_view(state, group),
        "userErrors": [error.to_json() for error in errors],
    }


def _record(info: GraphQLResolveInfo, reason: str, uri: str | None, changes: list[Any]) -> AdjustmentGroup:
    sandbox = info.context
    state: ShopState = sandbox.state
    group = AdjustmentGroup(state.next_id(), state.clock(), reason, uri, changes)
    state.adjustment_groups[group.id] = group
    touched = sorted({(change.inventory_item_id, change.location_id) for change in changes})
    for inventory_item_id, location_id in touched:
        state.touch_level(inventory_item_id, location_id)
        # Shopify reports every change of a level, the app's own writes included: the hub must recognise
        # its echoes.
        events.inventory_level_changed(sandbox, inventory_item_id, location_id)
    return group


def _with_idempotency(info: GraphQLResolveInfo, mutation: str, arguments: dict[str, Any], run: Any) -> View:
    """Run the mutation once per key: a repeat returns the first outcome, applying nothing again."""
    sandbox = info.context
    state: ShopState = sandbox.state
    key = idempotency_key(info.field_nodes[0], info.variable_values)
    assert key is not None  # the request pipeline refuses these mutations without a key
    try:
        seen, first_group_id = sandbox.idempotency.lookup(key, mutation, arguments)
    except IdempotencyKeyMismatch:
        return _payload(
            state,
            None,
            [
                UserError(
                    ["idempotencyKey"],
                    "The same idempotency key cannot be used with different operation parameters.",
                    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                )
            ],
        )
    if seen:
        group = state.adjustment_groups.get(first_group_id) if first_group_id is not None else None
        return _payload(state, group, [])
    group, errors = run()
    if not errors:
        sandbox.idempotency.remember(key, mutation, arguments, group.id if group else None)
    return _payload(state, group, errors)


def resolve_inventory_set_quantities(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> View:
    state: ShopState = info.context.state

    def run() -> tuple[AdjustmentGroup | None, list[UserError]]:
        lines = _requested(input["quantities"], "quantity")
        errors = validate_set(input["reason"], input["name"], lines, state.level, _exists(state))
        if errors:
            return None, errors
        changes = apply_set(input["name"], lines, state.level)
        return _record(info, input["reason"], input.get("referenceDocumentUri"), changes), []

    return _with_idempotency(info, "inventorySetQuantities", {"input": input}, run)


def resolve_inventory_adjust_quantities(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> View:
    state: ShopState = info.context.state

    def run() -> tuple[AdjustmentGroup | None, list[UserError]]:
        lines = _requested(input["changes"], "delta")
        errors = validate_adjust(input["reason"], input["name"], lines, state.level, _exists(state))
        if errors:
            return None, errors
        changes = apply_adjust(input["name"], lines, state.level)
        return _record(info, input["reason"], input.get("referenceDocumentUri"), changes), []

    return _with_idempotency(info, "inventoryAdjustQuantities", {"input": input}, run)


MUTATION_RESOLVERS = {
    "inventorySetQuantities": resolve_inventory_set_quantities,
    "inventoryAdjustQuantities": resolve_inventory_adjust_quantities,
}


def install_mutation_resolvers(schema: GraphQLSchema) -> None:
    assert schema.mutation_type is not None
    for name, resolver in MUTATION_RESOLVERS.items():
        schema.mutation_type.fields[name].resolve = resolver
