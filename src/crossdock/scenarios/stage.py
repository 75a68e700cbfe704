"""The stage a rehearsal plays on: a Shopify sandbox store, an X12 3PL sandbox reached over SFTP, and a hub
wired to both over real HTTP and SFTP — each new, in a folder of its own — with what a scenario needs to act
on each side and to read what each side ends with."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

import httpx
import sqlalchemy as sa
from typer.testing import CliRunner

from crossdock.config import Settings, X12PartnerSettings, load_settings
from crossdock.domain.warehouse import AdjustmentReason
from crossdock.logs import configure_logging
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.plans import PLANS, PlanName
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from crossdock.sandbox.shopify.webhooks.delivery import WebhookService
from crossdock.sandbox.warehouse import SimulationKnobs
from crossdock.sandbox.x12_3pl import X12ThreePlSandbox
from crossdock.scenarios.background_loop import BackgroundLoop
from crossdock.scenarios.serving import free_port, serving
from crossdock.store.engine import create_engine
from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.orders import StoredOrder
from crossdock.store.unit_of_work import UnitOfWork

T = TypeVar("T")

TOKEN = "shpat_rehearsal"
SECRET = "rehearsal-app-secret"
DOMAIN = "rehearsal.myshopify.com"
SHOP = "rehearsal"
ACCOUNT = "rehearsal"
WAREHOUSE = "east-3pl"
LOCATION = "East Coast Fulfilment"
SFTP_USER = "hub"
SFTP_PASSWORD = "rehearsal-sftp"
PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="EAST3PL", usage="T")
ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address1": "12 Harbour Road",
    "city": "Portland",
    "province_code": "ME",
    "zip": "04101",
    "country_code": "US",
}
# What the store sells, and what the 3PL holds of it at the start; a kit the store sells that the 3PL does
# not stock (a bundle, shipped as its components, declared by the scenario that needs it).
CATALOG = {"TENT-2P": 50, "TENT-3P": 50, "STOVE-1": 50, "MUG": 50}
KITS = {"CAMP-KIT": 20}
# The 3PL acknowledges at once and picks or ships only when a scenario says so: every step is the
# scenario's, whatever the time scale.
KNOBS = SimulationKnobs(
    acknowledge_delay_seconds=0,
    pick_delay_seconds=86_400,
    ship_delay_seconds=86_400,
    snapshot_interval_seconds=0,
    adjustment_rate=0,
    return_delay_seconds=86_400,
)


class StepTimedOut(Exception):
    """What a scenario waited for did not happen in time: the scenario fails with what was awaited."""


@dataclass
class Stage:
    shop: ShopifySandbox
    shop_url: str
    site: X12ThreePlSandbox
    loop: BackgroundLoop
    settings: Settings
    engine: sa.Engine
    config: Path
    environ: dict[str, str]
    time_scale: float
    # The hub's and the sandboxes' log lines (JSON), in the stage's folder.
    log: TextIO

    # --- waiting ----------------------------------------------------------------------------------------

    def wait_for(self, check: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
        """Poll ``check`` until it answers something truthy. ``timeout`` is in real seconds: the time scale
        shortens what the scenario makes last (an outage), not how long the hub may take."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise StepTimedOut(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.1)

    def pause(self, rehearsal_seconds: float) -> None:
        """Let ``rehearsal_seconds`` pass, shortened by the time scale."""
        time.sleep(rehearsal_seconds * self.time_scale)

    # --- the Shopify side: the merchant and the customers ---------------------------------------------

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(
            method,
            f"{self.shop_url}/_sandbox{path}",
            json=body,
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=30,
        )
        if response.status_code >= 300:
            raise RuntimeError(f"the Shopify sandbox refused {method} {path}: {response.text}")
        return response.json()

    def place(self, lines: dict[str, int], **extra: Any) -> dict[str, Any]:
        body = {"lines": [{"sku": sku, "quantity": units} for sku, units in lines.items()]}
        return dict(self.control("POST", "/orders", {**body, "shipping_address": ADDRESS, **extra}))

    def shopify_order(self, gid: str) -> Any:
        return self.shop.state.orders[int(gid.rsplit("/", 1)[1])]

    def fulfillments(self, gid: str) -> list[Any]:
        return [self.shop.state.fulfillments[number] for number in self.shopify_order(gid).fulfillment_ids]

    def status_metafield(self, gid: str) -> str | None:
        for metafield in self.shop.state.metafields.values():
            if metafield.owner_id == gid and (metafield.namespace, metafield.key) == ("crossdock", "status"):
                return str(metafield.value)
        return None

    def shopify_available(self, sku: str) -> int | None:
        """The "available" quantity Shopify shows for ``sku`` at the 3PL's location."""
        state = self.shop.state
        variant = state.variant_by_sku(sku)
        location = next(location for location in state.locations.values() if location.name == LOCATION)
        level = None if variant is None else state.level(variant.inventory_item_id, location.id)
        return None if level is None else level.as_dict().get("available")

    def held_for_stockout(self, gid: str) -> bool:
        """Whether a fulfillment order of the order carries Shopify's out-of-stock hold."""
        order = self.shopify_order(gid)
        return any(
            hold.reason == "INVENTORY_OUT_OF_STOCK"
            for number in order.fulfillment_order_ids
            for hold in self.shop.state.fulfillment_orders[number].holds
        )

    def request_return(self, gid: str, lines: dict[str, int]) -> str:
        """The customer asks for a return: the return's GID."""
        asked = self.control(
            "POST",
            f"/orders/{gid}/returns",
            {
                "lines": [
                    {"sku": sku, "quantity": units, "reason": "UNWANTED"} for sku, units in lines.items()
                ]
            },
        )
        return str(asked["id"])

    def approve_return(self, return_gid: str) -> None:
        """The merchant approves a requested return."""
        self.control("POST", f"/returns/{return_gid}/approve")

    def shopify_return_status(self, return_gid: str) -> str:
        return str(self.shop.state.returns[int(return_gid.rsplit("/", 1)[1])].status)

    def webhook_faults(self, **faults: Any) -> None:
        """The sandbox's delivery knobs: duplicate_rate, drop_rate, reorder, delay…"""
        self.control("PUT", "/webhooks/faults", faults)

    # --- the hub ----------------------------------------------------------------------------------------

    def cli(self, *args: str) -> str:
        """Run a `crossdock` command against this hub, as an operator would; its output."""
        from crossdock.cli import app

        result = CliRunner().invoke(app, ["--config", str(self.config), *args], env=self.environ)
        # The command pointed the process's logs at its own captured output, closed once it returned.
        self._log_to_folder()
        if result.exit_code != 0:
            raise RuntimeError(f"crossdock {' '.join(args)} failed ({result.exit_code}): {result.output}")
        return str(result.output)

    def _log_to_folder(self) -> None:
        configure_logging(level="info", stream=self.log)

    def order(self, name: str) -> StoredOrder | None:
        with UnitOfWork(self.engine) as uow:
            found = uow.orders.by_name(name)
        return found[0] if found else None

    def status(self, name: str) -> str | None:
        order = self.order(name)
        return None if order is None else order.state.status

    def reaches(self, name: str, status: str, timeout: float = 30.0) -> StoredOrder:
        def check() -> StoredOrder | None:
            order = self.order(name)
            return order if order is not None and order.state.status == status else None

        return self.wait_for(check, f"order {name} to be {status.replace('_', ' ')} in the hub", timeout)

    def timeline(self, name: str) -> list[str]:
        """The order's timeline entries' kinds, oldest first."""
        order = self.order(name)
        if order is None:
            return []
        with UnitOfWork(self.engine) as uow:
            return [
                e.kind for e in uow.order_events.timeline(order.account_id, order.order.shopify_global_id)
            ]

    def exceptions(self, kind: str, status: str | None = "open") -> list[ExceptionRecord]:
        with UnitOfWork(self.engine) as uow:
            return uow.exceptions.list(type=kind, status=status)  # type: ignore[arg-type]

    def warehouse_keys(self, name: str) -> list[str]:
        order = self.order(name)
        if order is None:
            return []
        with UnitOfWork(self.engine) as uow:
            return [placed.order_key for placed in uow.warehouse_orders.of_order(order.id)]

    # --- the 3PL ----------------------------------------------------------------------------------------

    def at_warehouse(self, key: str) -> Any:
        def check() -> Any:
            try:
                return self.loop.call(lambda: self.site.simulation.order(key))
            except Exception:
                return None

        return self.wait_for(check, f"the 3PL to receive {key}")

    def pick(self, key: str) -> None:
        self.loop.call(lambda: self.site.simulation.pick_now(key))

    def ship(self, key: str, lines: dict[str, int] | None = None) -> None:
        self.loop.call(lambda: self.site.simulation.ship_now(key, lines))

    def set_stock(self, sku: str, units: int) -> None:
        self.loop.call(lambda: self.site.simulation.set_stock(sku, units))

    def snapshot(self, stock: dict[str, int]) -> None:
        """The 3PL counts: ``stock`` is what it holds, and its 846 says so."""

        def count() -> None:
            for sku, units in stock.items():
                self.site.simulation.set_stock(sku, units)
            self.site.simulation.snapshot_now()

        self.loop.call(count)

    def adjust(self, sku: str, change: int, reason: AdjustmentReason) -> None:
        """The 3PL finds units damaged, lost or found: a 947."""
        self.loop.call(lambda: self.site.simulation.adjust(sku, change, reason))

    def expects_return(self, rma_key: str) -> bool:
        expected = self.loop.call(lambda: self.site.simulation.returns())
        return any(each.authorisation.key == rma_key for each in expected)

    def receive_return(self, rma_key: str, damaged: dict[str, int]) -> None:
        self.loop.call(lambda: self.site.simulation.receive_return_now(rma_key, damaged))

    def outage(self, on: bool) -> None:
        self.loop.call(lambda: setattr(self.site, "outage", on))

    def files_received(self, prefix: str) -> list[str]:
        """The files of the 3PL's inbox it has read, named ``prefix``…"""
        folder = self.site.root / "sftp" / "in" / "archive"
        return (
            sorted(p.name for p in folder.iterdir() if p.name.startswith(prefix)) if folder.exists() else []
        )


@contextmanager
def stage(
    folder: Path,
    *,
    time_scale: float = 1.0,
    plan: PlanName = "advanced",
    extra_config: str = "",
    database_url: str | None = None,
) -> Iterator[Stage]:
    """A new stage in ``folder``, torn down when the block ends. The hub's database is a SQLite file there
    unless ``database_url`` names an empty one (the test suite's PostgreSQL run)."""
    folder.mkdir(parents=True, exist_ok=True)
    state = ShopState(ShopInfo(7, "Rehearsal Outdoor", DOMAIN))
    location = state.add_location(LOCATION)
    for sku, units in {**CATALOG, **KITS}.items():
        state.add_product(sku.title(), [(sku, "49.00", {location.id: units})])
    shop = ShopifySandbox(state, PLANS[plan], webhooks=WebhookService(SECRET))
    with ExitStack() as stack:
        loop = BackgroundLoop()
        stack.callback(loop.close)
        site = X12ThreePlSandbox.open(
            folder / "3pl",
            partner=PARTNER,
            warehouse=WAREHOUSE,
            knobs=KNOBS,
            username=SFTP_USER,
            password=SFTP_PASSWORD,
            poll_seconds=0.1,
            initial_stock=dict(CATALOG),
        )
        sftp_port = loop.run(site.start("127.0.0.1", 0))
        stack.callback(lambda: loop.run(site.stop()))
        known_hosts = folder / "known_hosts"
        known_hosts.write_text(site.sftp.known_hosts_line("127.0.0.1", sftp_port), encoding="utf-8")
        shop_url = stack.enter_context(serving(create_sandbox_app(shop, access_token=TOKEN)))
        web_port = free_port()
        config = folder / "crossdock.toml"
        config.write_text(
            _hub_config(
                folder, shop_url=shop_url, web_port=web_port, sftp_port=sftp_port, known_hosts=known_hosts
            )
            + extra_config,
            encoding="utf-8",
        )
        environ = {
            "CROSSDOCK_DATABASE_URL": database_url or f"sqlite:///{folder / 'hub.db'}",
            f"CROSSDOCK_SHOPS__{SHOP.upper()}__ACCESS_TOKEN": TOKEN,
            f"CROSSDOCK_SHOPS__{SHOP.upper()}__APP_SECRET": SECRET,
            "CROSSDOCK_WAREHOUSES__EAST_3PL__SFTP_PASSWORD": SFTP_PASSWORD,
        }
        settings = load_settings(config, environ=environ)
        engine = create_engine(settings.database.url)
        stack.callback(engine.dispose)
        log = stack.enter_context((folder / "stage.log").open("a", encoding="utf-8"))
        # Logs go back to the terminal once the stage is gone (before its file is closed).
        stack.callback(configure_logging, level="warning")
        played = Stage(shop, shop_url, site, loop, settings, engine, config, environ, time_scale, log)
        played._log_to_folder()
        played.cli("shopify", "connect", SHOP)
        played.cli("shopify", "import-catalog", SHOP)
        from crossdock.web.app import create_app

        stack.enter_context(serving(create_app(settings), port=web_port))
        yield played


def _hub_config(folder: Path, *, shop_url: str, web_port: int, sftp_port: int, known_hosts: Path) -> str:
    return f"""
[log]
level = "warning"

[jobs]
poll_interval_ms = 20
heartbeat_seconds = 0.5
worker_concurrency = 8

[[accounts]]
id = "{ACCOUNT}"
name = "Rehearsal Outdoor"

[web]
public_url = "http://127.0.0.1:{web_port}"

[shopify]
poll_interval_seconds = 10
poll_overlap_seconds = 60

[shops.{SHOP}]
domain = "{DOMAIN}"
account = "{ACCOUNT}"
api_url = "{shop_url}"

[warehouses.{WAREHOUSE}]
name = "{LOCATION}"
accounts = ["{ACCOUNT}"]
shopify_locations = ["{LOCATION}"]

[warehouses.{WAREHOUSE}.sftp]
host = "127.0.0.1"
port = {sftp_port}
username = "{SFTP_USER}"
known_hosts_file = "{known_hosts}"

[warehouses.{WAREHOUSE}.x12]
sender_id = "{PARTNER.sender_id}"
receiver_id = "{PARTNER.receiver_id}"
usage = "T"
poll_interval_seconds = 1
stable_seconds = 0
"""
