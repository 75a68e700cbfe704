"""Query cost as Shopify charges it: the requested cost, computed from the operation before it runs, and the
actual cost, computed from what the answer holds.

Shopify publishes the outline (scalars and enums 0, objects 1, connections sized by ``first``/``last``,
mutations 10) and keeps the exact formulas closed. The rule below reproduces every live figure we could
find (25 of them, API 2025-01 and later, in public captures of real responses):

- a connection costs 2 + f(n) * the cost of one element, with n = ``first`` or ``last`` and
  f(n) = ⌊2·ln(max(n, 2))⌋ — logarithmic, as Shopify's staff describe it (f(10) = 4, f(250) = 11);
- one element is 1 plus its selection, whether read through ``nodes`` or ``edges { node }`` (both count when
  both are selected); ``pageInfo`` and ``cursor`` cost nothing;
- an object costs 1 plus its selection, except money and addresses, which cost only their selection; a
  plain list of objects costs like one object (no multiplier); an interface or union costs its most
  expensive possible selection;
- a mutation costs 10 plus what is nested under its payload's fields (the payload's own fields are free).

Known gaps: f is measured at n = 1, 2, 3, 5, 10 and 250 only; some mutations add a cost per input item.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast,
)

MUTATION_COST = 10
CONNECTION_COST = 2
# Objects Shopify charges nothing for themselves (their fields still count).
FREE_OBJECTS = frozenset({"MoneyBag", "MoneyV2", "MailingAddress", "PageInfo"})


def page_size_factor(page_size: int) -> int:
    """How many elements a page of ``page_size`` is charged for."""
    if page_size <= 0:
        return 0
    return math.floor(2 * math.log(max(page_size, 2)))


def _unwrap(kind: Any) -> Any:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind


def _is_composite(kind: Any) -> bool:
    return isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)


def _is_connection(kind: Any) -> bool:
    return (
        isinstance(kind, GraphQLObjectType) and kind.name.endswith("Connection") and "pageInfo" in kind.fields
    )


@dataclass(frozen=True)
class CostCalculator:
    schema: GraphQLSchema

    def requested_cost(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> int:
        return self._walker(fragments, variables).operation_cost(operation, data=None)

    def actual_cost(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        data: Mapping[str, Any] | None,
    ) -> int:
        """The same rule applied to the answer: pages are charged for what they hold, and an object that came
        back null costs only itself."""
        if operation.operation.value == "mutation":
            return self.requested_cost(operation, fragments, variables)
        return self._walker(fragments, variables).operation_cost(operation, data=data or {})

    def _walker(
        self, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any]
    ) -> _Walker:
        return _Walker(self.schema, fragments, dict(variables))


_NO_DATA: Any = object()  # computing the requested cost: no answer to look at


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables

    def operation_cost(self, operation: OperationDefinitionNode, data: Mapping[str, Any] | None) -> int:
        source: Any = _NO_DATA if data is None else data
        if operation.operation.value == "mutation":
            root = self._schema.mutation_type
            total = 0
            for field in self._fields(operation.selection_set, root):
                payload = _unwrap(root.fields[field.name.value].type) if root else None
                # The payload's own fields are free; what is nested under them is charged.
                for payload_field in self._fields(field.selection_set, payload):
                    definition = payload.fields.get(payload_field.name.value) if payload else None
                    if definition is not None:
                        total += self._selection_cost(
                            payload_field.selection_set, _unwrap(definition.type), _NO_DATA
                        )
                total += MUTATION_COST
            return total
        return self._selection_cost(operation.selection_set, self._schema.query_type, source)

    def _fields(self, selection_set: SelectionSetNode | None, parent: Any) -> list[FieldNode]:
        """Fields selected on ``parent``, fragments flattened."""
        if selection_set is None:
            return []
        found: list[FieldNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                found.extend(self._fields(selection.selection_set, parent))
            elif isinstance(selection, FragmentSpreadNode):
                found.extend(self._fields(self._fragments[selection.name.value].selection_set, parent))
        return found

    def _selection_cost(self, selection_set: SelectionSetNode | None, parent: Any, value: Any) -> int:
        if selection_set is None or not _is_composite(parent):
            return 0
        if isinstance(parent, GraphQLInterfaceType | GraphQLUnionType):
            possible = self._schema.get_possible_types(parent)
            return max((self._object_cost(selection_set, kind, value) for kind in possible), default=0)
        return self._object_cost(selection_set, parent, value)

    def _object_cost(self, selection_set: SelectionSetNode, parent: GraphQLObjectType, value: Any) -> int:
        total = 0
        for field in self._fields(selection_set, parent):
            definition = parent.fields.get(field.name.value)
            if definition is None:  # __typename, or a field of another member of an interface
                continue
            key = field.alias.value if field.alias else field.name.value
            child = _NO_DATA if value is _NO_DATA else (value.get(key) if isinstance(value, dict) else None)
            total += self._field_cost(field, _unwrap(definition.type), child)
        return total

    def _field_cost(self, field: FieldNode, kind: Any, value: Any) -> int:
        if not _is_composite(kind):
            return 0
        if _is_connection(kind):
            return self._connection_cost(field, kind, value)
        own = 0 if kind.name in FREE_OBJECTS else 1
        if value is None:  # looked up, came back empty
            return own
        if isinstance(value, list):  # a plain list costs like one of its elements
            return own + max(
                (self._selection_cost(field.selection_set, kind, item) for item in value), default=0
            )
        return own + self._selection_cost(field.selection_set, kind, value)

    def _connection_cost(self, field: FieldNode, connection: GraphQLObjectType, value: Any) -> int:
        if value is _NO_DATA:
            elements = self._requested_page_size(field)
        elif value is None:
            return CONNECTION_COST
        else:
            listed = value.get("nodes") or value.get("edges") or []
            elements = len(listed)
        per_element = 0
        for selected in self._fields(field.selection_set, connection):
            if selected.name.value == "nodes":
                node_type = _unwrap(connection.fields["nodes"].type)
                per_element += 1 + self._selection_cost(selected.selection_set, node_type, _NO_DATA)
            elif selected.name.value == "edges":
                edge_type = _unwrap(connection.fields["edges"].type)
                for inner in self._fields(selected.selection_set, edge_type):
                    if inner.name.value == "node":
                        node_type = _unwrap(edge_type.fields["node"].type)
                        per_element += 1 + self._selection_cost(inner.selection_set, node_type, _NO_DATA)
        return CONNECTION_COST + page_size_factor(elements) * per_element

    def _requested_page_size(self, field: FieldNode) -> int:
        for argument in field.arguments:
            if argument.name.value in ("first", "last"):
                size = value_from_ast(argument.value, GraphQLInt, self._variables)
                if isinstance(size, int):
                    return size
        return 0
