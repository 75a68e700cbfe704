"""Stock to Shopify: (a) how fast the hub pushes a large batch of SKU x location changes against a Standard
plan (a 2,000-point bucket restoring 100 points per second), and (b) how long a warehouse's 947 adjustment
takes to show in Shopify, end to end.

    .venv/bin/python benchmarks/inventory_push.py [--part a|b|both] [--changes 100000] [--adjustments 200]

(a) Push throughput. The Shopify sandbox runs in its own process (`crossdock sandbox shopify --plan standard
--skus ⌈N/4⌉ --locations 4`), served over real HTTP. The hub's real path: N rows in `shopify_stock_levels`
of a fresh, migrated SQLite database, written by `StockRepository.want(...)`, each level's known `available`
seeded with `set_known` (what the sandbox holds, so no level has to be read before its compare-and-swap),
then `stock_push.push_due(...)` with the client `shop_client` builds from Settings loaded from a written
crossdock.toml (`[shops.bench]` pointing `api_url` at the sandbox, the token in the environment). Prints
the levels pushed, the `InventorySetQuantities` calls made against the target ⌈N/250⌉ and the read calls
(apart), THROTTLED answers (target <= 1), elapsed, the points spent (Shopify's actual cost of each call, from
`outbound_calls`) per second as a share of the restore rate measured in the same run (target >= 0.9), and
the time the plan's budget mathematically needs for those points (all of them at the restore rate; and
past the initial bucket, which is spent at once) against the elapsed time. Seeding is not timed.

(b) 947 to Shopify latency. The hub in-process with both sandboxes, as `tests.support.order_world` wires
them for the end-to-end tests (SFTP and HTTP on loopback; the hub polls the 3PL every second), the
warehouse feeding the Shopify location. After an 846 snapshot, M adjustments of -1 at the 3PL on alternating
SKUs, one at a time; each is timed from the moment its 947 file lands in the SFTP `/out` folder (the
sandbox's files_written log) to the moment the Shopify sandbox's level shows the new value (polled every
5 ms). Prints p50, p95 and max (target p95 < 5 s) and, as the baseline, the X12 poll interval (1 s) that the
latency cannot beat on average: p95 / poll interval.
"""

from __future__ import annotations

import argparse
import functools
import math
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from crossdock.config import load_settings
from crossdock.connectors.shopify.clients import shop_client
from crossdock.connectors.shopify.stock_push import BATCH_SIZE, READ_OPERATION, SET_OPERATION, push_due
from crossdock.sandbox.shopify.ids import gid
from crossdock.sandbox.shopify.plans import PLANS, PlanName
from crossdock.sandbox.shopify.seed import DEFAULT_DOMAIN, generate
from crossdock.store.engine import create_engine
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.schema import outbound_calls
from crossdock.store.shops import DeclaredShop
from crossdock.store.unit_of_work import UnitOfWork

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN = "shpat_inventory_push_benchmark"
SHOP_KEY = "bench"
LOCATIONS = 4
UNITS = 100  # every level's available in the generated sandbox shop
PLAN: PlanName = "standard"
# Part (b): the hub's X12 poll interval in tests.support.order_world, and the SKUs adjusted in turn.
X12_POLL_SECONDS = 1.0
ADJUSTED_SKUS = ("TENT-2P", "TENT-3P", "STOVE-1")
POLL_SECONDS = 0.005
# A call the budget held back this long was paced: from then on, the restore rate bounds the run.
PACED_MS = 50


# -- (a) push throughput ------------------------------------------------------------------------------------


@contextmanager
def sandbox_process(skus: int) -> Iterator[str]:
    """`crossdock sandbox shopify` in its own process, as Shopify is on its own machines (in this process it
    would share the interpreter lock with the hub). Yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "crossdock.cli", "sandbox", "shopify", "--port", str(port)]
    command += ["--plan", PLAN, "--skus", str(skus), "--locations", str(LOCATIONS), "--access-token", TOKEN]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:  # the control API: costs no points
                httpx.get(f"{url}/_sandbox/webhooks/deliveries", headers={"X-Shopify-Access-Token": TOKEN})
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def sandbox_levels(skus: int, changes: int) -> list[tuple[str, str, str]]:
    """(SKU, location GID, inventory item GID) of the first ``changes`` levels of the sandbox's shop. The
    generated shop is deterministic: the same one built here names the same ids, and reading them from the
    sandbox would spend points."""
    state = generate(skus, LOCATIONS, units=UNITS)
    levels = []
    for variant in sorted(state.variants.values(), key=lambda variant: variant.sku):
        item = state.inventory_items[variant.inventory_item_id]
        for location_id in sorted(item.levels):
            levels.append((variant.sku, gid("Location", location_id), gid("InventoryItem", item.id)))
    return levels[:changes]


def cost_of(row: Any) -> float:
    return float((row.response_summary or {}).get("actual_cost") or 0)


def push_throughput(changes: int, folder: Path) -> None:
    skus = math.ceil(changes / LOCATIONS)
    plan = PLANS[PLAN]
    database_url = f"sqlite:///{folder / 'push.db'}"
    engine = create_engine(database_url)
    upgrade_to_head(engine)
    try:
        with sandbox_process(skus) as url:
            config = folder / "crossdock.toml"
            config.write_text(
                "\n".join(
                    [
                        "[log]",
                        'level = "warning"',
                        "",
                        "[[accounts]]",
                        'id = "bench"',
                        'name = "Benchmark"',
                        "",
                        f"[shops.{SHOP_KEY}]",
                        f'domain = "{DEFAULT_DOMAIN}"',
                        'account = "bench"',
                        f'api_url = "{url}"',
                        "",
                    ]
                ),
                encoding="utf-8",
            )
            environ = {
                "CROSSDOCK_DATABASE_URL": database_url,
                f"CROSSDOCK_SHOPS__{SHOP_KEY.upper()}__ACCESS_TOKEN": TOKEN,
            }
            settings = load_settings(config, environ=environ)

            started = time.perf_counter()
            levels = sandbox_levels(skus, changes)
            with UnitOfWork(engine) as uow:
                uow.accounts.ensure([("bench", "Benchmark")])
                uow.shops.ensure([DeclaredShop(SHOP_KEY, DEFAULT_DOMAIN, "bench")])
                uow.commit()
            with UnitOfWork(engine) as uow:
                shop = uow.shops.by_domain(DEFAULT_DOMAIN)
            assert shop is not None
            with UnitOfWork(engine) as uow:
                for index, (sku, location, item) in enumerate(levels):
                    uow.stock.want(
                        shop_id=shop.id,
                        location_id=location,
                        inventory_item_id=item,
                        sku=sku,
                        wanted=UNITS + 1 + index % 37,
                        reason=f"846 from BENCH for {sku}",
                    )
                    uow.stock.set_known(shop.id, location, item, UNITS, pushed=False)
                uow.commit()
            seeded = time.perf_counter() - started

            client = shop_client(settings, engine, SHOP_KEY)
            started = time.perf_counter()
            summary = push_due(lambda: UnitOfWork(engine), client, shop)
            elapsed = time.perf_counter() - started
        with UnitOfWork(engine) as uow:
            still_due = len(uow.stock.due(shop.id, limit=changes))
        with engine.connect() as connection:
            rows = list(connection.execute(sa.select(outbound_calls).order_by(outbound_calls.c.id)))
    finally:
        engine.dispose()

    set_rows = [row for row in rows if row.operation == SET_OPERATION]
    read_rows = [row for row in rows if row.operation == READ_OPERATION]
    succeeded_sets = sum(row.status == "succeeded" for row in set_rows)
    throttled = sum(row.error == "THROTTLED" for row in rows)
    points = sum(cost_of(row) for row in rows)
    target_calls = math.ceil(changes / BATCH_SIZE)
    restore, bucket = plan.restore_rate, plan.bucket_size
    needed = points / restore
    needed_past_bucket = max(0.0, points - bucket) / restore
    share = points / elapsed / restore
    share_past_bucket = max(0.0, points - bucket) / elapsed / restore
    in_calls = sum(row.duration_ms or 0.0 for row in rows) / 1000
    held_back = sum((row.request_summary or {}).get("paced_ms", 0.0) for row in rows) / 1000
    paced = [row for row in rows if (row.request_summary or {}).get("paced_ms", 0.0) >= PACED_MS]
    paced_share = float("nan")  # never held back: the restore rate did not bound the run
    if paced:
        window = (rows[-1].finished_at - paced[0].started_at).total_seconds()
        in_window = sum(cost_of(row) for row in rows if row.started_at >= paced[0].started_at)
        paced_share = in_window / window / restore

    print(
        f"(a) push throughput: {plan.display_name} plan ('{PLAN}', restore {restore:g} points/s, "
        f"bucket {bucket:,.0f})"
    )
    print(
        f"    levels             {summary['pushed']:,} pushed of {changes:,} "
        f"({skus:,} SKUs x {LOCATIONS} locations), {still_due} still due; seeding (not timed) {seeded:.1f} s"
    )
    print(
        f"    set calls          {len(set_rows)} ({succeeded_sets} succeeded; "
        f"target ⌈n/250⌉ = {target_calls})   read calls {len(read_rows)} "
        "(known available seeded with set_known: no read needed)"
    )
    print(f"    THROTTLED answers  {throttled} (target <= 1)")
    print(
        f"    elapsed            {elapsed:.2f} s   ({len(set_rows) / elapsed:.2f} calls/s, "
        f"{changes / elapsed:,.0f} levels/s)"
    )
    print(
        f"    points spent       {points:,.0f} ({points / max(1, len(rows)):.1f} per call)   "
        f"{points / elapsed:.1f} points/s"
    )
    print(
        f"    points/s ÷ restore rate (the baseline, {restore:g}/s)   {share:.3f} (target >= 0.9)   "
        f"past the initial bucket: {share_past_bucket:.3f}"
    )
    print(
        f"    once paced         {paced_share:.3f} of the restore rate, from the first call the budget held "
        f"back >= {PACED_MS} ms to the end ({len(paced)} such calls)"
    )
    print(
        f"    where the time went: {in_calls:.1f} s in HTTP calls, "
        f"{held_back:.1f} s held back by the budget, "
        f"{elapsed - in_calls - held_back:.1f} s the hub's own work (due(), recording, call log)"
    )
    print(
        f"    budget needs       {needed:.1f} s for {points:,.0f} points at {restore:g}/s "
        f"({needed_past_bucket:.1f} s past the {bucket:,.0f}-point bucket)   "
        f"elapsed / needed {elapsed / needed:.2f}"
        + (f" (past the bucket: {elapsed / needed_past_bucket:.2f})" if needed_past_bucket else "")
    )


# -- (b) 947 to Shopify latency -----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL_SECONDS)


def adjustment_latency(adjustments: int, folder: Path) -> None:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.support.order_world import World, open_world

    def shopify_available(world: World, sku: str) -> int | None:
        state = world.shop.state
        variant = state.variant_by_sku(sku)
        assert variant is not None
        (location,) = state.locations.values()
        level = state.level(variant.inventory_item_id, location.id)
        return None if level is None else level.as_dict().get("available")

    def showing(world: World, sku: str, units: int) -> Callable[[], bool]:
        return lambda: shopify_available(world, sku) == units

    def files_written(world: World) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = world.loop.call(lambda: world.site.describe()["files_written"])
        return found

    stock = adjustments // len(ADJUSTED_SKUS) + 100
    latencies: list[float] = []
    started = time.perf_counter()
    with open_world(folder, f"sqlite:///{folder / 'hub.db'}", shopify_locations=True) as world:

        def snapshot() -> None:
            for sku in ADJUSTED_SKUS:
                world.site.simulation.set_stock(sku, stock)
            world.site.simulation.snapshot_now()

        world.loop.call(snapshot)
        for sku in ADJUSTED_SKUS:
            wait_until(showing(world, sku, stock), f"Shopify to show the 846 ({sku})")
        expected = dict.fromkeys(ADJUSTED_SKUS, stock)
        last_name = max((record["name"] for record in files_written(world)), default="")
        for number in range(adjustments):
            sku = ADJUSTED_SKUS[number % len(ADJUSTED_SKUS)]
            world.loop.call(functools.partial(world.site.simulation.adjust, sku, -1, "damaged"))
            expected[sku] -= 1
            wait_until(
                showing(world, sku, expected[sku]),
                f"Shopify to show {expected[sku]} x {sku} (adjustment {number + 1})",
            )
            shown = datetime.now(UTC)
            records = [record for record in files_written(world) if record["name"] > last_name]
            landed = [record for record in records if record["name"].startswith("947_")]
            if not landed:
                raise RuntimeError(f"no 947 file was written for adjustment {number + 1}")
            last_name = max(record["name"] for record in records)
            latencies.append((shown - datetime.fromisoformat(landed[0]["at"])).total_seconds())
    wall = time.perf_counter() - started

    p50, p95 = percentile(latencies, 0.50), percentile(latencies, 0.95)
    print(
        f"(b) 947 to Shopify latency: {len(latencies)} adjustments of -1 "
        f"on {', '.join(ADJUSTED_SKUS)} in turn"
    )
    print(
        f"    from the 947 landing in /out to Shopify's level showing it   p50 {p50:.3f} s   "
        f"p95 {p95:.3f} s (target < 5 s)   max {max(latencies):.3f} s   "
        f"mean {statistics.fmean(latencies):.3f} s   min {min(latencies):.3f} s"
    )
    print(
        f"    baseline: the X12 poll interval {X12_POLL_SECONDS:g} s   p95 / poll interval "
        f"{p95 / X12_POLL_SECONDS:.2f}   p50 / poll interval {p50 / X12_POLL_SECONDS:.2f}   "
        f"(whole part, set-up included: {wall:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["a", "b", "both"], default="both")
    parser.add_argument("--changes", type=int, default=100_000, help="SKU x location changes to push (a)")
    parser.add_argument("--adjustments", type=int, default=200, help="947 adjustments to time (b)")
    options = parser.parse_args()
    if options.part in ("a", "both"):
        with tempfile.TemporaryDirectory() as folder:
            push_throughput(options.changes, Path(folder))
    if options.part in ("b", "both"):
        with tempfile.TemporaryDirectory() as folder:
            adjustment_latency(options.adjustments, Path(folder))


if __name__ == "__main__":
    main()
