"""What an operator reads of an order (`crossdock orders show`, GET /api/orders) and what they fix in an
account's SKU mappings (`crossdock skus alias`, `crossdock bundles import|list`), on the suite's database with
orders built directly through the repositories."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.config import Settings, load_settings
from crossdock.domain.order_status import OrderState
from crossdock.domain.orders import Address, Order, OrderLine
from crossdock.domain.warehouse import (
    Parcel,
    Shipped,
    ShippedLine,
    SourceDocument,
    WarehouseOrder,
    WarehouseOrderLine,
)
from crossdock.flows.command_errors import CommandRefused
from crossdock.flows.order_dispatch import ADVANCE
from crossdock.flows.order_report import report_by_id
from crossdock.flows.sku_commands import parse_bundles_csv, set_alias
from crossdock.hub import prepare_database
from crossdock.jobs.admin import JobAdmin
from crossdock.jobs.engine import make_client
from crossdock.store.shops import DeclaredShop
from crossdock.store.skus import VariantRegistration
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.store.warehouses import DeclaredWarehouse
from crossdock.web.app import create_app
from tests.conftest import write_config
from tests.support.api_tokens import bearer
from tests.support.enqueuers import RecordingEnqueuer

MOMENT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
EU = DeclaredShop(key="acme-eu", domain="acme-eu.myshopify.com", account_id="acme")
US = DeclaredShop(key="acme-us", domain="acme-us.myshopify.com", account_id="acme")
GLOBEX = DeclaredShop(key="globex", domain="globex.myshopify.com", account_id="globex")


@dataclass
class Hub:
    config: Path
    database_url: str
    settings: Settings
    engine: sa.Engine

    def invoke(self, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            app, ["--config", str(self.config), *args], env={"CROSSDOCK_DATABASE_URL": self.database_url}
        )
        return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def hub(tmp_path: Path, database_url: str) -> Iterator[Hub]:
    config = write_config(tmp_path)
    with config.open("a", encoding="utf-8") as written:
        written.write('\n[[accounts]]\nid = "globex"\nname = "Globex"\n')
    settings = load_settings(config, environ={"CROSSDOCK_DATABASE_URL": database_url})
    engine = prepare_database(settings)
    with UnitOfWork(engine) as uow:
        uow.shops.ensure([EU, US, GLOBEX])
        uow.warehouses.ensure([DeclaredWarehouse("east", "East 3PL", "x12", ("acme",))])
        uow.commit()
    try:
        yield Hub(config, database_url, settings, engine)
    finally:
        engine.dispose()


def an_order(shopify_order_id: str, name: str = "#1001", skus: tuple[str, ...] = ("TENT-2P", "MUG")) -> Order:
    return Order(
        shopify_order_id=shopify_order_id,
        name=name,
        source_version=MOMENT,
        created_at=MOMENT,
        currency="EUR",
        email="ada@example.com",
        lines=tuple(
            OrderLine(
                line_id=str(100 + number),
                sku=sku,
                quantity=number + 1,
                variant_id=None,
                title=f"Item {sku}",
                variant_title=None,
                requires_shipping=True,
            )
            for number, sku in enumerate(skus)
        ),
        shipping_address=Address(
            first_name="Ada", address1="1 Rue", city="Lyon", zip="69001", country_code="FR"
        ),
        shipping_method=None,
        tags=(),
        financial_status="paid",
        cancelled_at=None,
        cancel_reason=None,
        note=None,
    )


def insert_order(engine: sa.Engine, shop: DeclaredShop, order: Order) -> int:
    with UnitOfWork(engine) as uow:
        record = uow.shops.by_domain(shop.domain)
        assert record is not None
        order_id = uow.orders.insert(account_id=shop.account_id, shop_id=record.id, order=order)
        uow.commit()
    assert order_id is not None
    return order_id


def wait_on_unknown_sku(engine: sa.Engine, order_id: int, account_id: str, unknown: list[str]) -> None:
    """Leave the order as the order flow leaves one with SKUs nobody knows."""
    with UnitOfWork(engine) as uow:
        uow.exceptions.raise_(
            type="unknown_sku",
            severity="error",
            subject_type="order",
            subject_id=str(order_id),
            message="unknown SKUs",
            details={"unknown_skus": unknown, "lines": []},
            actions=["retry", "ignore"],
            account_id=account_id,
        )
        uow.commit()


def register_sku(engine: sa.Engine, shop: DeclaredShop, sku: str, variant_id: str) -> None:
    with UnitOfWork(engine) as uow:
        record = uow.shops.by_domain(shop.domain)
        assert record is not None
        uow.skus.register(
            shop.account_id,
            record.id,
            VariantRegistration(
                sku=sku,
                title=sku,
                barcode=None,
                variant_id=variant_id,
                inventory_item_id=variant_id,
                product_id=variant_id,
                product_title=sku,
                variant_title="Default",
            ),
        )
        uow.commit()


@pytest.fixture
def shipped_order(hub: Hub) -> int:
    """#1001 of the EU shop, sent to east and partly shipped, with an open exception and a timeline."""
    order = an_order("5001")
    order_id = insert_order(hub.engine, EU, order)
    other_id = insert_order(hub.engine, EU, an_order("5002", name="#1002"))
    with UnitOfWork(hub.engine) as uow:
        uow.orders.set_state(order_id, OrderState(status="partially_shipped"))
        warehouse = uow.warehouses.by_code("east")
        assert warehouse is not None
        placed_id = uow.warehouse_orders.add(
            account_id="acme",
            order_id=order_id,
            warehouse_id=warehouse.id,
            order=WarehouseOrder(
                key="1001-A",
                warehouse="east",
                shopify_order_id="5001",
                order_name="#1001",
                ordered_at=MOMENT,
                ship_to_name="Ada",
                ship_to=Address(city="Lyon", country_code="FR"),
                lines=(WarehouseOrderLine(1, "TENT-2P", 1), WarehouseOrderLine(2, "MUG", 2)),
            ),
        )
        uow.warehouse_orders.set_status(placed_id, "sent", sent=True, reference="W-77")
        shipment_id = uow.shipments.record(
            account_id="acme",
            warehouse_order_id=placed_id,
            warehouse_id=warehouse.id,
            shipped=Shipped(
                warehouse="east",
                occurred_at=MOMENT + timedelta(days=1),
                source=SourceDocument(kind="x12/945", reference="EAST/1/0001"),
                order_key="1001-A",
                shipment_id="SH-1",
                lines=(ShippedLine(sku="TENT-2P", quantity_shipped=1, quantity_ordered=1),),
                parcels=(Parcel(tracking_number="1Z999", carrier_code="UPSN", carrier_name="UPS"),),
            ),
        )
        assert shipment_id is not None
        uow.shipments.mark_fulfilled(shipment_id, "gid://shopify/Fulfillment/9")
        for subject, kind in ((order_id, "shipment_short"), (other_id, "address_incomplete")):
            uow.exceptions.raise_(
                type=kind,
                severity="warning",
                subject_type="order",
                subject_id=str(subject),
                message=f"{kind} of order {subject}",
                details={},
                actions=["ignore"],
                account_id="acme",
            )
        closed = uow.exceptions.raise_(
            type="unknown_sku",
            severity="error",
            subject_type="order",
            subject_id=str(order_id),
            message="fixed since",
            details={"unknown_skus": ["OLD"]},
            actions=[],
            account_id="acme",
        )
        uow.exceptions.close(closed, status="resolved", by="test")
        for kind, message in (("received", "from webhook"), ("validated", "2 lines"), ("sent", "to east")):
            uow.order_events.append(
                account_id="acme", order_ref=order.shopify_global_id, kind=kind, message=message
            )
        uow.order_events.append(
            account_id="acme", order_ref=an_order("5002").shopify_global_id, kind="received", message="other"
        )
        uow.commit()
    return order_id


def test_the_report_gathers_warehouse_orders_shipments_open_exceptions_and_the_timeline(
    hub: Hub, shipped_order: int
) -> None:
    with UnitOfWork(hub.engine) as uow:
        report = report_by_id(uow, shipped_order)
        assert report_by_id(uow, shipped_order + 1000) is None
    assert report is not None
    assert {key: report[key] for key in ("id", "name", "shopify_order_id", "account_id", "status")} == {
        "id": shipped_order,
        "name": "#1001",
        "shopify_order_id": "5001",
        "account_id": "acme",
        "status": "partially_shipped",
    }
    assert report["shop"]["key"] == "acme-eu" and report["shop"]["domain"] == "acme-eu.myshopify.com"
    assert (report["holds"], report["financial_status"]) == ([], "paid")
    assert [(line["sku"], line["quantity"]) for line in report["lines"]] == [("TENT-2P", 1), ("MUG", 2)]
    assert report["ship_to"] == {"city": "Lyon", "country_code": "FR"}
    (placed,) = report["warehouse_orders"]
    assert (placed["warehouse"], placed["order_key"], placed["status"], placed["warehouse_reference"]) == (
        "east",
        "1001-A",
        "sent",
        "W-77",
    )
    assert placed["sent_at"] is not None
    assert [(line["sku"], line["quantity"]) for line in placed["lines"]] == [("TENT-2P", 1), ("MUG", 2)]
    (shipment,) = report["shipments"]
    assert shipment["shipment_id"] == "SH-1" and shipment["fulfillment_id"] == "gid://shopify/Fulfillment/9"
    assert shipment["lines"] == [{"sku": "TENT-2P", "quantity_shipped": 1, "quantity_ordered": 1}]
    assert [(parcel["tracking_number"], parcel["carrier"]) for parcel in shipment["parcels"]] == [
        ("1Z999", "UPS")
    ]
    # Only what is open and about this order: not the other order's, not the resolved one.
    assert [(record["type"], record["message"]) for record in report["open_exceptions"]] == [
        ("shipment_short", f"shipment_short of order {shipped_order}")
    ]
    assert [(event["kind"], event["message"]) for event in report["timeline"]] == [
        ("received", "from webhook"),
        ("validated", "2 lines"),
        ("sent", "to east"),
    ]
    json.dumps(report)  # the API returns it as it is


def test_orders_show_prints_the_report_and_its_json_with_or_without_the_hash(
    hub: Hub, shipped_order: int
) -> None:
    code, out, err = hub.invoke("orders", "show", "1001")
    assert code == 0, err
    assert f"#1001  order {shipped_order}, Shopify 5001, shop acme-eu (acme-eu.myshopify.com)" in out
    assert "status: partially_shipped; payment: paid" in out
    assert "east 1001-A: sent, reference W-77" in out
    assert "parcel 1Z999 UPS" in out
    assert "Shopify fulfillment gid://shopify/Fulfillment/9" in out
    assert f"shipment_short (warning): shipment_short of order {shipped_order}" in out
    assert out.index("received: from webhook") < out.index("validated: 2 lines") < out.index("sent: to east")

    code, out, err = hub.invoke("orders", "show", "#1001", "--json")
    assert code == 0, err
    with UnitOfWork(hub.engine) as uow:
        assert json.loads(out) == [report_by_id(uow, shipped_order)]


def test_orders_show_lists_every_shop_s_order_of_that_name_newest_first(hub: Hub) -> None:
    first = insert_order(hub.engine, EU, an_order("6001"))
    second = insert_order(hub.engine, US, an_order("6002"))
    third = insert_order(hub.engine, GLOBEX, an_order("6003"))

    code, out, err = hub.invoke("orders", "show", "#1001", "--json")
    assert code == 0, err
    assert [(report["id"], report["shop"]["key"]) for report in json.loads(out)] == [
        (third, "globex"),
        (second, "acme-us"),
        (first, "acme-eu"),
    ]
    code, out, _ = hub.invoke("orders", "show", "#1001", "--account", "acme")
    assert code == 0
    assert out.index(f"order {second},") < out.index(f"order {first},")
    assert f"order {third}," not in out

    code, out, err = hub.invoke("orders", "show", "#4040")
    assert (code, out) == (1, "")
    assert "no order named #4040" in err
    code, _, err = hub.invoke("orders", "show", "1001", "--account", "initech")
    assert code == 1 and "no order named #1001 in account initech" in err


def test_the_api_returns_the_report_and_finds_orders_by_name(hub: Hub, shipped_order: int) -> None:
    us_order = insert_order(hub.engine, US, an_order("7001"))
    with TestClient(create_app(hub.settings, role=None), headers=bearer(hub.engine)) as client:
        found = client.get(f"/api/orders/{shipped_order}")
        missing = client.get("/api/orders/999999")
        named = client.get("/api/orders", params={"name": "#1001"})
        named_in_account = client.get("/api/orders?name=1001&account=globex")

    assert found.status_code == 200
    with UnitOfWork(hub.engine) as uow:
        assert found.json() == report_by_id(uow, shipped_order)
    assert (missing.status_code, missing.json()) == (404, {"detail": "no order 999999"})
    assert named.status_code == 200
    assert [(entry["id"], entry["status"], entry["shop"]["key"]) for entry in named.json()] == [
        (us_order, "received", "acme-us"),
        (shipped_order, "partially_shipped", "acme-eu"),
    ]
    assert set(named.json()[0]) == {"id", "name", "status", "shop"}
    assert named_in_account.json() == []


def test_an_alias_sends_back_the_orders_of_the_account_waiting_on_it_in_the_same_transaction(
    hub: Hub,
) -> None:
    register_sku(hub.engine, EU, "TENT-2P", "2001")
    waiting = insert_order(hub.engine, EU, an_order("8001", skus=("OLD-TENT", "MUG")))
    other_sku = insert_order(hub.engine, EU, an_order("8002", name="#1002", skus=("LAMP",)))
    other_account = insert_order(hub.engine, GLOBEX, an_order("8003", skus=("OLD-TENT",)))
    wait_on_unknown_sku(hub.engine, waiting, "acme", ["MUG", "OLD-TENT"])
    wait_on_unknown_sku(hub.engine, other_sku, "acme", ["LAMP"])
    wait_on_unknown_sku(hub.engine, other_account, "globex", ["OLD-TENT"])
    enqueuer = RecordingEnqueuer()

    with UnitOfWork(hub.engine, enqueuer) as uow:
        assert set_alias(uow, "acme", "OLD-TENT", "TENT-2P") == [waiting]
        connection = uow.connection
        uow.commit()

    ((used, request),) = enqueuer.calls
    assert used is connection
    assert (request.job, request.args, request.partition) == (ADVANCE, {"order_id": waiting}, str(waiting))
    assert f"order-{waiting}-advance-alias-OLD-TENT-" in request.key
    with UnitOfWork(hub.engine) as uow:
        assert uow.sku_mappings.aliases("acme") == {"OLD-TENT": "TENT-2P"}
        assert uow.sku_mappings.aliases("globex") == {}


def test_skus_alias_enqueues_through_the_job_engine_and_refuses_an_unregistered_sku(hub: Hub) -> None:
    register_sku(hub.engine, EU, "TENT-2P", "2001")
    waiting = insert_order(hub.engine, EU, an_order("9001", skus=("OLD-TENT",)))
    wait_on_unknown_sku(hub.engine, waiting, "acme", ["OLD-TENT"])

    code, out, err = hub.invoke("skus", "alias", "OLD-TENT", "TENT-4P", "--account", "acme")
    assert code == 2
    assert "SKU TENT-4P is not registered for account acme" in err
    code, _, err = hub.invoke("skus", "alias", "OLD-TENT", "TENT-2P", "--account", "initech")
    assert code == 2 and "no account 'initech'" in err
    with UnitOfWork(hub.engine) as uow:
        assert uow.sku_mappings.aliases("acme") == {}

    code, out, err = hub.invoke("skus", "alias", "OLD-TENT", "TENT-2P", "--account", "acme")
    assert code == 0, err
    assert out.strip() == (
        "account acme: OLD-TENT → TENT-2P recorded; 1 order(s) sent back to the order flow: "
        f"order id(s) {waiting}"
    )
    client = make_client(hub.settings)
    try:
        jobs = JobAdmin(hub.engine, client, hub.settings.jobs.heartbeat_seconds).list_jobs()
    finally:
        client.destroy()
    assert [(job.queue, job.partition, job.status) for job in jobs] == [("orders", str(waiting), "ENQUEUED")]


GOOD_CSV = """bundle_sku,component_sku,quantity
CAMP-KIT,TENT-2P,1
CAMP-KIT,MUG,2
DUO-MUGS,MUG,2
"""


def test_bundles_import_replaces_the_listed_bundles_and_keeps_the_others(hub: Hub, tmp_path: Path) -> None:
    register_sku(hub.engine, EU, "TENT-2P", "2001")
    register_sku(hub.engine, EU, "MUG", "2002")
    with UnitOfWork(hub.engine) as uow:
        uow.sku_mappings.replace_bundle("acme", "DUO-MUGS", {"MUG": 3})
        uow.sku_mappings.replace_bundle("acme", "OLD-KIT", {"MUG": 1})
        uow.commit()
    file = tmp_path / "bundles.csv"
    file.write_text("\ufeff" + GOOD_CSV.replace("CAMP-KIT,MUG,2", "CAMP-KIT,MUG,2\nCAMP-KIT,STOVE,1"))

    code, out, err = hub.invoke("bundles", "import", str(file), "--account", "acme")
    assert code == 0, err
    assert "account acme: 2 bundle(s) imported: 1 new, 1 with new components, 0 unchanged" in out
    assert "orders of these bundles will wait until they are: STOVE" in out
    with UnitOfWork(hub.engine) as uow:
        assert uow.sku_mappings.bundles("acme") == {
            "CAMP-KIT": {"TENT-2P": 1, "MUG": 2, "STOVE": 1},
            "DUO-MUGS": {"MUG": 2},
            "OLD-KIT": {"MUG": 1},
        }

    file.write_text(GOOD_CSV)
    code, out, _ = hub.invoke("bundles", "import", str(file), "--account", "acme")
    assert code == 0
    assert "2 bundle(s) imported: 0 new, 1 with new components, 1 unchanged" in out
    assert "warning" not in out
    code, out, _ = hub.invoke("bundles", "list", "--account", "acme", "--json")
    assert json.loads(out) == {
        "CAMP-KIT": {"MUG": 2, "TENT-2P": 1},
        "DUO-MUGS": {"MUG": 2},
        "OLD-KIT": {"MUG": 1},
    }
    code, out, _ = hub.invoke("bundles", "list", "--account", "acme")
    assert out.splitlines()[:3] == ["CAMP-KIT", "  2 x MUG", "  1 x TENT-2P"]
    assert out.splitlines()[-1] == "3 bundle(s)"


def test_bundles_import_refuses_a_bad_file_naming_each_line_and_stores_nothing(
    hub: Hub, tmp_path: Path
) -> None:
    file = tmp_path / "bundles.csv"
    file.write_text(
        "bundle_sku,component_sku,quantity\n"
        "CAMP-KIT,TENT-2P,1\n"  # line 2: good, yet not stored
        ",MUG,1\n"
        "CAMP-KIT,MUG,0\n"
        "CAMP-KIT,CAMP-KIT,1\n"
        "\n"
        "CAMP-KIT,TENT-2P,2\n"
        "DUO-MUGS,MUG,two\n"
        "DUO-MUGS,MUG\n"
    )
    code, out, err = hub.invoke("bundles", "import", str(file), "--account", "acme")
    assert (code, out) == (2, "")
    for problem in (
        "line 3: bundle_sku is empty",
        "line 4: quantity must be a positive whole number, got '0'",
        "line 5: bundle CAMP-KIT lists itself as a component",
        "line 7: component TENT-2P of bundle CAMP-KIT is already on line 2",
        "line 8: quantity must be a positive whole number, got 'two'",
        "line 9: expected 3 fields",
    ):
        assert problem in err
    assert "line 2" not in err.replace("already on line 2", "")
    with UnitOfWork(hub.engine) as uow:
        assert uow.sku_mappings.bundles("acme") == {}


def test_a_bundle_file_needs_its_header_and_a_row() -> None:
    with pytest.raises(CommandRefused, match="line 1: the header must be bundle_sku,component_sku,quantity"):
        parse_bundles_csv("bundle,component,qty\nA,B,1\n")
    with pytest.raises(CommandRefused, match="no bundle"):
        parse_bundles_csv("bundle_sku,component_sku,quantity\n\n")
    assert parse_bundles_csv("Bundle_SKU, component_sku ,quantity\r\n KIT , MUG , 3 \r\n") == {
        "KIT": {"MUG": 3}
    }
