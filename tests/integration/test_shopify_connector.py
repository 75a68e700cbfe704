"""`crossdock shopify connect | import-catalog | poll` against the Shopify sandbox over real HTTP, and the
reconciliation poll recovering an order whose webhook the sandbox dropped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from dbos import DBOS
from typer.testing import CliRunner

from crossdock.cli import app as cli
from crossdock.config import load_settings
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from crossdock.sandbox.shopify.webhooks.delivery import WebhookService
from crossdock.store.engine import create_engine
from crossdock.store.schema import exceptions, inbox, orders, shop_locations, sku_variants, skus, sync_cursors
from crossdock.store.unit_of_work import JobRequest
from crossdock.web.app import create_app
from tests.conftest import write_config
from tests.support.servers import free_port, serving
from tests.support.waiting import wait_until

TOKEN = "shpat_connector_test"
SECRET = "connector-test-app-secret"
DOMAIN = "acme.myshopify.com"


@dataclass
class SandboxShop:
    url: str
    sandbox: ShopifySandbox

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(
            method,
            f"{self.url}/_sandbox{path}",
            json=body,
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=10,
        )
        assert response.status_code < 300, response.text
        return response.json()

    def subscriptions(self) -> list[tuple[str, str]]:
        answer = httpx.post(
            f"{self.url}/admin/api/2026-07/graphql.json",
            json={"query": "{ webhookSubscriptions(first: 50) { nodes { topic uri } } }"},
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=10,
        ).json()
        return sorted(
            (node["topic"], node["uri"]) for node in answer["data"]["webhookSubscriptions"]["nodes"]
        )


@pytest.fixture
def sandbox_shop() -> Iterator[SandboxShop]:
    state = ShopState(ShopInfo(7, "Acme Outdoor", DOMAIN))
    warehouse = state.add_location("Warehouse Lyon")
    state.add_location("Shop Paris")
    state.add_product("Trail tent", [("TENT-2P", "199.00", {warehouse.id: 10}), ("TENT-3P", "249.00", {})])
    state.add_product("Stove", [("STOVE-1", "49.00", {warehouse.id: 5})])
    sandbox = ShopifySandbox(state, PLANS["standard"], webhooks=WebhookService(SECRET))
    with serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url:
        yield SandboxShop(url=url, sandbox=sandbox)


@dataclass
class HubFiles:
    config: Path
    environ: dict[str, str]
    public_url: str

    def cli(self, *args: str) -> Any:
        return CliRunner().invoke(cli, ["--config", str(self.config), *args], env=self.environ)


@pytest.fixture
def hub_files(tmp_path: Path, sandbox_shop: SandboxShop, database_url: str) -> HubFiles:
    config = write_config(tmp_path)
    public_url = f"http://127.0.0.1:{free_port()}"
    with config.open("a") as file:
        file.write(
            f'\n[web]\npublic_url = "{public_url}"\n\n'
            f'[shops.acme-main]\ndomain = "{DOMAIN}"\naccount = "acme"\napi_url = "{sandbox_shop.url}"\n'
        )
    environ = {
        "CROSSDOCK_DATABASE_URL": database_url,
        "CROSSDOCK_SHOPS__ACME_MAIN__ACCESS_TOKEN": TOKEN,
        "CROSSDOCK_SHOPS__ACME_MAIN__APP_SECRET": SECRET,
    }
    return HubFiles(config=config, environ=environ, public_url=public_url)


def rows(database_url: str, query: Any) -> list[Any]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(query))
    finally:
        engine.dispose()


TOPICS = [
    "INVENTORY_LEVELS_UPDATE",
    "ORDERS_CANCELLED",
    "ORDERS_CREATE",
    "ORDERS_PAID",
    "ORDERS_UPDATED",
    "RETURNS_APPROVE",
    "RETURNS_REQUEST",
]


def test_connect_records_locations_and_subscribes_once(
    hub_files: HubFiles, sandbox_shop: SandboxShop, database_url: str
) -> None:
    first = hub_files.cli("shopify", "connect", "acme-main")
    assert first.exit_code == 0, first.output
    assert "connected acme-main (acme.myshopify.com): 'Acme Outdoor'" in first.output
    assert "created orders/create" in first.output
    callback = f"{hub_files.public_url}/webhooks/shopify"
    assert sandbox_shop.subscriptions() == [(topic, callback) for topic in TOPICS]

    again = hub_files.cli("shopify", "connect", DOMAIN)
    assert again.exit_code == 0, again.output
    assert "created" not in again.output and "already subscribed orders/paid" in again.output
    assert sandbox_shop.subscriptions() == [(topic, callback) for topic in TOPICS]

    located = rows(database_url, sa.select(shop_locations.c.name, shop_locations.c.is_active))
    assert sorted(located) == [("Shop Paris", True), ("Warehouse Lyon", True)]
    (cursor,) = rows(database_url, sa.select(sync_cursors.c.source, sync_cursors.c.name))
    assert tuple(cursor) == (f"shopify:{DOMAIN}", "orders.updated_at")


def test_connect_refuses_a_wrong_token_and_records_nothing(hub_files: HubFiles, database_url: str) -> None:
    hub_files.environ["CROSSDOCK_SHOPS__ACME_MAIN__ACCESS_TOKEN"] = "shpat_wrong"
    result = hub_files.cli("shopify", "connect", "acme-main")
    assert result.exit_code == 1
    assert "acme.myshopify.com:" in result.output and "shpat_wrong" not in result.output
    assert rows(database_url, sa.select(shop_locations)) == []


def test_connect_without_a_public_url_says_what_to_set(hub_files: HubFiles) -> None:
    hub_files.config.write_text(hub_files.config.read_text().replace("public_url", "# public_url"))
    result = hub_files.cli("shopify", "connect", "acme-main")
    assert result.exit_code == 2
    assert "web.public_url is not set" in result.output


def test_import_catalog_registers_skus_and_reports_duplicates_and_missing_ones(
    hub_files: HubFiles, sandbox_shop: SandboxShop, database_url: str
) -> None:
    state = sandbox_shop.sandbox.state
    state.add_product("Trail tent footprint", [("TENT-2P", "29.00", {})])  # the tent's SKU, by mistake
    state.add_product("Gift card", [("", "25.00", {})])

    result = hub_files.cli("shopify", "import-catalog", "acme-main")
    assert result.exit_code == 0, result.output
    assert "5 variant(s) read from acme.myshopify.com: 2 registered" in result.output
    assert "1 SKU(s) carried by several variants, not registered:" in result.output
    assert "TENT-2P: Trail tent" in result.output and "Trail tent footprint" in result.output
    assert "1 variant(s) without SKU, not registered:" in result.output and "Gift card" in result.output
    registered = rows(database_url, sa.select(skus.c.sku, skus.c.title).order_by(skus.c.sku))
    assert [tuple(row) for row in registered] == [("STOVE-1", "Stove"), ("TENT-3P", "Trail tent - Option 2")]
    problems = rows(database_url, sa.select(exceptions.c.type, exceptions.c.subject_id, exceptions.c.status))
    assert sorted(tuple(row) for row in problems) == [
        ("duplicate_sku", "TENT-2P", "open"),
        ("variants_without_sku", DOMAIN, "open"),
    ]

    # Once the merchant gives the footprint its own SKU, the next import registers both and closes the
    # problem.
    footprint = next(v for v in state.variants.values() if v.sku == "TENT-2P" and v.price == "29.00")
    footprint.sku = "FOOTPRINT-2P"
    again = hub_files.cli("shopify", "import-catalog", "acme-main")
    assert again.exit_code == 0, again.output
    assert "2 registered, 0 updated, 2 unchanged, 0 removed" in again.output
    problems = rows(database_url, sa.select(exceptions.c.type, exceptions.c.status))
    assert sorted(tuple(row) for row in problems) == [
        ("duplicate_sku", "resolved"),
        ("variants_without_sku", "open"),
    ]
    assert len(rows(database_url, sa.select(sku_variants))) == 4


def test_a_webhook_the_sandbox_dropped_is_recovered_by_the_poll(
    hub_files: HubFiles, sandbox_shop: SandboxShop, database_url: str
) -> None:
    connected = hub_files.cli("shopify", "connect", "acme-main")
    assert connected.exit_code == 0, connected.output
    settings = load_settings(hub_files.config, environ=hub_files.environ)
    port = int(hub_files.public_url.rsplit(":", 1)[1])
    app = create_app(settings)
    with serving(app, port=port):
        delivered = sandbox_shop.control("POST", "/orders", {"lines": [{"sku": "STOVE-1", "quantity": 1}]})
        wait_until(lambda: len(rows(database_url, sa.select(orders))) == 1, what="the delivered order")

        sandbox_shop.control("PUT", "/webhooks/faults", {"drop_rate": 1.0})
        dropped = sandbox_shop.control("POST", "/orders", {"lines": [{"sku": "TENT-2P", "quantity": 2}]})
        wait_until(
            lambda: any(
                a["outcome"] == "dropped" for a in sandbox_shop.control("GET", "/webhooks/deliveries")
            ),
            what="the sandbox to drop the webhook",
        )
        assert [row.name for row in rows(database_url, sa.select(orders.c.name))] == [delivered["name"]]

        app.state.hub.jobs.submit(
            JobRequest(
                job="shopify.poll_orders", key="test-poll-1", args={"shop": "acme-main"}, partition=DOMAIN
            )
        )
        wait_until(
            lambda: len(rows(database_url, sa.select(orders))) == 2, what="the poll to recover the order"
        )
        names = {row.name for row in rows(database_url, sa.select(orders.c.name))}
        assert names == {delivered["name"], dropped["name"]}

        # A second poll reads the same versions again (the overlap) and sends nothing new to intake.
        polled_before = rows(database_url, sa.select(inbox.c.id).where(inbox.c.kind == "order.graphql"))
        result = hub_files.cli("shopify", "poll", "acme-main")
        assert result.exit_code == 0, result.output
        assert "0 new version(s)" in result.output
        polled_after = rows(database_url, sa.select(inbox.c.id).where(inbox.c.kind == "order.graphql"))
        assert len(polled_after) == len(polled_before) == 2


def test_the_schedule_polls_each_connected_shop_once_per_interval(
    hub_files: HubFiles, sandbox_shop: SandboxShop, database_url: str
) -> None:
    assert hub_files.cli("shopify", "connect", "acme-main").exit_code == 0
    sandbox_shop.control("PUT", "/webhooks/faults", {"drop_rate": 1.0})
    placed = sandbox_shop.control("POST", "/orders", {"lines": [{"sku": "STOVE-1", "quantity": 3}]})
    settings = load_settings(hub_files.config, environ=hub_files.environ)
    app = create_app(settings)
    with serving(app, port=int(hub_files.public_url.rsplit(":", 1)[1])):
        jobs = app.state.hub.jobs
        slot = int(time.time() // settings.shopify.poll_interval_seconds)
        # Two ticks in one interval (two processes' schedules, or a tick re-run) enqueue one poll.
        for tick in ("tick-a", "tick-b"):
            jobs.submit(JobRequest(job="shopify.poll_orders_tick", key=tick))
        wait_until(lambda: len(rows(database_url, sa.select(orders))) == 1, what="the scheduled poll")
        assert [row.name for row in rows(database_url, sa.select(orders.c.name))] == [placed["name"]]
        for tick in ("tick-a", "tick-b"):
            wait_until(
                lambda tick=tick: _status(f"shopify.poll_orders_tick:{tick}") == "SUCCESS",
                what=f"{tick} to end",
            )
        polls = [_status(f"shopify.poll_orders:acme-main@{number}") for number in (slot, slot + 1)]
        assert sorted(map(str, polls)) == ["None", "SUCCESS"]  # one poll, in whichever slot the ticks fell


def _status(job_id: str) -> str | None:
    status = DBOS.get_workflow_status(job_id)
    return None if status is None else status.status
