"""A change made in Shopify by someone else is judged (``inventory.verify_level``) before the hub pushes
anything over it. The inventory jobs run here one at a time, in an order a loaded machine can run them in,
against the Shopify sandbox over real HTTP: the merchant's change is seen, then a recompute of the SKU (the
full comparison's, or one for another warehouse report) and a push run before the judgment does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from crossdock.config import Settings, load_settings
from crossdock.connectors.shopify.stock_push import push_due_levels
from crossdock.domain.inventory import StockPosition
from crossdock.flows.stock_discrepancies import VERIFY_LEVEL, observe_level, verify_level
from crossdock.flows.stock_levels import recompute_available
from crossdock.flows.stock_names import PUSH_STOCK
from crossdock.flows.stock_updates import RECOMPUTE
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
from crossdock.store.shops import DeclaredShop, ShopLocation, ShopRecord
from crossdock.store.skus import VariantRegistration
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.store.warehouses import DeclaredWarehouse
from tests.conftest import write_config
from tests.support.enqueuers import RecordingEnqueuer
from tests.support.servers import serving

TOKEN = "shpat_stock_judgment_test"
DOMAIN = "acme.myshopify.com"
SKU = "TENT-3P"
SECRETS = {
    "CROSSDOCK_WAREHOUSES__EAST__SFTP_PASSWORD": "secret",
    "CROSSDOCK_SHOPS__ACME__ACCESS_TOKEN": TOKEN,
}
HUB = """
[inventory]
on_discrepancy = "{mode}"

[shops.acme]
domain = "{domain}"
account = "acme"
api_url = "{url}"

[warehouses.east]
name = "East 3PL"
accounts = ["acme"]
shopify_locations = ["Main"]

[warehouses.east.sftp]
host = "127.0.0.1"
username = "hub"

[warehouses.east.x12]
sender_id = "ACMEHUB"
receiver_id = "EAST3PL"
"""
Job = Callable[..., Any]
JOBS: dict[str, Job] = {
    RECOMPUTE: recompute_available,
    PUSH_STOCK: push_due_levels,
    VERIFY_LEVEL: verify_level,
}


@dataclass
class Hub:
    settings: Settings
    engine: sa.Engine
    sandbox_url: str
    state: ShopState
    location: str  # the GID of the sandbox's location, "Main"
    item: str  # the GID of the SKU's inventory item
    enqueuer: RecordingEnqueuer = field(default_factory=RecordingEnqueuer)

    def shopify_available(self) -> int:
        level = self.state.level(_number(self.item), _number(self.location))
        assert level is not None
        value: int = level.get("available")
        return value

    def set_by_merchant(self, available: int) -> None:
        response = httpx.post(
            f"{self.sandbox_url}/_sandbox/inventory",
            json={"sku": SKU, "location": self.location, "available": available},
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=10,
        )
        assert response.status_code == 200, response.text

    def warehouse_reports(self, units: int) -> None:
        with UnitOfWork(self.engine) as uow:
            warehouse = uow.warehouses.by_code("east")
            assert warehouse is not None
            moment = datetime.now(UTC)
            uow.stock.save_position(warehouse.id, StockPosition("east", SKU, units, moment, moment))
            uow.commit()

    def shop(self) -> ShopRecord:
        with UnitOfWork(self.engine) as uow:
            shop = uow.shops.by_domain(DOMAIN)
        assert shop is not None
        return shop

    def webhook(self, available: int) -> str:
        """What ``inventory_levels/update`` does with the level Shopify reports."""
        shop = self.shop()
        with UnitOfWork(self.engine, self.enqueuer) as uow:
            outcome = observe_level(
                uow, self.settings, shop, self.location, self.item, available, seen_in="a Shopify webhook"
            )
            uow.commit()
        return outcome

    def run(self, job: str) -> list[Any]:
        """Run, in the order they were enqueued, the jobs of this name queued so far (and take them off)."""
        taken = [request for _, request in self.enqueuer.calls if request.job == job]
        self.enqueuer.calls = [(c, request) for c, request in self.enqueuer.calls if request.job != job]
        return [JOBS[job](self.context(job), **request.args) for request in taken]

    def recompute(self) -> None:
        """A recompute of the SKU, whatever asked for it (the full comparison, another warehouse report)."""
        recompute_available(self.context(RECOMPUTE), "acme", SKU)

    def context(self, job: str) -> JobContext:
        runtime = JobRuntime(
            engine=self.engine, enqueuer=self.enqueuer, default_retry=RetryPolicy(), settings=self.settings
        )
        return JobContext(job_id=f"{job}-test", job=job, key=job, attempt=1, runtime=runtime)

    def discrepancies(self) -> list[ExceptionRecord]:
        with UnitOfWork(self.engine) as uow:
            return uow.exceptions.list(status="open", type="stock_discrepancy")


def _number(global_id: str) -> int:
    return int(global_id.rsplit("/", 1)[1])


@pytest.fixture(params=["alert_only", "warehouse_wins"])
def hub(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Iterator[Hub]:
    state = ShopState(ShopInfo(1, "Acme Outdoor", DOMAIN))
    main = state.add_location("Main")
    state.add_product("Tent 3P", [(SKU, "199.00", {main.id: 0})])
    variant = state.variant_by_sku(SKU)
    assert variant is not None
    location, item = gid("Location", main.id), gid("InventoryItem", variant.inventory_item_id)
    with serving(create_sandbox_app(ShopifySandbox(state, PLANS["standard"]), access_token=TOKEN)) as url:
        config = write_config(tmp_path)
        with config.open("a", encoding="utf-8") as written:
            written.write(HUB.format(mode=request.param, domain=DOMAIN, url=url))
        settings = load_settings(config, environ={"CROSSDOCK_DATABASE_URL": database_url, **SECRETS})
        engine = create_engine(database_url)
        upgrade_to_head(engine)
        with UnitOfWork(engine) as uow:
            uow.accounts.ensure([("acme", "Acme Outdoor")])
            uow.shops.ensure([DeclaredShop("acme", DOMAIN, "acme")])
            uow.warehouses.ensure([DeclaredWarehouse("east", "East 3PL", "x12", ("acme",))])
            shop = uow.shops.by_domain(DOMAIN)
            assert shop is not None
            uow.shops.replace_locations(shop.id, [ShopLocation(location, "Main", True, True, False, {})])
            registered = VariantRegistration(
                sku=SKU,
                title="Tent 3P",
                barcode=None,
                variant_id=gid("ProductVariant", variant.id),
                inventory_item_id=item,
                product_id=gid("Product", variant.product_id),
                product_title="Tent 3P",
                variant_title="Default",
            )
            uow.skus.register("acme", shop.id, registered)
            uow.commit()
        try:
            yield Hub(settings, engine, url, state, location, item)
        finally:
            engine.dispose()


def test_a_change_made_in_shopify_is_judged_before_anything_is_pushed_over_it(hub: Hub) -> None:
    hub.warehouse_reports(20)
    hub.recompute()
    hub.run(PUSH_STOCK)
    assert hub.shopify_available() == 20

    hub.set_by_merchant(50)
    assert hub.webhook(50) == "to verify"
    # Before the judgment: a recompute of the SKU, and a push (queued by it, or earlier by another change).
    hub.recompute()
    hub.run(PUSH_STOCK)
    assert hub.shopify_available() == 50, "pushed over the merchant's change before it was judged"
    assert hub.discrepancies() == []

    (verdict,) = hub.run(VERIFY_LEVEL)
    assert verdict == "discrepancy"
    (problem,) = hub.discrepancies()
    assert (problem.details["shopify"], problem.details["wanted"]) == (50, 20)
    hub.run(PUSH_STOCK)
    if hub.settings.inventory.on_discrepancy == "alert_only":
        assert "left as it is" in problem.message
        # Nor does the warehouse's next report, while the problem is open.
        hub.warehouse_reports(19)
        hub.recompute()
        hub.run(PUSH_STOCK)
        assert hub.shopify_available() == 50
    else:
        assert "set back" in problem.message
        assert hub.shopify_available() == 20


def test_a_value_explained_by_the_hub_itself_is_no_discrepancy_and_pushes_resume(hub: Hub) -> None:
    hub.warehouse_reports(20)
    hub.recompute()
    hub.run(PUSH_STOCK)
    hub.set_by_merchant(18)
    assert hub.webhook(18) == "to verify"
    # Two units were sold in Shopify; the warehouse's report saying so arrives before the judgment.
    hub.warehouse_reports(18)
    hub.recompute()
    hub.run(PUSH_STOCK)
    assert hub.run(VERIFY_LEVEL) == ["explained (the hub wants the same)"]
    assert hub.discrepancies() == []
    # Judged: the level is the hub's again.
    hub.warehouse_reports(17)
    hub.recompute()
    hub.run(PUSH_STOCK)
    assert hub.shopify_available() == 17
