"""Walking a Shopify connection page by page (cursor paging: `pageInfo { hasNextPage endCursor }`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol


class GraphQLExecutor(Protocol):
    """What the connector's flows need of a shop's Admin API client."""

    async def execute(self, operation: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]: ...


async def pages(
    client: GraphQLExecutor, operation: str, connection: str, variables: Mapping[str, Any] | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield the `nodes` of each page of the top-level field `connection` until the last page."""
    after: str | None = None
    while True:
        data = await client.execute(operation, {**(variables or {}), "after": after})
        page = data[connection]
        yield list(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


async def all_nodes(
    client: GraphQLExecutor, operation: str, connection: str, variables: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    return [node async for page in pages(client, operation, connection, variables) for node in page]
