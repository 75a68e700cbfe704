"""Why a SKU shows what it shows in Shopify (`crossdock stock show`, GET /api/stock/{sku}), on the suite's
database with stock built directly through the repositories: every term of the sum at each location, the
bundle's components, the Shopify side and the ledger, and a total equal to what recompute sets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.config import Settings, load_settings
from crossdock.domain.inventory import NEVER_COUNTED, StockPosition
from crossdock.domain.orders import Address, Order, OrderLine
from crossdock.domain.warehouse import WarehouseOrder, WarehouseOrderLine
from crossdock.flows.stock_levels import recompute
from crossdock.flows.stock_report import stock_report
from crossdock.hub import prepare_database
from crossdock.store.shops import DeclaredShop, ShopLocation
from crossdock.store.skus import VariantRegistration
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.app import create_app
from tests.conftest import write_config
from tests.support.api_tokens import bearer

MOMENT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
EU = DeclaredShop(key="acme-eu", domain="acme-eu.myshopify.com", account_id="acme")
GLOBEX = DeclaredShop(key="globex", domain="globex.myshopify.com", account_id="globex")
MAIN = "gid://shopify/Location/1"
OUTLET = "gid://shopify/Location/2"
POPUP = "gid://shopify/Location/3"
ITEMS = {"TENT-2P": "2001", "MUG": "2002", "CAMP-KIT": "2003"}
PASSWORDS = {f"CROSSDOCK_WAREHOUSES__{key}__SFTP_PASSWORD": "secret" for key in ("EAST", "WEST")}

# Main is fed by both warehouses (named by its name), Outlet by west only (named by its id), Popup by none.
WAREHOUSES = """
[[accounts]]
id = "globex"
name = "Globex"

[inventory]
safety_stock = 1
safety_stock_per_sku = { "TENT-2P" = 2 }

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

[warehouses.west]
name = "West 3PL"
accounts = ["acme"]
shopify_locations = ["Main", "gid://shopify/Location/2"]

[warehouses.west.sftp]
host = "127.0.0.1"
username = "hub"

[warehouses.west.x12]
sender_id = "ACMEHUB"
receiver_id = "WEST3PL"
"""


@dataclass
class Hub:
    config: Path
    database_url: str
    settings: Settings
    engine: sa.Engine
    shop_id: int

    def invoke(self, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            app,
            ["--config", str(self.config), *args],
            env={"CROSSDOCK_DATABASE_URL": self.database_url, **PASSWORDS},
        )
        return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def hub(tmp_path: Path, database_url: str) -> Iterator[Hub]:
    config = write_config(tmp_path)
    with config.open("a", encoding="utf-8") as written:
        written.write(WAREHOUSES)
    settings = load_settings(config, environ={"CROSSDOCK_DATABASE_URL": database_url, **PASSWORDS})
    engine = prepare_database(settings)
    with UnitOfWork(engine) as uow:
        uow.shops.ensure([EU, GLOBEX])
        eu = uow.shops.by_domain(EU.domain)
        globex = uow.shops.by_domain(GLOBEX.domain)
        assert eu is not None and globex is not None
        uow.shops.replace_locations(
            eu.id,
            [
                ShopLocation(location_id, name, True, True, False, {})
                for location_id, name in ((MAIN, "Main"), (OUTLET, "Outlet"), (POPUP, "Popup"))
            ],
        )
        for sku, item in ITEMS.items():
            uow.skus.register("acme", eu.id, variant(sku, item))
        uow.skus.register("globex", globex.id, variant("GLOBEX-LAMP", "9001"))
        uow.sku_mappings.replace_bundle("acme", "CAMP-KIT", {"TENT-2P": 1, "MUG": 2})
        uow.commit()
    try:
        yield Hub(config, database_url, settings, engine, eu.id)
    finally:
        engine.dispose()


def variant(sku: str, item: str) -> VariantRegistration:
    return VariantRegistration(
        sku=sku,
        title=sku,
        barcode=None,
        variant_id=item,
        inventory_item_id=item,
        product_id=item,
        product_title=sku,
        variant_title="Default",
    )


def dispatch(uow: UnitOfWork, shop_id: int, code: str, key: str, units: dict[str, int], at: datetime) -> int:
    """A warehouse order of ``units`` sent to ``code``, its units reserved ``at``."""
    lines = tuple(
        OrderLine(
            line_id=str(line_number),
            sku=sku,
            quantity=quantity,
            variant_id=None,
            title=sku,
            variant_title=None,
            requires_shipping=True,
        )
        for line_number, (sku, quantity) in enumerate(units.items())
    )
    number = key.partition("-")[0]
    order = Order(
        shopify_order_id=number,
        name=f"#{number}",
        source_version=MOMENT,
        created_at=MOMENT,
        currency="EUR",
        email=None,
        lines=lines,
        shipping_address=Address(city="Lyon", country_code="FR"),
        shipping_method=None,
        tags=(),
        financial_status="paid",
        cancelled_at=None,
        cancel_reason=None,
        note=None,
    )
    order_id = uow.orders.insert(account_id="acme", shop_id=shop_id, order=order)
    warehouse = uow.warehouses.by_code(code)
    assert order_id is not None and warehouse is not None
    placed = uow.warehouse_orders.add(
        account_id="acme",
        order_id=order_id,
        warehouse_id=warehouse.id,
        order=WarehouseOrder(
            key=key,
            warehouse=code,
            shopify_order_id=number,
            order_name=f"#{number}",
            ordered_at=MOMENT,
            ship_to_name="Ada",
            ship_to=Address(city="Lyon", country_code="FR"),
            lines=tuple(
                WarehouseOrderLine(line_number, sku, quantity)
                for line_number, (sku, quantity) in enumerate(units.items(), start=1)
            ),
        ),
    )
    uow.stock.reserve(warehouse_order_id=placed, warehouse_id=warehouse.id, units_by_sku=units, at=at)
    return placed


@dataclass(frozen=True)
class Dispatched:
    counted: int  # east, after east's count: in flight
    before_count: int  # east, before east's count: already off its available
    shipped_after_count: int  # west, shipped after west's count: still in flight


@pytest.fixture
def stocked(hub: Hub) -> Dispatched:
    """East counted 10 tents and 9 mugs at MOMENT, found 3 more tents 2 h later; west counted 5 tents at
    MOMENT + 1 h and has only received 4 mugs since (never counted)."""
    with UnitOfWork(hub.engine) as uow:
        east = uow.warehouses.by_code("east")
        west = uow.warehouses.by_code("west")
        assert east is not None and west is not None
        positions = [
            (east.id, StockPosition("east", "TENT-2P", 13, MOMENT + timedelta(hours=2), counted_at=MOMENT)),
            (east.id, StockPosition("east", "MUG", 9, MOMENT)),
            (west.id, StockPosition("west", "TENT-2P", 5, MOMENT + timedelta(hours=1))),
            (west.id, StockPosition("west", "MUG", 4, MOMENT, counted_at=NEVER_COUNTED)),
        ]
        for warehouse_id, position in positions:
            uow.stock.save_position(warehouse_id, position)
        ledger = [
            (east.id, "TENT-2P", "snapshot", 10, 10, None, "x12/846", "EAST/846/1", MOMENT),
            (
                west.id,
                "TENT-2P",
                "snapshot",
                5,
                5,
                None,
                "x12/846",
                "WEST/846/1",
                MOMENT + timedelta(hours=1),
            ),
            (
                east.id,
                "TENT-2P",
                "adjustment",
                3,
                13,
                "found in aisle 4",
                "x12/947",
                "EAST/947/1",
                MOMENT + timedelta(hours=2),
            ),
        ]
        ledger += [
            (east.id, "MUG", "adjustment", 1, number, "recount", "x12/947", f"EAST/947/M{number}", MOMENT)
            for number in range(1, 26)
        ]
        for warehouse_id, sku, kind, change, after, reason, source_kind, reference, as_of in ledger:
            assert uow.stock.record_change(
                warehouse_id=warehouse_id,
                sku=sku,
                kind=kind,
                change=change,
                available_after=after,
                reason=reason,
                source_kind=source_kind,
                source_reference=reference,
                journal_id=None,
                as_of=as_of,
            )
        counted = dispatch(
            uow, hub.shop_id, "east", "1001-A", {"TENT-2P": 2, "MUG": 2}, MOMENT + timedelta(minutes=30)
        )
        before_count = dispatch(
            uow, hub.shop_id, "east", "1000-Z", {"TENT-2P": 4}, MOMENT - timedelta(hours=1)
        )
        shipped = dispatch(uow, hub.shop_id, "west", "1002-W", {"TENT-2P": 1}, MOMENT + timedelta(minutes=90))
        assert uow.stock.release(shipped, None, MOMENT + timedelta(minutes=100)) == ["TENT-2P"]
        uow.commit()
    return Dispatched(counted, before_count, shipped)


def recomputed(hub: Hub, *skus: str) -> None:
    with UnitOfWork(hub.engine) as uow:
        for sku in skus:
            recompute(uow, hub.settings, "acme", sku)
        uow.commit()


def located(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["location"]["name"]: entry for entry in report["locations"]}


def test_each_term_of_a_sku_s_available_to_sell_is_shown_at_each_location_it_feeds(
    hub: Hub, stocked: Dispatched
) -> None:
    with UnitOfWork(hub.engine) as uow:
        report = stock_report(uow, hub.settings, "acme", "TENT-2P")
    assert report is not None
    assert (report["kind"], report["components"]) == ("simple", None)
    locations = located(report)
    assert list(locations) == ["Main", "Outlet"]  # Popup: no warehouse feeds it, so nothing is sold there
    main = locations["Main"]
    assert main["shop"] == {"id": hub.shop_id, "key": "acme-eu", "domain": EU.domain}
    assert (main["location"]["id"], main["inventory_item_id"]) == (MAIN, "2001")
    east, west = main["warehouses"]
    assert east == {
        "warehouse": "east",
        "available": 13,
        "as_of": (MOMENT + timedelta(hours=2)).isoformat(),
        "counted_at": MOMENT.isoformat(),
        "in_flight": 2,
        # 1000-Z was reserved before east counted: its units are already off the 13.
        "reservations": [
            {
                "warehouse_order_id": stocked.counted,
                "order_key": "1001-A",
                "units": 2,
                "reserved_at": (MOMENT + timedelta(minutes=30)).isoformat(),
                "released_at": None,
            }
        ],
        "contributes": 11,
    }
    # Shipped after west counted: the units are still in west's figure, so still deducted.
    assert (west["available"], west["in_flight"], west["contributes"]) == (5, 1, 4)
    assert [(entry["warehouse_order_id"], entry["order_key"]) for entry in west["reservations"]] == [
        (stocked.shipped_after_count, "1002-W")
    ]
    assert west["reservations"][0]["released_at"] == (MOMENT + timedelta(minutes=100)).isoformat()
    # The SKU's own safety stock (2) wins over the default (1).
    assert (main["safety_stock"], main["available_to_sell"]) == (2, 11 + 4 - 2)
    outlet = locations["Outlet"]
    assert [term["warehouse"] for term in outlet["warehouses"]] == ["west"]
    assert outlet["available_to_sell"] == 4 - 2
    # Nothing recomputed or pushed yet: the hub wants nothing and knows nothing of Shopify.
    assert (main["wanted"], main["shopify_available"], main["pushed_at"]) == (None, None, None)
    assert main["held_by_discrepancy"] is False

    assert [
        (line["warehouse"], line["kind"], line["change"], line["available_after"])
        for line in report["ledger"]
    ] == [
        ("east", "adjustment", 3, 13),
        ("west", "snapshot", 5, 5),
        ("east", "snapshot", 10, 10),
    ]
    assert report["ledger"][0]["reason"] == "found in aisle 4"
    assert report["ledger"][0]["source"] == {"kind": "x12/947", "reference": "EAST/947/1"}
    json.dumps(report)  # the API returns it as it is


def test_a_bundle_shows_each_component_s_terms_and_the_bundles_it_allows(
    hub: Hub, stocked: Dispatched
) -> None:
    with UnitOfWork(hub.engine) as uow:
        report = stock_report(uow, hub.settings, "acme", "CAMP-KIT")
    assert report is not None
    assert (report["kind"], report["components"]) == ("bundle", {"MUG": 2, "TENT-2P": 1})
    main = located(report)["Main"]
    assert main["inventory_item_id"] == "2003"
    mug, tent = main["components"]
    assert (mug["sku"], mug["quantity"], mug["available_to_sell"], mug["bundles"]) == ("MUG", 2, 7 + 4, 5)
    # Components carry no safety stock of their own in a bundle: the tent's 2 does not apply here.
    assert (tent["sku"], tent["available_to_sell"], tent["bundles"]) == ("TENT-2P", 15, 15)
    west_mug = mug["warehouses"][1]
    assert (west_mug["warehouse"], west_mug["available"], west_mug["counted_at"]) == ("west", 4, None)
    assert (main["bundles"], main["safety_stock"], main["available_to_sell"]) == (5, 1, 4)
    outlet = located(report)["Outlet"]
    assert [(part["sku"], part["bundles"]) for part in outlet["components"]] == [("MUG", 2), ("TENT-2P", 4)]
    assert outlet["available_to_sell"] == 2 - 1
    # A bundle has no ledger of its own: its components' newest lines, capped.
    assert len(report["ledger"]) == 20
    assert {line["sku"] for line in report["ledger"]} <= {"MUG", "TENT-2P"}


@pytest.mark.parametrize("sku", ["TENT-2P", "MUG", "CAMP-KIT"])
def test_the_reported_available_to_sell_is_what_recompute_sets(
    hub: Hub, stocked: Dispatched, sku: str
) -> None:
    recomputed(hub, "TENT-2P", "MUG")
    with UnitOfWork(hub.engine) as uow:
        report = stock_report(uow, hub.settings, "acme", sku)
        levels = uow.stock.levels(sku)
    assert report is not None
    reported = {
        (entry["shop"]["id"], entry["location"]["id"], entry["inventory_item_id"]): entry
        for entry in report["locations"]
    }
    wanted = {(level.shop_id, level.location_id, level.inventory_item_id): level.wanted for level in levels}
    assert {key: entry["available_to_sell"] for key, entry in reported.items()} == wanted
    assert all(entry["wanted"] == entry["available_to_sell"] for entry in reported.values())


def test_stock_show_prints_the_terms_the_shopify_side_and_the_json(hub: Hub, stocked: Dispatched) -> None:
    recomputed(hub, "TENT-2P")
    with UnitOfWork(hub.engine) as uow:
        uow.stock.set_known(hub.shop_id, MAIN, "2001", 12, pushed=True)
        uow.commit()

    code, out, err = hub.invoke("stock", "show", "TENT-2P", "--account", "acme")
    assert code == 0, err
    assert out.startswith("TENT-2P  SKU, account acme\n")
    assert f"shop acme-eu (acme-eu.myshopify.com), location Main ({MAIN}), inventory item 2001" in out
    assert (
        "+ east: available 13 (as of 2026-11-28 12:00:00, counted 2026-11-28 10:00:00) - in flight 2 "
        f"(2 of warehouse order {stocked.counted} 1001-A) = 11"
    ) in out
    assert f"in flight 1 (1 of warehouse order {stocked.shipped_after_count} 1002-W) = 4" in out
    assert "safety stock: -2\n    available to sell: 13\n" in out
    assert "hub wants 13; Shopify holds 12 as far as the hub knows (last pushed 20" in out
    assert "hub wants 2; Shopify holds an unknown quantity as far as the hub knows (last pushed -)" in out
    assert (
        "2026-11-28 12:00:00  east TENT-2P adjustment +3 -> 13 (found in aisle 4)  x12/947 EAST/947/1" in out
    )
    assert out.index("adjustment +3") < out.index("snapshot +5") < out.index("snapshot +10")

    code, out, err = hub.invoke("stock", "show", "CAMP-KIT", "--account", "acme")
    assert code == 0, err
    assert "CAMP-KIT  bundle of 2 x MUG, 1 x TENT-2P, account acme" in out
    assert "+ west: available 4 (as of 2026-11-28 10:00:00, never counted) - in flight 0 = 4" in out
    assert "available to sell 11 / 2 = 5 bundle(s)" in out
    assert "bundles the components allow: 5 (the scarcest)" in out

    code, out, err = hub.invoke("stock", "show", "TENT-2P", "--account", "acme", "--json")
    assert code == 0, err
    with UnitOfWork(hub.engine) as uow:
        assert json.loads(out) == stock_report(uow, hub.settings, "acme", "TENT-2P")
    main = located(json.loads(out))["Main"]
    assert (main["wanted"], main["shopify_available"], main["pushed_at"] is not None) == (13, 12, True)


def test_stock_show_refuses_a_sku_the_account_does_not_know(hub: Hub, stocked: Dispatched) -> None:
    code, out, err = hub.invoke("stock", "show", "NOPE", "--account", "acme")
    assert (code, out) == (1, "")
    assert "no SKU NOPE in account acme" in err
    # Registered, but by another account.
    code, _, err = hub.invoke("stock", "show", "GLOBEX-LAMP", "--account", "acme")
    assert code == 1 and "no SKU GLOBEX-LAMP in account acme" in err


def test_the_api_returns_the_report_or_404(hub: Hub, stocked: Dispatched) -> None:
    with TestClient(create_app(hub.settings, role=None), headers=bearer(hub.engine)) as client:
        found = client.get("/api/stock/TENT-2P", params={"account": "acme"})
        missing = client.get("/api/stock/GLOBEX-LAMP", params={"account": "acme"})
        no_account = client.get("/api/stock/TENT-2P")

    assert found.status_code == 200
    with UnitOfWork(hub.engine) as uow:
        assert found.json() == stock_report(uow, hub.settings, "acme", "TENT-2P")
    assert located(found.json())["Main"]["available_to_sell"] == 13
    assert (missing.status_code, missing.json()) == (404, {"detail": "no SKU GLOBEX-LAMP in account acme"})
    assert no_account.status_code == 422


def test_the_ledger_shows_the_20_newest_lines_newest_first(hub: Hub, stocked: Dispatched) -> None:
    with UnitOfWork(hub.engine) as uow:
        report = stock_report(uow, hub.settings, "acme", "MUG")
    assert report is not None
    assert [line["source"]["reference"] for line in report["ledger"]] == [
        f"EAST/947/M{number}" for number in range(25, 5, -1)
    ]


def test_a_release_stamped_before_its_reservation_is_taken_at_the_reservation(hub: Hub) -> None:
    """An 870 can reject an order within the second it was routed; X12 times are to the second (or the
    minute), so the warehouse's stamp can fall before the reservation. The release is still taken."""
    with UnitOfWork(hub.engine) as uow:
        placed = dispatch(uow, hub.shop_id, "east", "1001-E", {"TENT-2P": 2}, MOMENT + timedelta(seconds=0.4))
        assert uow.stock.release(placed, None, MOMENT) == ["TENT-2P"]
        uow.commit()
    with UnitOfWork(hub.engine) as uow:
        (reservation,) = uow.stock.reservations(["TENT-2P"])
    assert reservation.released_at == reservation.reserved_at == MOMENT + timedelta(seconds=0.4)
