"""A hub wired to both sandboxes over real HTTP and SFTP, for end-to-end tests: the Shopify sandbox sends
signed webhooks to the hub, the hub sends 940s to the X12 3PL sandbox, which answers with 870s, 945s, 846s
and 947s."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import sqlalchemy as sa
from dbos import DBOSClient
from typer.testing import CliRunner

from crossdock.cli import app as cli
from crossdock.config import Settings, X12PartnerSettings, load_settings
from crossdock.connectors.x12.codec import build_interchange, write_interchange
from crossdock.connectors.x12.documents.shipping_advice_945 import write_945
from crossdock.connectors.x12.documents.warehouse_receipt_944 import write_944
from crossdock.connectors.x12.model import Party, Segment
from crossdock.domain.warehouse import ReturnReceived, Shipped
from crossdock.jobs.engine import make_client
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from crossdock.sandbox.shopify.webhooks.delivery import WebhookService
from crossdock.sandbox.warehouse import SimulationKnobs
from crossdock.sandbox.x12_3pl import X12ThreePlSandbox
from crossdock.scenarios.background_loop import BackgroundLoop
from crossdock.store.engine import create_engine
from crossdock.store.orders import StoredOrder
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.app import create_app
from tests.conftest import write_config
from tests.support.servers import free_port, serving

T = TypeVar("T")

TOKEN = "shpat_order_flow"
SECRET = "order-flow-app-secret"
DOMAIN = "acme.myshopify.com"
WAREHOUSE = "east-3pl"
SFTP_USER = "hub"
SFTP_PASSWORD = "order-flow-sftp"
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
KNOBS = SimulationKnobs(
    acknowledge_delay_seconds=0,
    pick_delay_seconds=3600,
    ship_delay_seconds=3600,
    snapshot_interval_seconds=0,
    adjustment_rate=0,
    return_delay_seconds=3600,
)


def wait_for(check: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@dataclass
class World:
    shop: ShopifySandbox
    shop_url: str
    site: X12ThreePlSandbox
    loop: BackgroundLoop
    settings: Settings
    engine: sa.Engine
    config: Path
    environ: dict[str, str]
    jobs: DBOSClient

    # --- Shopify side -----------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(
            method, f"{self.shop_url}/_sandbox{path}", json=body, headers={"X-Shopify-Access-Token": TOKEN}
        )
        assert response.status_code < 300, response.text
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

    # --- the hub ------------------------------------------------------------------------------------------

    def cli(self, *args: str) -> Any:
        result = CliRunner().invoke(cli, ["--config", str(self.config), *args], env=self.environ)
        assert result.exit_code == 0, result.output
        return result

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

        try:
            return wait_for(check, f"order {name} to be {status}", timeout)
        except pytest.fail.Exception:
            print(self.timeline(name))
            raise

    def timeline(self, name: str) -> list[str]:
        order = self.order(name)
        if order is None:
            return []
        with UnitOfWork(self.engine) as uow:
            return [
                f"{e.kind}: {e.message}"
                for e in uow.order_events.timeline(order.account_id, order.order.shopify_global_id)
            ]

    def exceptions(self, kind: str, status: str | None = "open") -> list[Any]:
        with UnitOfWork(self.engine) as uow:
            return uow.exceptions.list(type=kind, status=status)  # type: ignore[arg-type]

    def warehouse_key(self, name: str) -> str:
        order = self.order(name)
        assert order is not None
        with UnitOfWork(self.engine) as uow:
            (placed,) = uow.warehouse_orders.of_order(order.id)
        return placed.order_key

    def shipment_of(self, name: str) -> Shipped:
        order = self.order(name)
        assert order is not None
        with UnitOfWork(self.engine) as uow:
            (part,) = uow.warehouse_orders.of_order(order.id)
            (shipment,) = uow.shipments.of_warehouse_order(part.id)
        return shipment.shipped

    # --- the 3PL ------------------------------------------------------------------------------------------

    def warehouse_sends_945(self, shipped: Shipped, *, order_name: str) -> None:
        """A 945 the 3PL writes by hand (a correction), into the folder the hub collects."""
        sets = [("945", "SW", write_945(shipped, partner=PARTNER, order_name=order_name))]
        self.warehouse_writes(
            "945_correction.edi", self.partner_interchange(sets, 900001, shipped.occurred_at)
        )

    def warehouse_sends_944(self, received: ReturnReceived) -> None:
        """A 944 the 3PL writes by hand (goods its simulation would not receive), into the folder the hub
        collects."""
        sets = [("944", "RE", write_944(received, partner=PARTNER))]
        self.warehouse_writes("944_by_hand.edi", self.partner_interchange(sets, 900002, received.occurred_at))

    def partner_interchange(
        self, sets: Sequence[tuple[str, str, Sequence[Segment]]], control: int, now: datetime
    ) -> bytes:
        """A file as the 3PL writes it: its ids as sender, the hub's as receiver."""
        interchange = build_interchange(
            sender=Party("ZZ", PARTNER.receiver_id),
            receiver=Party("ZZ", PARTNER.sender_id),
            gs_sender=PARTNER.gs_receiver,
            gs_receiver=PARTNER.gs_sender,
            version=PARTNER.version,
            usage="T",
            interchange_control=control,
            group_control=control,
            sets=sets,
            now=now,
        )
        return write_interchange(interchange)

    def warehouse_writes(self, name: str, data: bytes) -> None:
        """A file in the folder the hub collects, written whole (under a hidden name, then renamed)."""
        outbox = self.site.root / "sftp" / "out"
        (outbox / f".{name}.part").write_bytes(data)
        (outbox / f".{name}.part").rename(outbox / name)

    def at_warehouse(self, key: str) -> Any:
        def check() -> Any:
            try:
                return self.loop.call(lambda: self.site.simulation.order(key))
            except Exception:
                return None

        return wait_for(check, f"the 3PL to receive {key}")

    def ship(self, key: str, lines: dict[str, int] | None = None) -> None:
        self.loop.call(lambda: self.site.simulation.ship_now(key, lines))

    def pick(self, key: str) -> None:
        self.loop.call(lambda: self.site.simulation.pick_now(key))

    def files_received(self, prefix: str) -> list[str]:
        folder = self.site.root / "sftp" / "in" / "archive"
        return (
            sorted(path.name for path in folder.iterdir() if path.name.startswith(prefix))
            if folder.exists()
            else []
        )


@contextmanager
def open_world(
    tmp_path: Path,
    database_url: str,
    *,
    shopify_locations: bool = False,
    extra_config: str = "",
    warehouse_countries: tuple[str, ...] = (),
) -> Iterator[World]:
    """Both sandboxes and the hub wired together; with ``shopify_locations``, the warehouse feeds the
    Shopify location's stock; ``warehouse_countries`` limits where it ships (everywhere by default);
    ``extra_config`` is appended to the hub's crossdock.toml."""
    countries = ", ".join(f'"{code}"' for code in warehouse_countries)
    state = ShopState(ShopInfo(7, "Acme Outdoor", DOMAIN))
    location = state.add_location("East Coast Fulfilment")
    state.add_product(
        "Trail tent", [("TENT-2P", "199.00", {location.id: 50}), ("TENT-3P", "249.00", {location.id: 50})]
    )
    state.add_product("Stove", [("STOVE-1", "49.00", {location.id: 50})])
    state.add_product("Camp kit", [("CAMP-KIT", "229.00", {location.id: 50})])
    shop = ShopifySandbox(state, PLANS["advanced"], webhooks=WebhookService(SECRET))
    loop = BackgroundLoop()
    site = X12ThreePlSandbox.open(
        tmp_path / "3pl",
        partner=PARTNER,
        warehouse=WAREHOUSE,
        knobs=KNOBS,
        username=SFTP_USER,
        password=SFTP_PASSWORD,
        poll_seconds=0.1,
        initial_stock={"TENT-2P": 50, "TENT-3P": 50, "STOVE-1": 50},
    )
    sftp_port = loop.run(site.start("127.0.0.1", 0))
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(site.sftp.known_hosts_line("127.0.0.1", sftp_port), encoding="utf-8")
    web_port = free_port()
    try:
        with serving(create_sandbox_app(shop, access_token=TOKEN)) as shop_url:
            config = write_config(tmp_path)
            with config.open("a", encoding="utf-8") as written:
                written.write(
                    f"""
[web]
public_url = "http://127.0.0.1:{web_port}"

[shops.acme-main]
domain = "{DOMAIN}"
account = "acme"
api_url = "{shop_url}"

[warehouses.{WAREHOUSE}]
name = "East Coast Fulfilment"
accounts = ["acme"]

{'shopify_locations = ["East Coast Fulfilment"]' if shopify_locations else ""}
countries = [{countries}]

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

{extra_config}
"""
                )
            environ = {
                "CROSSDOCK_DATABASE_URL": database_url,
                "CROSSDOCK_SHOPS__ACME_MAIN__ACCESS_TOKEN": TOKEN,
                "CROSSDOCK_SHOPS__ACME_MAIN__APP_SECRET": SECRET,
                "CROSSDOCK_WAREHOUSES__EAST_3PL__SFTP_PASSWORD": SFTP_PASSWORD,
            }
            settings = load_settings(config, environ=environ)
            engine = create_engine(database_url)
            jobs = make_client(settings)
            world = World(shop, shop_url, site, loop, settings, engine, config, environ, jobs)
            world.cli("shopify", "connect", "acme-main")
            world.cli("shopify", "import-catalog", "acme-main")
            try:
                with serving(create_app(settings), port=web_port):
                    yield world
            finally:
                jobs.destroy()
                engine.dispose()
    finally:
        loop.run(site.stop())
        loop.close()
