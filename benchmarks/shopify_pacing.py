"""How close to Shopify's rate limit does the client run, without being throttled? A burst of inventory reads
against the Shopify sandbox (Standard plan: a 2,000-point bucket restoring 100 points per second), from
concurrent tasks split over clients that stand for separate processes (each its own HTTP client, database
engine and database budget), pacing through the shared budget row.

    .venv/bin/python benchmarks/shopify_pacing.py [--calls 2000] [--concurrency 16] [--clients 2]
        [--operation read|set] [--database-url URL ...]

`--operation read` (the default) sends `InventoryLevelQuantities` (2 points each): so cheap that on a 2-core
machine the client and the sandbox cannot spend 100 points a second, and the share mostly measures CPU.
`--operation set` sends what the hub sends to push stock, `InventorySetQuantities` (10 points, with
`@idempotent` and `changeFromQuantity`), where the restore rate, not the CPU, bounds the run.

The sandbox runs in its own process (`crossdock sandbox shopify`). Prints, per database: calls, THROTTLED
answers (from outbound_calls), elapsed time, points spent (Shopify's actual cost of every call), and the
share of the restore rate achieved = (points spent - initial bucket) / elapsed / restore rate (target
>= 0.9; 1.0 is the limit). That formula assumes the initial bucket is spent at once; where the client and
the sandbox together are slower than that, it measures their speed more than the pacing, so the same share
is also printed for the paced part of the run alone (from the first call the budget held back 50 ms or
more, to the end). Also the cost of one budget transaction and the database commits per call. Without
--database-url it uses a fresh SQLite file; a PostgreSQL URL names a server on which a fresh database is
created for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import sqlalchemy as sa

from crossdock.connectors.shopify.budget import DatabaseBudget, budget_key
from crossdock.connectors.shopify.call_log import DatabaseCallRecorder
from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.seed import generate
from crossdock.sandbox.shopify.views import level_gid
from crossdock.store.engine import create_engine, is_sqlite
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.rate_budgets import BudgetDefaults, RateBudgetRepository
from crossdock.store.schema import outbound_calls

TOKEN = "shpat_benchmark"
DOMAIN = "sandbox.myshopify.com"
TARGET = f"shopify:{DOMAIN}"
SKUS, LOCATIONS = 20, 2
# A call the budget held back this long was paced: from then on, the restore rate bounds the run.
PACED_MS = 50


@contextmanager
def sandbox_process() -> Iterator[tuple[str, list[tuple[str, int, int, int]]]]:
    """`crossdock sandbox shopify` in its own process, as Shopify is on its own machines: in this process it
    would share the interpreter lock with the client. Yields its URL and its inventory levels: (level id,
    inventory item number, location number, available units)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "crossdock.cli", "sandbox", "shopify", "--port", str(port)]
    command += ["--plan", "standard", "--skus", str(SKUS), "--locations", str(LOCATIONS)]
    process = subprocess.Popen(
        [*command, "--access-token", TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:  # the control API: costs no points
                httpx.get(f"{url}/_sandbox/webhooks/deliveries", headers={"X-Shopify-Access-Token": TOKEN})
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.1)
        # The generated shop is deterministic: the same one built here names the same levels, and reading
        # them from the sandbox would spend points before the burst.
        state = generate(SKUS, LOCATIONS)
        levels = [
            (level_gid(item_id, location_id), item_id, location_id, item.levels[location_id].get("available"))
            for item_id, item in sorted(state.inventory_items.items())
            for location_id in sorted(item.levels)
        ]
        yield url, levels
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@contextmanager
def fresh_database(url: str, folder: str) -> Iterator[str]:
    if url == "sqlite":
        yield f"sqlite:///{folder}/bench-{uuid.uuid4().hex[:8]}.db"
        return
    if is_sqlite(url):
        yield url
        return
    server = sa.make_url(url)
    name = f"crossdock_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def transaction_ms(engine: sa.Engine, rounds: int = 200) -> float:
    """One reservation, alone: the database cost a call pays when nothing is grouped."""
    defaults = BudgetDefaults(1e9, 1e9)
    started = time.perf_counter()
    for _ in range(rounds):
        with engine.begin() as connection:
            RateBudgetRepository(connection).reserve("benchmark:overhead", [0.0], defaults)
    return (time.perf_counter() - started) / rounds * 1000


def cost_of(row: Any) -> float:
    return float((row.response_summary or {}).get("actual_cost") or 0)


def burst(url: str, calls: int, concurrency: int, clients: int, operation: str) -> dict[str, float]:
    engines = [create_engine(url) for _ in range(clients)]
    upgrade_to_head(engines[0])
    commits = 0

    def count_commit(_connection: Any) -> None:
        nonlocal commits
        commits += 1

    for engine in engines:
        sa.event.listen(engine, "commit", count_commit)
    try:
        with sandbox_process() as (base_url, levels):

            async def run() -> tuple[float, int]:
                https = [httpx.AsyncClient() for _ in range(clients)]
                shop_clients = [
                    ShopifyClient(
                        http,
                        shop_domain=DOMAIN,
                        base_url=base_url,
                        access_token=TOKEN,
                        budget=DatabaseBudget(engine, budget_key(DOMAIN)),
                        recorder=DatabaseCallRecorder(engine, TARGET),
                        timeout_seconds=30,
                        max_attempts=5,
                    )
                    for http, engine in zip(https, engines, strict=True)
                ]
                queue = iter(range(calls))
                missing = 0
                available = {level: units for level, _, _, units in levels}

                async def read(client: ShopifyClient, n: int) -> None:
                    nonlocal missing
                    level = levels[n % len(levels)][0]
                    data = await client.execute(
                        "InventoryLevelQuantities", {"id": level, "names": ["available"]}
                    )
                    missing += data["inventoryLevel"] is None

                async def set_one(client: ShopifyClient, worker_number: int) -> None:
                    # Each worker owns its own levels, so its compare quantity is always the current one.
                    owned = levels[worker_number::concurrency] or levels[:1]
                    level, item, location, _ = owned[next(counters[worker_number]) % len(owned)]
                    before = available[level]
                    quantity = {
                        "inventoryItemId": f"gid://shopify/InventoryItem/{item}",
                        "locationId": f"gid://shopify/Location/{location}",
                        "quantity": before + 1,
                        "changeFromQuantity": before,
                    }
                    await client.execute(
                        "InventorySetQuantities",
                        {"input": {"name": "available", "reason": "correction", "quantities": [quantity]}},
                        idempotency_key=str(uuid.uuid4()),
                    )
                    available[level] = before + 1

                counters = [itertools.count() for _ in range(concurrency)]

                async def worker(client: ShopifyClient, worker_number: int) -> None:
                    for n in queue:
                        await (set_one(client, worker_number) if operation == "set" else read(client, n))

                started = time.perf_counter()
                await asyncio.gather(*(worker(shop_clients[n % clients], n) for n in range(concurrency)))
                elapsed = time.perf_counter() - started
                for http in https:
                    await http.aclose()
                return elapsed, missing

            elapsed, missing = asyncio.run(run())
        overhead = transaction_ms(engines[0])
        with engines[0].connect() as connection:
            rows = list(connection.execute(sa.select(outbound_calls).order_by(outbound_calls.c.started_at)))
        spent = sum(cost_of(row) for row in rows)
        restore_rate, bucket = PLANS["standard"].restore_rate, PLANS["standard"].bucket_size
        paced = [row for row in rows if row.request_summary["paced_ms"] >= PACED_MS]
        paced_share = float("nan")
        if paced:
            window = (rows[-1].finished_at - paced[0].started_at).total_seconds()
            in_window = sum(cost_of(row) for row in rows if row.started_at >= paced[0].started_at)
            paced_share = in_window / window / restore_rate
        return {
            "calls": sum(row.status == "succeeded" for row in rows),
            "attempts": len(rows),
            "throttled": sum(row.error == "THROTTLED" for row in rows),
            "missing": missing,
            "elapsed": elapsed,
            "points": spent,
            "bucket": bucket,
            "restore_rate": restore_rate,
            "share": (spent - bucket) / elapsed / restore_rate,
            "paced_share": paced_share,
            "paced_calls": len(paced),
            "commits_per_call": commits / max(1, len(rows)),
            "transaction_ms": overhead,
        }
    finally:
        for engine in engines:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--clients", type=int, default=2, help="clients standing for separate processes")
    parser.add_argument("--operation", choices=["read", "set"], default="read")
    parser.add_argument("--database-url", action="append", default=None)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for given in options.database_url or ["sqlite"]:
            with fresh_database(given, folder) as url:
                result = burst(url, options.calls, options.concurrency, options.clients, options.operation)
            print(
                f"{sa.make_url(url).get_backend_name():<10} {options.operation} calls {result['calls']:.0f} "
                f"({result['attempts']:.0f} attempts, {result['missing']:.0f} without data)  "
                f"throttled {result['throttled']:.0f}  elapsed {result['elapsed']:.1f} s  "
                f"points spent {result['points']:.0f} (bucket {result['bucket']:.0f}, "
                f"restore {result['restore_rate']:.0f}/s)  "
                f"share of restore rate {result['share']:.3f}  "
                f"(once paced: {result['paced_share']:.3f} over {result['paced_calls']:.0f} paced calls)  "
                f"commits/call {result['commits_per_call']:.2f}  "
                f"one budget transaction {result['transaction_ms']:.2f} ms"
            )


if __name__ == "__main__":
    main()
