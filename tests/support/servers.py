"""Serving an ASGI app on a real port in a background thread, for tests that must speak real HTTP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from tests.support.waiting import wait_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[str]:
    """Yield the base URL of ``app`` served by uvicorn on 127.0.0.1 (on ``port``, or a free one) until the
    block ends."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, name=f"test-server-{port}", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=15, what="the test server to start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


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
