"""The Shopify clients of this process: one ``httpx.AsyncClient`` (one connection pool), one ShopifyClient per
shop, and one background event loop on which they all run.

Job handlers run in the job engine's worker threads and the CLI is synchronous; both call

    run_sync(shop_client(settings, engine, key).execute("OperationName", {...}))

so every worker of a process shares the same client for a shop — the same connection pool, the same learned
query costs — while the rate budget itself is shared with the other processes through the database
(crossdock.connectors.shopify.client explains why). A client from ``shop_client`` belongs to that loop: use it
through ``run_sync``, or from coroutines already running on it.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa

from crossdock.config import Settings
from crossdock.connectors.shopify.budget import DatabaseBudget, budget_key
from crossdock.connectors.shopify.call_log import DatabaseCallRecorder
from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.errors import ShopifyNotConfigured

T = TypeVar("T")

# More than the job engine's default worker concurrency, so that workers do not queue for a connection.
MAX_CONNECTIONS = 64

_ClientKey = tuple[int, str, str, str, str, float, int]


@dataclass
class _ProcessClients:
    pid: int
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    http: httpx.AsyncClient
    # The engine is kept with its client: while the entry lives, the engine's id cannot name another one.
    shops: dict[_ClientKey, tuple[sa.Engine, ShopifyClient]] = field(default_factory=dict)


_lock = threading.Lock()
_current: _ProcessClients | None = None


def _process_clients() -> _ProcessClients:
    """This process's loop and clients, started on first use (and again in a forked child, which inherits
    the parent's objects but not its threads)."""
    global _current
    with _lock:
        if _current is None or _current.pid != os.getpid():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="shopify-clients", daemon=True)
            thread.start()
            http = httpx.AsyncClient(limits=httpx.Limits(max_connections=MAX_CONNECTIONS))
            _current = _ProcessClients(os.getpid(), loop, thread, http)
        return _current


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the process's background loop and wait for its result (or exception)."""
    clients = _process_clients()
    if threading.current_thread() is clients.thread:
        coroutine.close()
        raise RuntimeError("run_sync was called from the Shopify clients' own loop: await the coroutine")
    return asyncio.run_coroutine_threadsafe(coroutine, clients.loop).result()


def shop_client(settings: Settings, engine: sa.Engine, shop_key: str) -> ShopifyClient:
    """The client of the shop ``shop_key`` (its key or domain) in this process, built on first use: its
    budget and call log are in ``engine``'s database."""
    key, shop = settings.shop(shop_key)
    if shop.access_token is None:
        raise ShopifyNotConfigured(f"shops.{key}.access_token is not set")
    token = shop.access_token.get_secret_value()
    timeout = settings.shopify.request_timeout_seconds
    attempts = settings.shopify.max_attempts
    cache_key: _ClientKey = (id(engine), key, shop.domain, shop.base_url, token, timeout, attempts)
    clients = _process_clients()
    with _lock:
        found = clients.shops.get(cache_key)
        if found is None:
            client = ShopifyClient(
                clients.http,
                shop_domain=shop.domain,
                base_url=shop.base_url,
                access_token=token,
                budget=DatabaseBudget(engine, budget_key(shop.domain)),
                recorder=DatabaseCallRecorder(engine, f"shopify:{shop.domain}", account_id=shop.account),
                timeout_seconds=timeout,
                max_attempts=attempts,
            )
            found = clients.shops[cache_key] = (engine, client)
        return found[1]
