"""Orders end to end, over real HTTP and SFTP: the Shopify sandbox sends signed webhooks to the hub, the hub
sends 940s to the X12 3PL sandbox over SFTP, the 3PL answers with 870s and 945s, and the hub fulfils the
orders in the Shopify sandbox with their tracking."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
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
from crossdock.connectors.x12.model import Party
from crossdock.domain.warehouse import Shipped
from crossdock.jobs.engine import make_client
from crossdock.jobs.enqueuer import DbosEnqueuer
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from crossdock.sandbox.shopify.webhooks.delivery import WebhookService
from crossdock.sandbox.warehouse import SimulationKnobs
from crossdock.sandbox.x12_3pl import X12ThreePlSandbox
from crossdock.store.engine import create_engine
from crossdock.store.orders import StoredOrder
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from crossdock.web.app import create_app
from tests.conftest import write_config
from tests.support.background_loop import BackgroundLoop
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
        interchange = build_interchange(
            sender=Party("ZZ", PARTNER.receiver_id),
            receiver=Party("ZZ", PARTNER.sender_id),
            gs_sender=PARTNER.gs_receiver,
            gs_receiver=PARTNER.gs_sender,
            version=PARTNER.version,
            usage="T",
            interchange_control=900001,
            group_control=900001,
            sets=[("945", "SW", write_945(shipped, partner=PARTNER, order_name=order_name))],
            now=shipped.occurred_at,
        )
        outbox = self.site.root / "sftp" / "out"
        (outbox / ".945_correction.part").write_bytes(write_interchange(interchange))
        (outbox / ".945_correction.part").rename(outbox / "945_correction.edi")

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


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
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


def test_an_order_reaches_the_3pl_once_and_its_shipment_is_fulfilled_with_tracking(world: World) -> None:
    placed = world.place({"TENT-2P": 2, "STOVE-1": 1})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    simulated = world.at_warehouse(key)
    assert {line.sku: line.quantity for line in simulated.order.lines} == {"TENT-2P": 2, "STOVE-1": 1}
    assert world.status_metafield(gid) in ("accepted", "sent")
    world.ship(key)
    world.reaches(name, "shipped")
    (fulfillment,) = wait_for(lambda: world.fulfillments(gid), "the Shopify fulfillment")
    assert sum(item.quantity for item in fulfillment.line_items) == 3
    assert fulfillment.tracking and fulfillment.tracking[0].number
    assert fulfillment.tracking[0].company in ("UPS", "FedEx", "USPS", "DHL Express")
    wait_for(lambda: world.status_metafield(gid) == "shipped", "the status metafield to say shipped")
    assert len(world.files_received("940")) == 1
    timeline = world.timeline(name)
    assert any(entry.startswith("routed:") for entry in timeline)
    assert any(entry.startswith("fulfilled_in_shopify:") for entry in timeline)


def test_a_partial_shipment_then_the_rest_make_two_fulfillments_and_a_fulfilled_order(world: World) -> None:
    placed = world.place({"TENT-2P": 3})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    world.ship(key, {"TENT-2P": 1})
    world.reaches(name, "partially_shipped")
    wait_for(lambda: len(world.fulfillments(gid)) == 1, "the first fulfillment")
    world.ship(key)
    world.reaches(name, "shipped")
    fulfillments = wait_for(
        lambda: world.fulfillments(gid) if len(world.fulfillments(gid)) == 2 else None, "two"
    )
    assert sorted(sum(item.quantity for item in f.line_items) for f in fulfillments) == [1, 2]
    order = world.shopify_order(gid)
    remaining = sum(
        item.remaining_quantity
        for number in order.fulfillment_order_ids
        for item in world.shop.state.fulfillment_orders[number].line_items
    )
    assert remaining == 0


def test_a_cancellation_before_picking_is_confirmed_by_the_3pl(world: World) -> None:
    placed = world.place({"STOVE-1": 1})
    name = placed["name"]
    world.reaches(name, "accepted")
    world.at_warehouse(world.warehouse_key(name))
    world.control("POST", f"/orders/{placed['id']}/cancel", {"reason": "CUSTOMER"})
    world.reaches(name, "cancelled")
    assert len(world.files_received("940")) == 2  # the order (purpose N), then its cancellation (F)
    assert world.exceptions("cancel_refused") == []


def test_a_cancellation_after_picking_is_refused_and_becomes_an_exception(world: World) -> None:
    placed = world.place({"STOVE-1": 1})
    name = placed["name"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    world.pick(key)
    world.reaches(name, "in_preparation")
    world.control("POST", f"/orders/{placed['id']}/cancel", {"reason": "CUSTOMER"})
    world.reaches(name, "cancel_refused")
    (refusal,) = wait_for(lambda: world.exceptions("cancel_refused"), "the cancel_refused exception")
    assert name in refusal.message
    # The warehouse ships what it had picked. Shopify closed the cancelled order's fulfillment orders, so
    # nothing can be fulfilled there: the timeline says so, and the exception stays open for a return.
    world.ship(key)
    world.reaches(name, "shipped")
    attempt = wait_for(
        lambda: [e for e in world.timeline(name) if e.startswith("fulfilled_in_shopify:")], "the attempt"
    )
    assert "the order was cancelled in Shopify; shipped 1 x STOVE-1" in attempt[0]
    assert world.fulfillments(placed["id"]) == []


def test_an_edit_before_picking_is_sent_as_a_change(world: World) -> None:
    placed = world.place({"TENT-2P": 1})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    (line,) = world.shopify_order(gid).line_items
    world.control(
        "POST",
        f"/orders/{gid}/edit",
        {"set_quantities": {str(line.id): 2}, "add_lines": [{"sku": "STOVE-1", "quantity": 1}]},
    )

    def lines_at_3pl() -> dict[str, int] | None:
        simulated = world.loop.call(lambda: world.site.simulation.order(key))
        found = {item.sku: item.quantity for item in simulated.order.lines}
        return found if found == {"TENT-2P": 2, "STOVE-1": 1} else None

    wait_for(lines_at_3pl, "the change to reach the 3PL")
    assert world.status(name) == "accepted"
    world.ship(key)
    world.reaches(name, "shipped")


def test_an_edit_after_picking_is_a_late_modification(world: World) -> None:
    placed = world.place({"TENT-2P": 1})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    world.pick(key)
    world.reaches(name, "in_preparation")
    (line,) = world.shopify_order(gid).line_items
    world.control("POST", f"/orders/{gid}/edit", {"set_quantities": {str(line.id): 2}})
    (late,) = wait_for(lambda: world.exceptions("late_modification"), "the late_modification exception")
    assert name in late.message
    assert len(world.files_received("940")) == 1


def test_an_unpaid_order_waits_until_it_is_paid(world: World) -> None:
    placed = world.place({"STOVE-1": 1}, financial_status="PENDING")
    name = placed["name"]
    held = world.reaches(name, "on_hold")
    assert held.state.holds == frozenset({"unpaid"})
    assert world.files_received("940") == []
    world.control("POST", f"/orders/{placed['id']}/pay")
    world.reaches(name, "accepted")


def test_duplicated_and_reordered_webhooks_send_one_order(world: World) -> None:
    world.control("PUT", "/webhooks/faults", {"duplicate_rate": 1.0, "reorder": True})
    placed = world.place({"TENT-3P": 1})
    world.reaches(placed["name"], "accepted")
    time.sleep(1.5)  # the duplicates and any late delivery arrive
    assert len(world.files_received("940")) == 1
    assert world.status(placed["name"]) == "accepted"


def test_an_unknown_sku_waits_for_an_alias_then_is_dispatched(world: World) -> None:
    # A product created in Shopify after the catalog was imported: its SKU is unknown to the hub.
    location = next(iter(world.shop.state.locations.values()))
    world.shop.state.add_product("Lantern", [("LANTERN-OLD", "19.00", {location.id: 10})])
    placed = world.place({"LANTERN-OLD": 1})
    name = placed["name"]
    (problem,) = wait_for(lambda: world.exceptions("unknown_sku"), "the unknown_sku exception")
    assert problem.details["unknown_skus"] == ["LANTERN-OLD"]
    assert world.status(name) == "received"
    world.cli("skus", "alias", "LANTERN-OLD", "STOVE-1", "--account", "acme")
    world.reaches(name, "accepted")
    simulated = world.at_warehouse(world.warehouse_key(name))
    assert [item.sku for item in simulated.order.lines] == ["STOVE-1"]
    assert [problem.status for problem in world.exceptions("unknown_sku", status=None)] == ["resolved"]


def test_a_bundle_is_sent_as_its_components_and_fulfilled_as_the_bundle(world: World) -> None:
    with UnitOfWork(world.engine) as uow:
        uow.sku_mappings.replace_bundle("acme", "CAMP-KIT", {"TENT-2P": 1, "STOVE-1": 2})
        uow.commit()
    placed = world.place({"CAMP-KIT": 2})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    simulated = world.at_warehouse(key)
    assert {item.sku: item.quantity for item in simulated.order.lines} == {"TENT-2P": 2, "STOVE-1": 4}
    world.ship(key)
    world.reaches(name, "shipped")
    (fulfillment,) = wait_for(lambda: world.fulfillments(gid), "the bundle's fulfillment")
    assert [item.quantity for item in fulfillment.line_items] == [2]


def test_a_dispatch_repeated_after_a_crash_sends_no_second_order(world: World) -> None:
    placed = world.place({"TENT-2P": 1})
    name = placed["name"]
    world.reaches(name, "accepted")
    order = world.order(name)
    assert order is not None
    with UnitOfWork(world.engine) as uow:
        (part,) = uow.warehouse_orders.of_order(order.id)
    # The dispatch job runs again, as after a crash between the upload and its commit.
    with UnitOfWork(world.engine, DbosEnqueuer(world.jobs)) as uow:
        uow.enqueue(
            JobRequest(
                job="orders.dispatch",
                key="replayed-after-crash",
                args={"warehouse_order_id": part.id, "action": "send"},
                partition=WAREHOUSE,
            )
        )
        uow.commit()
    wait_for(
        lambda: any("(already sent)" in entry for entry in world.timeline(name)),
        "the repeated dispatch to end",
    )
    assert len(world.files_received("940")) == 1
    assert world.loop.call(lambda: len(world.site.simulation.orders())) == 1


def test_a_webhook_the_shop_dropped_is_recovered_by_the_poll_and_dispatched(world: World) -> None:
    world.control("PUT", "/webhooks/faults", {"drop_rate": 1.0})
    placed = world.place({"STOVE-1": 2})
    time.sleep(0.5)
    assert world.order(placed["name"]) is None
    with UnitOfWork(world.engine, DbosEnqueuer(world.jobs)) as uow:
        uow.enqueue(
            JobRequest(
                job="shopify.poll_orders", key="poll-now", args={"shop": "acme-main"}, partition=DOMAIN
            )
        )
        uow.commit()
    world.reaches(placed["name"], "accepted")


def test_a_manual_hold_stops_an_order_until_released(world: World) -> None:
    placed = world.place({"STOVE-1": 1}, financial_status="PENDING")
    name = placed["name"]
    world.reaches(name, "on_hold")
    world.cli("orders", "hold", name, "--note", "address to confirm with the buyer")
    held = wait_for(
        lambda: (found := world.order(name)) and found.state.holds == {"unpaid", "manual"} and found,
        "both holds",
    )
    assert held.state.status == "on_hold"
    # Paid: the payment hold goes, the manual one stays.
    world.control("POST", f"/orders/{placed['id']}/pay")
    wait_for(lambda: (found := world.order(name)) and found.state.holds == {"manual"}, "the payment release")
    time.sleep(1)
    assert world.files_received("940") == []
    world.cli("orders", "release", name)
    world.reaches(name, "accepted")


def test_corrected_tracking_replaces_the_fulfillments_tracking(world: World) -> None:
    placed = world.place({"TENT-3P": 1})
    name, gid = placed["name"], placed["id"]
    world.reaches(name, "accepted")
    key = world.warehouse_key(name)
    world.at_warehouse(key)
    world.ship(key)
    wait_for(lambda: world.fulfillments(gid), "the fulfillment")
    shipment = world.shipment_of(name)
    corrected = replace(
        shipment,
        occurred_at=shipment.occurred_at,
        parcels=(replace(shipment.parcels[0], tracking_number="1Z999AA10000000001"),),
    )
    world.warehouse_sends_945(corrected, order_name=name)
    wait_for(
        lambda: [info.number for info in world.fulfillments(gid)[0].tracking] == ["1Z999AA10000000001"],
        "the corrected tracking in Shopify",
    )
    assert len(world.fulfillments(gid)) == 1


def test_an_order_cancelled_while_its_warehouse_is_unreachable_is_never_sent(world: World) -> None:
    world.loop.call(lambda: setattr(world.site.sftp, "outage", True))
    placed = world.place({"TENT-2P": 1})
    name = placed["name"]
    # Routed, its 940 recorded, the upload failing while the 3PL's server is down.
    wait_for(lambda: any(e.startswith("routed:") for e in world.timeline(name)), "the routing")
    world.control("POST", f"/orders/{placed['id']}/cancel", {"reason": "CUSTOMER"})
    world.reaches(name, "cancelled")
    world.loop.call(lambda: setattr(world.site.sftp, "outage", False))
    wait_for(
        lambda: (
            any(
                "cancelled before it was dispatched" in e or "cancellation follows" in e
                for e in world.timeline(name)
            )
            or None
        ),
        "the queued dispatch to run again",
        timeout=60,
    )
    time.sleep(1)
    names = world.files_received("940")
    # Either nothing reached the 3PL, or (the upload had gone through) its cancellation followed it.
    assert (
        names == []
        or world.loop.call(lambda: world.site.simulation.order(world.warehouse_key(name)).status)
        == "cancelled"
    )
