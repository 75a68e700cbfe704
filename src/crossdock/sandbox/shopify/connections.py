"""Relay connections as Shopify serves them: ``first``/``after`` forward, ``last``/``before`` backward,
``reverse``, opaque cursors, ``edges``, ``nodes`` and ``pageInfo``; a page holds at most 250 items."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from graphql import GraphQLError

T = TypeVar("T")
MAX_PAGE_SIZE = 250


def encode_cursor(position_key: Any, item_id: int) -> str:
    payload = json.dumps({"last_id": item_id, "last_value": str(position_key)})
    return base64.b64encode(payload.encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        return int(json.loads(base64.b64decode(cursor.encode()))["last_id"])
    except (ValueError, KeyError, TypeError) as error:
        raise GraphQLError("Invalid cursor for current pagination sort.") from error


def page(
    items: Sequence[T],
    *,
    id_of: Callable[[T], int],
    sort_value: Callable[[T], Any],
    render: Callable[[T], Any],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
) -> dict[str, Any]:
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
            raise GraphQLError(f"The value of the argument `{name}` must be between 0 and {MAX_PAGE_SIZE}.")
    ordered = sorted(items, key=lambda item: (sort_value(item), id_of(item)), reverse=reverse)
    ids = [id_of(item) for item in ordered]
    start, end = 0, len(ordered)
    if after is not None:
        after_id = decode_cursor(after)
        start = ids.index(after_id) + 1 if after_id in ids else len(ids)
    if before is not None:
        before_id = decode_cursor(before)
        end = ids.index(before_id) if before_id in ids else end
    window = ordered[start:end]
    if first is not None:
        window = window[:first]
    if last is not None:
        window = window[-last:] if last else []
    window_start = ordered.index(window[0]) if window else start
    window_end = window_start + len(window)
    edges = [
        {"cursor": encode_cursor(sort_value(item), id_of(item)), "node": render(item)} for item in window
    ]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": window_end < len(ordered),
            "hasPreviousPage": window_start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
