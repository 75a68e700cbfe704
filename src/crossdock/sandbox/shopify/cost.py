"""Requested query cost, computed statically from the operation before it runs (Shopify's published rules):
scalars and enums cost 0, an object 1, an interface or union the most expensive of its possible selections,
a connection 2 plus its page size times the cost of one element, a mutation 10 plus its selection.

The page size a connection is charged for is ``connection_size(first or last)``. Shopify's own responses
charge large pages far less than ``first`` elements (for example ``product { variants(first: 250) { nodes {
inventoryItem { id tracked } } } }`` is charged 25, a page of 250 cheap nodes 13): the function is kept apart
so it can match those observations exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast,
)

MUTATION_COST = 10
CONNECTION_OVERHEAD = 2

ConnectionSize = Callable[[int], int]


def published_connection_size(page_size: int) -> int:
    return page_size


@dataclass(frozen=True)
class CostCalculator:
    schema: GraphQLSchema
    connection_size: ConnectionSize = published_connection_size

    def requested_cost(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> int:
        root = (
            self.schema.mutation_type if operation.operation.value == "mutation" else self.schema.query_type
        )
        assert root is not None
        walker = _Walker(self, fragments, variables)
        if operation.operation.value == "mutation":
            return sum(
                MUTATION_COST + walker.children_cost(field, root)
                for field in walker.fields_of(operation.selection_set, root)
            )
        return walker.selection_cost(operation.selection_set, root)


class _Walker:
    def __init__(
        self,
        calculator: CostCalculator,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._calculator = calculator
        self._fragments = fragments
        self._variables = variables

    def fields_of(self, selection_set: SelectionSetNode | None, parent: Any) -> list[FieldNode]:
        """The fields selected on ``parent``, fragments flattened (those whose type condition applies)."""
        if selection_set is None:
            return []
        found: list[FieldNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                found.extend(self.fields_of(selection.selection_set, parent))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragments[selection.name.value]
                found.extend(self.fields_of(fragment.selection_set, parent))
        return found

    def selection_cost(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if isinstance(parent, GraphQLInterfaceType | GraphQLUnionType):
            possible = self._calculator.schema.get_possible_types(parent)
            return max((self._object_selection_cost(selection_set, kind) for kind in possible), default=0)
        return self._object_selection_cost(selection_set, parent)

    def _object_selection_cost(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        total = 0
        for field in self.fields_of(selection_set, parent):
            if field.name.value.startswith("__"):
                continue
            definition = parent.fields.get(field.name.value) if hasattr(parent, "fields") else None
            if definition is None:  # a field of another member of an interface or union
                continue
            total += self.field_cost(field, definition.type)
        return total

    def field_cost(self, field: FieldNode, field_type: GraphQLOutputType) -> int:
        named = _unwrap(field_type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 0
        if named.name.endswith("Connection"):
            page = self._page_size(field)
            element = self._connection_element_cost(field, named)
            return CONNECTION_OVERHEAD + self._calculator.connection_size(page) * element
        return 1 + self.selection_cost(field.selection_set, named)

    def children_cost(self, field: FieldNode, parent: GraphQLObjectType) -> int:
        definition = parent.fields[field.name.value]
        named = _unwrap(definition.type)
        return self.selection_cost(field.selection_set, named) if field.selection_set else 0

    def _connection_element_cost(self, field: FieldNode, connection: Any) -> int:
        """What one element of a page costs: its node (through ``edges { node }`` or ``nodes``)."""
        cost = 0
        for selected in self.fields_of(field.selection_set, connection):
            name = selected.name.value
            if name == "nodes":
                node_type = _unwrap(connection.fields["nodes"].type)
                cost = max(cost, 1 + self.selection_cost(selected.selection_set, node_type))
            elif name == "edges":
                edge_type = _unwrap(connection.fields[name].type)
                for inner in self.fields_of(selected.selection_set, edge_type):
                    if inner.name.value == "node":
                        node_type = _unwrap(edge_type.fields["node"].type)
                        cost = max(cost, 1 + self.selection_cost(inner.selection_set, node_type))
        return cost

    def _page_size(self, field: FieldNode) -> int:
        for argument in field.arguments:
            if argument.name.value in ("first", "last"):
                value = value_from_ast(argument.value, GraphQLInt, dict(self._variables))
                if isinstance(value, int):
                    return value
        return 0


def _unwrap(kind: Any) -> Any:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind
