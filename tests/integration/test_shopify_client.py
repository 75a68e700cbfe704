"""The Shopify client against the Shopify sandbox over HTTP, pacing through the database budget and recording
in ``outbound_calls`` — including the burst: 2,000 calls from two "processes" sharing one shop's bucket
without a single THROTTLED answer."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from crossdock.config import load_settings
from crossdock.connectors.shopify import clients as shop_clients
from crossdock.connectors.shopify.budget import DatabaseBudget, budget_key
from crossdock.connectors.shopify.call_log import DatabaseCallRecorder
from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.errors import ShopifyAuthError, ShopifyUserErrors
from crossdock.connectors.shopify.operations import UnknownOperation
from crossdock.hub import prepare_database
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.server import SandboxSettings, build_sandbox
from crossdock.sandbox.shopify.views import level_gid
from crossdock.store.engine import create_engine
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.rate_budgets import BudgetDefaults, RateBudgetRepository
from crossdock.store.schema import outbound_calls
from tests.conftest import write_config
from tests.support.servers import SANDBOX_ENDPOINT, serving

TOKEN = "shpat_client_test"
DOMAIN = "sandbox.myshopify.com"
TARGET = f"shopify:{DOMAIN}"


@dataclass
class ObservedSandbox:
    """The sandbox, served, with a count of the THROTTLED answers it gave (its own side of the story)."""

    sandbox: ShopifySandbox
    url: str
    throttled: int = 0
    answered: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, answer: dict[str, Any]) -> None:
        codes = [(error.get("extensions") or {}).get("code") for error in answer.get("errors") or []]
        with self._lock:
            self.answered += 1
            self.throttled += "THROTTLED" in codes

    def levels(self) -> list[str]:
        state = self.sandbox.state
        return [
            level_gid(item_id, location_id)
            for item_id, item in sorted(state.inventory_items.items())
            for location_id in sorted(item.levels)
        ]


@pytest.fixture
def shop() -> Iterator[ObservedSandbox]:
    sandbox = build_sandbox(SandboxSettings(plan="standard", access_token=TOKEN))
    observed = ObservedSandbox(sandbox, url="")
    handle = sandbox.handle

    def counting_handle(body: Any) -> tuple[int, dict[str, Any]]:
        status, answer = handle(body)
        observed.count(answer)
        return status, answer

    sandbox.handle = counting_handle  # type: ignore[method-assign]
    with serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url:
        observed.url = url
        yield observed


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def shop_client(http: httpx.AsyncClient, url: str, engine: sa.Engine, token: str = TOKEN) -> ShopifyClient:
    return ShopifyClient(
        http,
        shop_domain=DOMAIN,
        base_url=url,
        access_token=token,
        budget=DatabaseBudget(engine, budget_key(DOMAIN)),
        recorder=DatabaseCallRecorder(engine, TARGET),
        timeout_seconds=10,
        max_attempts=5,
    )


def recorded_calls(engine: sa.Engine) -> list[sa.Row[Any]]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(outbound_calls).order_by(outbound_calls.c.id)))


def read_level(client: ShopifyClient, level: str) -> Any:
    return client.execute("InventoryLevelQuantities", {"id": level, "names": ["available", "on_hand"]})


def test_a_querys_cost_lands_in_outbound_calls_and_the_budget_learns_the_plan(
    shop: ObservedSandbox, engine: sa.Engine
) -> None:
    level = shop.levels()[0]

    async def call() -> Any:
        async with httpx.AsyncClient() as http:
            return await read_level(shop_client(http, shop.url, engine), level)

    data = asyncio.run(call())

    assert data["inventoryLevel"]["id"] == level
    assert {q["name"]: q["quantity"] for q in data["inventoryLevel"]["quantities"]} == {
        "available": 100,
        "on_hand": 100,
    }
    (row,) = recorded_calls(engine)
    assert (row.target, row.operation, row.attempt, row.status) == (
        TARGET,
        "InventoryLevelQuantities",
        1,
        "succeeded",
    )
    assert row.request_summary["variables"] == {"id": level, "names": ["available", "on_hand"]}
    assert row.response_summary["requested_cost"] == 2
    assert row.response_summary["actual_cost"] == 2
    assert row.response_summary["throttle_status"]["maximumAvailable"] == 2000
    assert row.response_summary["throttle_status"]["restoreRate"] == 100
    assert row.duration_ms > 0 and row.finished_at is not None
    with engine.connect() as connection:
        bucket = RateBudgetRepository(connection).get(budget_key(DOMAIN))
    assert bucket is not None and (bucket.capacity, bucket.restore_rate) == (2000, 100)


def test_concurrent_reservations_share_transactions_and_are_served_in_order(engine: sa.Engine) -> None:
    waits: list[float] = []

    async def remember(seconds: float) -> None:
        waits.append(seconds)

    budget = DatabaseBudget(engine, budget_key(DOMAIN), sleep=remember)
    commits = 0

    def count_commit(_connection: Any) -> None:
        nonlocal commits
        commits += 1

    sa.event.listen(engine, "commit", count_commit)

    async def reserve_all() -> list[float]:
        return list(await asyncio.gather(*(budget.reserve(100) for _ in range(40))))

    granted = asyncio.run(reserve_all())

    # 4,000 points from a full 2,000-point bucket: the first twenty go at once (all but the last, whose
    # margin the bucket lacks), the others queue, each 1 s (100 points) behind the one before.
    assert granted == sorted(granted)
    assert granted[:19] == [0.0] * 19
    assert granted[-1] == pytest.approx(20 + 0.25, abs=1.0)  # less the refill while they queued
    assert [wait for wait in granted if wait > 0] == waits
    assert commits < 40
    with engine.connect() as connection:
        bucket = RateBudgetRepository(connection).get(budget_key(DOMAIN))
    assert bucket is not None and bucket.available == pytest.approx(-2000, abs=100)


def test_a_mutations_user_errors_are_raised_with_their_codes(
    shop: ObservedSandbox, engine: sa.Engine
) -> None:
    item_id, item = next(iter(shop.sandbox.state.inventory_items.items()))
    location_id = next(iter(item.levels))
    variables = {
        "input": {
            "reason": "because-i-said-so",
            "name": "available",
            "quantities": [
                {
                    "inventoryItemId": f"gid://shopify/InventoryItem/{item_id}",
                    "locationId": f"gid://shopify/Location/{location_id}",
                    "quantity": 7,
                    "changeFromQuantity": None,
                }
            ],
        }
    }

    async def call() -> Any:
        async with httpx.AsyncClient() as http:
            client = shop_client(http, shop.url, engine)
            return await client.execute("InventorySetQuantities", variables, idempotency_key="set-1")

    with pytest.raises(ShopifyUserErrors) as raised:
        asyncio.run(call())

    assert raised.value.codes == ["INVALID_REASON"]
    assert raised.value.errors[0].field == ["input", "reason"]
    (row,) = recorded_calls(engine)
    assert (row.idempotency_key, row.status) == ("set-1", "fatal_error")
    assert row.response_summary["user_errors"][0]["code"] == "INVALID_REASON"
    assert item.levels[location_id].as_dict()["available"] == 100  # nothing applied


def test_a_bad_token_raises_an_auth_error_without_retry(shop: ObservedSandbox, engine: sa.Engine) -> None:
    async def call() -> Any:
        async with httpx.AsyncClient() as http:
            return await read_level(
                shop_client(http, shop.url, engine, token="shpat_wrong"), shop.levels()[0]
            )

    with pytest.raises(ShopifyAuthError, match="HTTP 401"):
        asyncio.run(call())

    assert [(row.status, row.error) for row in recorded_calls(engine)] == [("fatal_error", "HTTP 401")]


def test_synchronous_callers_share_one_client_per_shop_through_run_sync(
    shop: ObservedSandbox, tmp_path: Path, database_url: str
) -> None:
    """What job handlers (worker threads) and the CLI do: run_sync(shop_client(settings, engine, key)
    .execute(...)), configured like production, on the process's own loop."""
    config = write_config(tmp_path)
    with config.open("a") as file:
        file.write(f'\n[shops.acme-main]\ndomain = "{DOMAIN}"\naccount = "acme"\napi_url = "{shop.url}"\n')
    settings = load_settings(
        config,
        environ={"CROSSDOCK_DATABASE_URL": database_url, "CROSSDOCK_SHOPS__ACME_MAIN__ACCESS_TOKEN": TOKEN},
    )
    engine = prepare_database(settings)
    levels = shop.levels()[:8]

    def read(level: str) -> Any:
        client = shop_clients.shop_client(settings, engine, "acme-main")
        return shop_clients.run_sync(
            client.execute("InventoryLevelQuantities", {"id": level, "names": ["available"]})
        )

    try:
        with ThreadPoolExecutor(max_workers=8) as workers:
            answers = list(workers.map(read, levels))
        same_client = shop_clients.shop_client(settings, engine, "acme-main")
        assert same_client is shop_clients.shop_client(settings, engine, DOMAIN)
        with pytest.raises(UnknownOperation):
            shop_clients.run_sync(same_client.execute("NoSuchOperation"))

        async def nested() -> Any:
            return shop_clients.run_sync(read_level(same_client, levels[0]))

        with pytest.raises(RuntimeError, match="await the coroutine"):
            shop_clients.run_sync(nested())
        rows = recorded_calls(engine)
    finally:
        engine.dispose()

    assert [answer["inventoryLevel"]["id"] for answer in answers] == levels
    assert {(row.target, row.account_id, row.status) for row in rows} == {(TARGET, "acme", "succeeded")}
    assert len(rows) == len(levels)


class HeldClock:
    """The sandbox's clock, which the test can stop: a stopped bucket does not refill."""

    def __init__(self) -> None:
        self._held_at: float | None = None
        self._lost = 0.0

    def __call__(self) -> float:
        return self._held_at if self._held_at is not None else time.monotonic() - self._lost

    def hold(self) -> None:
        self._held_at = self()

    def release(self) -> None:
        if self._held_at is not None:
            self._lost = time.monotonic() - self._held_at
            self._held_at = None


# Refused before it runs (no @idempotent), so Shopify keeps the whole requested cost (179 points).
DRAIN = """mutation Drain($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { changes { item { inventoryLevels(first: 250) { nodes {
      item { inventoryLevels(first: 250) { nodes { id } } }
    } } } } }
    userErrors { field }
  }
}"""
DRIP = "query Drip { shop { id } }"  # 1 point


def drain(url: str) -> None:
    """Spend the whole bucket with direct calls, as another client of the same app would."""
    empty_input = {"input": {"reason": "correction", "name": "available", "quantities": []}}
    with httpx.Client(headers={"X-Shopify-Access-Token": TOKEN}, timeout=10) as http:
        for query, variables in ((DRAIN, empty_input), (DRIP, {})):
            while True:
                answer = http.post(
                    url + SANDBOX_ENDPOINT, json={"query": query, "variables": variables}
                ).json()
                if any(error["extensions"]["code"] == "THROTTLED" for error in answer.get("errors", [])):
                    break
    # The bucket is at 0 now: the Drip query costs 1 point and there is no refill while the clock is held.


def test_a_bucket_drained_by_someone_else_throttles_the_first_call_which_waits_and_succeeds(
    shop: ObservedSandbox, engine: sa.Engine
) -> None:
    clock = HeldClock()
    shop.sandbox.monotonic = clock
    clock.hold()
    drain(shop.url)
    throttled_by_drain = shop.throttled
    handle = shop.sandbox.handle

    def release_after_the_clients_first_answer(body: Any) -> tuple[int, dict[str, Any]]:
        answered = handle(body)
        if body.get("operationName") == "InventoryLevelQuantities":
            clock.release()
        return answered

    shop.sandbox.handle = release_after_the_clients_first_answer  # type: ignore[method-assign]

    async def call() -> Any:
        async with httpx.AsyncClient() as http:
            return await read_level(shop_client(http, shop.url, engine), shop.levels()[0])

    data = asyncio.run(call())

    assert data["inventoryLevel"]["quantities"]
    rows = recorded_calls(engine)
    assert [(row.attempt, row.status, row.error) for row in rows] == [
        (1, "retriable_error", "THROTTLED"),
        (2, "succeeded", None),
    ]
    assert rows[0].idempotency_key == rows[1].idempotency_key
    assert rows[0].response_summary["throttle_status"]["currentlyAvailable"] == 0
    # The retry was paced by the budget: it waited before its reservation was granted.
    assert rows[1].request_summary["paced_ms"] > 0
    assert shop.throttled == throttled_by_drain + 1


# Also refused before it runs: 10 points kept, nothing applied.
SPEND_10 = """mutation Spend($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { userErrors { field } }
}"""
EMPTY_INPUT = {"input": {"reason": "correction", "name": "available", "quantities": []}}


class BucketEmptier(threading.Thread):
    """Another process of the hub, spending through the shared budget every point the burst leaves (in
    10-point requests, reserved and waited for as the budget says): the bucket stays at its margin, so the
    burst runs at the restore rate — where an overdraw shows — however fast this machine can send."""

    def __init__(self, url: str, engine: sa.Engine) -> None:
        super().__init__(name="bucket-emptier", daemon=True)
        self._url = url
        self._engine = engine
        self.stop = threading.Event()
        self.sent = 0
        self.problems: list[Any] = []

    def run(self) -> None:
        with httpx.Client(headers={"X-Shopify-Access-Token": TOKEN}, timeout=10) as http:
            while not self.stop.wait(0.05):
                with self._engine.begin() as connection:
                    budget = RateBudgetRepository(connection)
                    bucket = budget.get(budget_key(DOMAIN))
                    if bucket is None:
                        continue
                    bucket.refill(time.time())
                    spare = int((bucket.available - bucket.margin - 10) // 10)
                    if spare <= 0:
                        continue
                    reserved = budget.reserve(budget_key(DOMAIN), [10] * spare, BudgetDefaults(2000, 100))
                time.sleep(max(reserved.waits))
                for _ in range(spare):
                    answer = http.post(
                        self._url + SANDBOX_ENDPOINT, json={"query": SPEND_10, "variables": EMPTY_INPUT}
                    )
                    if answer.json()["extensions"]["cost"]["actualQueryCost"] != 10:
                        self.problems.append(answer.json())
                    self.sent += 1


def burst_in_a_process(
    database_url: str, url: str, levels: list[str], calls: int, tasks: int, first: int
) -> int:
    """One process of the burst: ``tasks`` concurrent tasks sharing one client (its own HTTP client, engine
    and database budget). Returns how many calls answered with the level's quantities."""
    engine = create_engine(database_url)

    async def run() -> int:
        async with httpx.AsyncClient() as http:
            client = shop_client(http, url, engine)
            share = calls // tasks

            async def worker(start: int) -> list[Any]:
                return [await read_level(client, levels[(start + n) % len(levels)]) for n in range(share)]

            chunks = await asyncio.gather(*(worker(first + index * share) for index in range(tasks)))
        return sum(1 for chunk in chunks for data in chunk if data["inventoryLevel"]["quantities"])

    try:
        return asyncio.run(run())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_two_processes_burst_2000_calls_on_one_shop_without_a_throttled_answer(
    shop: ObservedSandbox, engine: sa.Engine, database_url: str
) -> None:
    """2,000 calls of 2 points from two processes of 8 concurrent tasks each, each process with its own
    client, HTTP client, engine and database budget, on a Standard shop (a 2,000-point bucket restoring 100
    points per second) that a third process keeps empty: the burst runs at the restore rate from its first
    call to its last, 40-50 s of real time here (not asserted). Without the third process, the client and the
    sandbox sharing this machine's two cores might not spend faster than the bucket refills, and the burst
    would prove nothing."""
    emptier = BucketEmptier(shop.url, engine)
    with engine.begin() as connection:  # the budget row, as the first call of any process creates it
        RateBudgetRepository(connection).reserve(budget_key(DOMAIN), [0], BudgetDefaults(2000, 100))
    emptier.start()
    levels = shop.levels()
    calls, processes = 2000, 2
    share = calls // processes
    arguments = [(database_url, shop.url, levels, share, 8, index * share) for index in range(processes)]
    try:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            answered = pool.starmap(burst_in_a_process, arguments)
    finally:
        emptier.stop.set()
        emptier.join(timeout=30)

    assert answered == [share] * processes
    assert emptier.problems == []
    assert shop.throttled == 0
    assert shop.answered == calls + emptier.sent
    rows = recorded_calls(engine)
    assert sum(row.status == "succeeded" for row in rows) == calls
    assert [row for row in rows if row.error == "THROTTLED"] == []
    # Other failed attempts, retried, can only be lost connections (a pooled connection the server closed as
    # it was reused).
    assert {row.error.split(":")[0] for row in rows if row.status != "succeeded"} <= {"connection lost"}
    # The budget did hold the burst back: it ran at the restore rate.
    assert sum(row.request_summary["paced_ms"] > 0 for row in rows) > calls / 4
