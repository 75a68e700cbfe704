"""How many points a call will be charged, guessed before it is sent, so that its reservation in the shop's
budget is right.

Shopify charges the *requested* cost up front; it depends on the operation and on the variables that size
it (page sizes, the length of input lists), never on ids or values. So the best estimate is the
``requestedQueryCost`` Shopify reported for the last call of the same operation with the same sizes,
learned from its answers (THROTTLED ones included: they report it too).

An operation never seen by this process is priced with Shopify's published rule, read from the document
alone (no schema needed): an object 1 plus its fields, a scalar 0, a connection 2 plus ``first``/``last``
times one element, a mutation 10 plus what is nested under its payload. Shopify's real charge for a page is
lower than ``first`` times an element (it grows roughly with the logarithm of the page size), so this
over-reserves the first call — the surplus is refunded as soon as it answers — rather than risking a
THROTTLED. It is capped at Shopify's single-query maximum of 1,000 points.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
)

from crossdock.connectors.shopify.operations import Operation

SINGLE_QUERY_MAX_COST = 1000
MUTATION_COST = 10
CONNECTION_COST = 2
# A page size given by a variable the caller left out: Shopify's largest page.
UNKNOWN_PAGE_SIZE = 250
# Fields Shopify never charges for (connection bookkeeping).
FREE_FIELDS = frozenset({"pageInfo"})
PAGE_SIZE_ARGUMENTS = ("first", "last")

CostKey = tuple[str, tuple[tuple[str, Any], ...]]


def cost_key(operation: Operation, variables: Mapping[str, Any]) -> CostKey:
    """What the cost of a call depends on: the operation, the values of the variables used as page sizes,
    and the lengths of the lists in the other variables."""
    page_variables = _page_size_variables(operation)
    shape: list[tuple[str, Any]] = []
    for name in sorted(variables):
        value = variables[name]
        if name in page_variables:
            shape.append((name, value if isinstance(value, int) else None))
        else:
            lengths = tuple(_list_lengths(value))
            if lengths:
                shape.append((name, lengths))
    return operation.name, tuple(shape)


def default_cost(operation: Operation, variables: Mapping[str, Any]) -> int:
    return min(SINGLE_QUERY_MAX_COST, _StaticPricer(operation, variables).operation_cost())


class CostEstimates:
    """The requested cost last seen per cost key, in one process (bounded: the least recently used go)."""

    def __init__(self, limit: int = 4096) -> None:
        self._seen: OrderedDict[CostKey, float] = OrderedDict()
        self._limit = limit

    def estimate(self, operation: Operation, variables: Mapping[str, Any]) -> float:
        key = cost_key(operation, variables)
        seen = self._seen.get(key)
        if seen is None:
            return float(default_cost(operation, variables))
        self._seen.move_to_end(key)
        return seen

    def learn(self, operation: Operation, variables: Mapping[str, Any], requested_cost: float) -> None:
        key = cost_key(operation, variables)
        self._seen[key] = requested_cost
        self._seen.move_to_end(key)
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)


def _list_lengths(value: Any) -> Iterator[int]:
    if isinstance(value, list):
        yield len(value)
        for item in value:
            yield from _list_lengths(item)
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from _list_lengths(value[key])


def _page_size_variables(operation: Operation) -> frozenset[str]:
    known = _PAGE_SIZE_VARIABLES.get((operation.name, operation.text))
    if known is None:
        known = _PAGE_SIZE_VARIABLES[operation.name, operation.text] = _find_page_size_variables(operation)
    return known


_PAGE_SIZE_VARIABLES: dict[tuple[str, str], frozenset[str]] = {}


def _find_page_size_variables(operation: Operation) -> frozenset[str]:
    found: set[str] = set()

    def visit(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                for argument in selection.arguments:
                    if argument.name.value in PAGE_SIZE_ARGUMENTS and isinstance(
                        argument.value, VariableNode
                    ):
                        found.add(argument.value.name.value)
            if isinstance(selection, FieldNode | InlineFragmentNode):
                visit(selection.selection_set)

    for definition in operation.document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            visit(definition.selection_set)
    visit(operation.definition.selection_set)
    return frozenset(found)


class _StaticPricer:
    def __init__(self, operation: Operation, variables: Mapping[str, Any]) -> None:
        self._operation = operation
        self._variables = variables
        self._fragments = {
            definition.name.value: definition
            for definition in operation.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }

    def operation_cost(self) -> int:
        root = self._operation.definition.selection_set
        if self._operation.kind == "mutation":
            # The payload's own fields are free; what is nested under them is charged.
            return sum(
                MUTATION_COST
                + sum(
                    self._selection_cost(inner.selection_set) for inner in self._fields(field.selection_set)
                )
                for field in self._fields(root)
            )
        return self._selection_cost(root)

    def _fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        if selection_set is None:
            return []
        found: list[FieldNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                found.extend(self._fields(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragments.get(selection.name.value)
                found.extend(self._fields(fragment.selection_set if fragment else None))
        return found

    def _selection_cost(self, selection_set: SelectionSetNode | None) -> int:
        return sum(self._field_cost(field) for field in self._fields(selection_set))

    def _field_cost(self, field: FieldNode) -> int:
        if field.selection_set is None or field.name.value in FREE_FIELDS:
            return 0
        page_size = self._page_size(field)
        if page_size is None:
            return 1 + self._selection_cost(field.selection_set)
        per_element = 0
        for child in self._fields(field.selection_set):
            if child.name.value == "nodes":
                per_element += 1 + self._selection_cost(child.selection_set)
            elif child.name.value == "edges":
                for inner in self._fields(child.selection_set):
                    if inner.name.value == "node":
                        per_element += 1 + self._selection_cost(inner.selection_set)
        return CONNECTION_COST + page_size * per_element

    def _page_size(self, field: FieldNode) -> int | None:
        for argument in field.arguments:
            if argument.name.value not in PAGE_SIZE_ARGUMENTS:
                continue
            if isinstance(argument.value, IntValueNode):
                return int(argument.value.value)
            if isinstance(argument.value, VariableNode):
                given = self._variables.get(argument.value.name.value)
                return given if isinstance(given, int) else UNKNOWN_PAGE_SIZE
        return None
