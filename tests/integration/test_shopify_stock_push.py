"""Pushing the stock the hub wants to Shopify, over real HTTP against the Shopify sandbox: batches of 250
levels, the compare-and-swap that catches someone else's change (and the warehouse winning, or not), the
levels never read, and the idempotency key of a repeated batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from crossdock.config import Settings, ShopSettings
from crossdock.connectors.shopify.clients import run_sync, shop_client
from crossdock.connectors.shopify.stock_push import (
    BATCH_SIZE,
    REASON,
    PushOutcome,
    push_due,
    push_due_levels,
    push_levels,
    set_request,
)
from crossdock.jobs.context import JobContext
from crossdock.jobs.retry import RetryPolicy
from crossdock.jobs.runtime import JobRuntime
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.ids import gid
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from crossdock.store.engine import create_engine
from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.schema import outbound_calls
from crossdock.store.shops import DeclaredShop, ShopRecord
from crossdock.store.stock import ShopLevel
from crossdock.store.unit_of_work import UnitOfWork
from tests.support.enqueuers import RecordingEnqueuer
from tests.support.servers import serving

TOKEN = "shpat_stock_push_test"
DOMAIN = "acme.myshopify.com"
PRODUCTS = 300  # at two locations each: 600 levels
START = 10  # units of every level in the sandbox at the start


@dataclass(frozen=True)
class Level:
    sku: str
    location_gid: str
    item_gid: str


@dataclass
class Shop:
    url: str
    state: ShopState
    east: str
    west: str
    levels: list[Level]  # every level stocked, east then west per SKU
    unstocked: Level  # an item the sandbox does not stock at a location

    def available(self, level: Level) -> int:
        quantities = self.state.level(_number(level.item_gid), _number(level.location_gid))
        assert quantities is not None
        return quantities.get("available")

    def set_by_merchant(self, level: Level, available: int) -> None:
        """Someone else (the merchant in the admin) changes the level in Shopify."""
        response = httpx.post(
            f"{self.url}/_sandbox/inventory",
            json={"sku": level.sku, "location": level.location_gid, "available": available},
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=10,
        )
        assert response.status_code == 200, response.text


def _number(global_id: str) -> int:
    return int(global_id.rsplit("/", 1)[1])


@pytest.fixture
def shop() -> Iterator[Shop]:
    state = ShopState(ShopInfo(1, "Acme Outdoor", DOMAIN))
    east = state.add_location("East warehouse")
    west = state.add_location("West warehouse")
    levels = []
    for number in range(PRODUCTS):
        sku = f"SKU-{number:03d}"
        state.add_product(f"Product {number}", [(sku, "10.00", {east.id: START, west.id: START})])
        variant = state.variant_by_sku(sku)
        assert variant is not None
        item = gid("InventoryItem", variant.inventory_item_id)
        levels += [Level(sku, gid("Location", east.id), item), Level(sku, gid("Location", west.id), item)]
    state.add_product("Headlamp", [("LAMP-1", "19.00", {east.id: START})])
    lamp = state.variant_by_sku("LAMP-1")
    assert lamp is not None
    unstocked = Level("LAMP-1", gid("Location", west.id), gid("InventoryItem", lamp.inventory_item_id))
    sandbox = ShopifySandbox(state, PLANS["standard"])
    with serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url:
        yield Shop(url, state, gid("Location", east.id), gid("Location", west.id), levels, unstocked)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    upgrade_to_head(engine)
    with UnitOfWork(engine) as uow:
        uow.accounts.ensure([("acme", "Acme Outdoor")])
        uow.shops.ensure([DeclaredShop("acme", DOMAIN, "acme")])
        uow.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def hub_settings(settings: Settings, shop: Shop) -> Settings:
    configured = ShopSettings(domain=DOMAIN, account="acme", api_url=shop.url, access_token=SecretStr(TOKEN))
    return settings.model_copy(update={"shops": {"acme": configured}})


def shop_record(engine: sa.Engine) -> ShopRecord:
    with UnitOfWork(engine) as uow:
        record = uow.shops.by_domain(DOMAIN)
    assert record is not None
    return record


def want(engine: sa.Engine, wanted: dict[Level, int], known: int | None = START) -> None:
    """The hub wants these values; it last knew Shopify held ``known`` (None: it never read them)."""
    shop_id = shop_record(engine).id
    with UnitOfWork(engine) as uow:
        for level, units in wanted.items():
            uow.stock.want(
                shop_id=shop_id,
                location_id=level.location_gid,
                inventory_item_id=level.item_gid,
                sku=level.sku,
                wanted=units,
                reason=f"846 from EAST for {level.sku}",
            )
            if known is not None:
                uow.stock.set_known(shop_id, level.location_gid, level.item_gid, known, pushed=False)
        uow.commit()


def run_job(engine: sa.Engine, settings: Settings) -> dict[str, int]:
    runtime = JobRuntime(
        engine=engine, enqueuer=RecordingEnqueuer(), default_retry=RetryPolicy(), settings=settings
    )
    context = JobContext(job_id="push-1", job="shop.push_stock", key=DOMAIN, attempt=1, runtime=runtime)
    summary: dict[str, int] = push_due_levels(context, DOMAIN)
    return summary


def calls(engine: sa.Engine) -> list[sa.Row[Any]]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(outbound_calls).order_by(outbound_calls.c.id)))


def due(engine: sa.Engine) -> list[ShopLevel]:
    shop_id = shop_record(engine).id
    with UnitOfWork(engine) as uow:
        return uow.stock.due(shop_id, limit=10_000)


def stored(engine: sa.Engine, level: Level) -> ShopLevel:
    with UnitOfWork(engine) as uow:
        (found,) = [row for row in uow.stock.levels(level.sku) if row.location_id == level.location_gid]
    return found


def open_exceptions(engine: sa.Engine, type: str) -> list[ExceptionRecord]:
    with UnitOfWork(engine) as uow:
        return uow.exceptions.list(status="open", type=type)


def test_600_due_levels_take_three_calls_and_shopify_then_holds_the_wanted_values(
    shop: Shop, engine: sa.Engine, hub_settings: Settings
) -> None:
    wanted = {level: START + 1 + index % 37 for index, level in enumerate(shop.levels)}
    wanted[shop.levels[0]] = 0  # a level emptied is pushed like any other
    want(engine, wanted)

    summary = run_job(engine, hub_settings)

    sent = calls(engine)
    assert [call.operation for call in sent] == ["InventorySetQuantities"] * 3
    assert [call.status for call in sent] == ["succeeded"] * 3
    assert {call.job_id for call in sent} == {"push-1"}
    assert summary["set_calls"] == 3 and summary["calls"] == 3 and summary["pushed"] == 600
    assert summary["discrepancies"] == 0
    assert {level: shop.available(level) for level in shop.levels} == wanted
    assert due(engine) == []
    assert stored(engine, shop.levels[5]).available == wanted[shop.levels[5]]
    assert stored(engine, shop.levels[5]).pushed_at is not None
    groups = list(shop.state.adjustment_groups.values())
    assert [group.reason for group in groups] == [REASON] * 3
    assert all((group.reference_document_uri or "").startswith("gid://crossdock/") for group in groups)


def test_nothing_due_sends_nothing(shop: Shop, engine: sa.Engine, hub_settings: Settings) -> None:
    want(engine, {level: START for level in shop.levels[:10]})

    summary = run_job(engine, hub_settings)

    assert calls(engine) == []
    assert summary["calls"] == 0 and summary["pushed"] == 0


def test_levels_never_read_are_read_first_and_pushed_against_what_shopify_holds(
    shop: Shop, engine: sa.Engine, hub_settings: Settings
) -> None:
    changed, unchanged, emptied = shop.levels[:3]
    shop.set_by_merchant(changed, 3)
    want(engine, {changed: 8, unchanged: START, emptied: 0}, known=None)

    summary = run_job(engine, hub_settings)

    assert [call.operation for call in calls(engine)] == [
        "InventoryLevelsQuantities",
        "InventorySetQuantities",
    ]
    (mutation,) = [call for call in calls(engine) if call.operation == "InventorySetQuantities"]
    sent = mutation.request_summary["variables"]["input"]["quantities"]
    # Shopify's own values as compare, and only the levels that differ from what the hub wants.
    assert sorted((line["quantity"], line["changeFromQuantity"]) for line in sent) == [(0, START), (8, 3)]
    assert (shop.available(changed), shop.available(unchanged), shop.available(emptied)) == (8, START, 0)
    assert summary["pushed"] == 2 and summary["already_held"] == 1 and summary["discrepancies"] == 0
    assert stored(engine, unchanged).available == START and stored(engine, unchanged).pushed_at is None
    assert due(engine) == []


def test_a_level_changed_in_shopify_is_reported_and_then_set_to_the_warehouses_value(
    shop: Shop, engine: sa.Engine, hub_settings: Settings
) -> None:
    moved, other = shop.levels[:2]
    want(engine, {moved: 4, other: 6})
    shop.set_by_merchant(moved, 7)

    summary = run_job(engine, hub_settings)

    assert [(call.operation, call.status) for call in calls(engine)] == [
        ("InventorySetQuantities", "fatal_error"),
        ("InventoryLevelsQuantities", "succeeded"),
        ("InventorySetQuantities", "succeeded"),
    ]
    assert "CHANGE_FROM_QUANTITY_STALE" in str(calls(engine)[0].response_summary)
    assert (shop.available(moved), shop.available(other)) == (4, 6)
    assert summary["discrepancies"] == 1 and summary["pushed"] == 2
    (exception,) = open_exceptions(engine, "stock_discrepancy")
    assert exception.subject_type == "stock_level"
    assert exception.subject_id == f"{DOMAIN}/{moved.location_gid}/{moved.item_gid}"
    assert exception.account_id == "acme"
    assert exception.details["hub_knew"] == START
    assert exception.details["shopify_held"] == 7
    assert exception.details["wanted"] == 4
    assert exception.details["overwritten"] is True
    assert due(engine) == []


def test_when_the_warehouse_does_not_win_the_shopify_value_stays_and_is_reported(
    shop: Shop, engine: sa.Engine, hub_settings: Settings
) -> None:
    moved, other = shop.levels[:2]
    want(engine, {moved: 4, other: 6})
    shop.set_by_merchant(moved, 7)
    client = shop_client(hub_settings, engine, DOMAIN)

    summary = push_due(lambda: UnitOfWork(engine), client, shop_record(engine), warehouse_wins=False)

    assert (shop.available(moved), shop.available(other)) == (7, 6)
    assert summary["discrepancies"] == 1 and summary["pushed"] == 1
    (exception,) = open_exceptions(engine, "stock_discrepancy")
    assert (exception.details["hub_knew"], exception.details["shopify_held"]) == (START, 7)
    assert exception.details["overwritten"] is False
    # The hub now knows what Shopify holds and still wants the warehouse's value.
    assert (stored(engine, moved).available, stored(engine, moved).wanted) == (7, 4)
    assert [level.sku for level in due(engine)] == [moved.sku]


def test_a_level_shopify_does_not_stock_is_reported_and_the_others_pushed(
    shop: Shop, engine: sa.Engine, hub_settings: Settings
) -> None:
    stocked = shop.levels[0]
    want(engine, {stocked: 2, shop.unstocked: 5}, known=None)

    summary = run_job(engine, hub_settings)

    assert shop.available(stocked) == 2
    assert summary["missing"] == 1 and summary["pushed"] == 1
    (exception,) = open_exceptions(engine, "stock_level_missing")
    assert exception.subject_id == f"{DOMAIN}/{shop.unstocked.location_gid}/{shop.unstocked.item_gid}"


def test_a_batch_sent_again_uses_the_same_key_and_shopify_applies_it_once(
    shop: Shop, engine: sa.Engine, hub_settings: Settings
) -> None:
    wanted = {level: 3 for level in shop.levels[: BATCH_SIZE + 10]}
    want(engine, wanted)
    levels = due(engine)
    client = shop_client(hub_settings, engine, DOMAIN)

    # The job crashed after Shopify applied the batch but before the database recorded it: the same levels
    # are pushed again.
    first: PushOutcome = run_sync(push_levels(client, levels))
    shop.set_by_merchant(shop.levels[0], 9)  # a later change, which a replay must not undo
    again: PushOutcome = run_sync(push_levels(client, levels))

    assert len(first.idempotency_keys) == 2
    assert again.idempotency_keys == first.idempotency_keys
    assert again.discrepancies == [] and len(again.pushed) == BATCH_SIZE + 10
    assert len(shop.state.adjustment_groups) == 2
    assert shop.available(shop.levels[0]) == 9
    attempts = [(call.idempotency_key, call.attempt) for call in calls(engine)]
    assert attempts == [(key, 1) for key in first.idempotency_keys] + [
        (key, 2) for key in first.idempotency_keys
    ]


def test_the_key_follows_the_batchs_content() -> None:
    level = ShopLevel(
        1, "gid://shopify/Location/1", "gid://shopify/InventoryItem/7", "TENT", 5, 8, None, None
    )
    compare = {(level.location_id, level.inventory_item_id): 5}

    variables, key = set_request([level], compare)

    assert set_request([level], compare)[1] == key
    assert set_request([level], {(level.location_id, level.inventory_item_id): 6})[1] != key
    assert set_request([ShopLevel(**{**level.__dict__, "wanted": 9})], compare)[1] != key
    # The same quantities after a recorded push are a new request, not a replay of the first.
    pushed = ShopLevel(**{**level.__dict__, "pushed_at": datetime(2026, 7, 1, tzinfo=UTC)})
    assert set_request([pushed], compare)[1] != key
    assert variables["input"]["referenceDocumentUri"] == "gid://crossdock/Sku/TENT"
    assert variables["input"]["quantities"] == [
        {
            "inventoryItemId": "gid://shopify/InventoryItem/7",
            "locationId": "gid://shopify/Location/1",
            "quantity": 8,
            "changeFromQuantity": 5,
        }
    ]
