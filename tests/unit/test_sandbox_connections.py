"""Cursor pagination in the sandbox, forward and backward."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from crossdock.sandbox.shopify.connections import page
from crossdock.sandbox.shopify.idempotency import IdempotencyKeyMismatch, IdempotencyRegistry

ITEMS = list(range(1, 8))


def numbers(**arguments: object) -> dict[str, object]:
    return page(ITEMS, id_of=lambda n: n, sort_value=lambda n: n, render=lambda n: n, **arguments)  # type: ignore[arg-type]


def test_pages_forward_until_the_end() -> None:
    first = numbers(first=3)
    assert first["nodes"] == [1, 2, 3]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]  # type: ignore[index]
    second = numbers(first=3, after=first["pageInfo"]["endCursor"])  # type: ignore[index]
    third = numbers(first=3, after=second["pageInfo"]["endCursor"])  # type: ignore[index]
    assert (second["nodes"], third["nodes"]) == ([4, 5, 6], [7])
    assert not third["pageInfo"]["hasNextPage"]  # type: ignore[index]


def test_pages_backward_and_in_reverse() -> None:
    last = numbers(last=2)
    assert last["nodes"] == [6, 7]
    assert numbers(last=2, before=last["pageInfo"]["startCursor"])["nodes"] == [4, 5]  # type: ignore[index]
    assert numbers(first=2, reverse=True)["nodes"] == [7, 6]


def test_a_page_needs_a_size_within_the_limit() -> None:
    with pytest.raises(GraphQLError, match="first or last"):
        numbers()
    with pytest.raises(GraphQLError, match="between 0 and 250"):
        numbers(first=251)


def test_an_idempotency_key_returns_the_first_result_and_refuses_other_arguments() -> None:
    registry = IdempotencyRegistry()
    assert registry.lookup("k1", "inventorySetQuantities", {"q": 1}) == (False, None)
    registry.remember("k1", "inventorySetQuantities", {"q": 1}, {"group": 42})
    assert registry.lookup("k1", "inventorySetQuantities", {"q": 1}) == (True, {"group": 42})
    with pytest.raises(IdempotencyKeyMismatch):
        registry.lookup("k1", "inventorySetQuantities", {"q": 2})
