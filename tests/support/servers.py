"""Serving an ASGI app on a real port in a background thread, for tests that must speak real HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from crossdock.scenarios.serving import free_port, serving

__all__ = ["free_port", "graphql_data", "serving"]


SANDBOX_ENDPOINT = "/admin/api/2026-07/graphql.json"


def graphql_data(url: str, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``data`` of a sandbox answer, failing the test on any HTTP or GraphQL error."""
    response = httpx.post(
        url + SANDBOX_ENDPOINT,
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token},
        timeout=10,
    )
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    assert "errors" not in answer, answer["errors"]
    data: dict[str, Any] = answer["data"]
    return data
