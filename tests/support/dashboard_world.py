"""A hub of two accounts (acme, globex) with orders, SKUs, stock levels, exceptions, an order timeline and the
calls made for it, plus a user and a token of each scope: what the access tests and the browser tests look
at. Secrets are set the way production sets them (environment), and listed so tests can check none is ever
shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from crossdock.access.users import add_user
from crossdock.config import Settings, load_settings
from crossdock.domain.inventory import StockPosition
from crossdock.domain.orders import Address, Order, OrderLine
from crossdock.flows.stock_levels import recompute
from crossdock.store.shops import DeclaredShop, ShopLocation
from crossdock.store.skus import VariantRegistration
from crossdock.store.unit_of_work import UnitOfWork
from tests.conftest import write_config

MOMENT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
ACME_USER = "ada@acme.example"
GLOBEX_USER = "gus@globex.example"
OPERATOR = "ops@hub.example"
SECRETS = {
    "CROSSDOCK_WEB__SESSION_SECRET": "session-secret-never-shown-7f3a",
    "CROSSDOCK_SHOPS__ACME__ACCESS_TOKEN": "shpat_acme_secret_token_91c2",
    "CROSSDOCK_SHOPS__ACME__APP_SECRET": "acme-app-secret-55d1",
    "CROSSDOCK_SHOPS__GLOBEX__ACCESS_TOKEN": "shpat_globex_secret_token_0b7e",
    "CROSSDOCK_SHOPS__GLOBEX__APP_SECRET": "globex-app-secret-a9f0",
    "CROSSDOCK_WAREHOUSES__EAST__SFTP_PASSWORD": "sftp-password-never-shown-c4",
}
MAIN = "gid://shopify/Location/1"
# One warehouse feeding acme's Main location: the stock page then has terms to show. No job engine runs in
# the tests that use this world, so nothing ever connects to its SFTP server.
WAREHOUSE = """
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
ACME_SHOP = DeclaredShop(key="acme", domain="acme.myshopify.com", account_id="acme")
GLOBEX_SHOP = DeclaredShop(key="globex", domain="globex.myshopify.com", account_id="globex")


@dataclass(frozen=True)
class World:
    settings: Settings
    acme_order: int
    globex_order: int
    acme_unknown_sku: int
    acme_rejected: int
    acme_input_rejected: int
    globex_routing: int
    hub_wide: int


def two_account_settings(folder: Path, database_url: str) -> Settings:
    config = write_config(folder)
    with config.open("a", encoding="utf-8") as written:
        written.write('\n[[accounts]]\nid = "globex"\nname = "Globex"\n')
        for shop in (ACME_SHOP, GLOBEX_SHOP):
            written.write(f'\n[shops.{shop.key}]\ndomain = "{shop.domain}"\naccount = "{shop.account_id}"\n')
        written.write(WAREHOUSE)
    return load_settings(config, environ={"CROSSDOCK_DATABASE_URL": database_url, **SECRETS})


def an_order(shopify_order_id: str, name: str, skus: tuple[str, ...]) -> Order:
    return Order(
        shopify_order_id=shopify_order_id,
        name=name,
        source_version=MOMENT,
        created_at=MOMENT,
        currency="EUR",
        email="buyer@example.com",
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


def populate(engine: sa.Engine, settings: Settings) -> World:
    with UnitOfWork(engine) as uow:
        uow.shops.ensure([ACME_SHOP, GLOBEX_SHOP])
        shop_ids = {}
        for shop in (ACME_SHOP, GLOBEX_SHOP):
            record = uow.shops.by_domain(shop.domain)
            assert record is not None
            shop_ids[shop.account_id] = record.id
        for account, sku, item in (
            ("acme", "TENT-2P", "701"),
            ("acme", "MUG", "702"),
            ("globex", "LAMP", "801"),
        ):
            uow.skus.register(
                account,
                shop_ids[account],
                VariantRegistration(
                    sku=sku,
                    title=f"{sku} title",
                    barcode=None,
                    variant_id=item,
                    inventory_item_id=item,
                    product_id=item,
                    product_title=sku,
                    variant_title="Default",
                ),
            )
        acme = an_order("5001", "#1001", ("TENT-2P", "MUG"))
        acme_order = uow.orders.insert(account_id="acme", shop_id=shop_ids["acme"], order=acme)
        globex_order = uow.orders.insert(
            account_id="globex", shop_id=shop_ids["globex"], order=an_order("6001", "#2001", ("LAMP",))
        )
        assert acme_order is not None and globex_order is not None
        for kind, message in (("received", "order received by webhook"), ("validated", "2 line(s) to ship")):
            uow.order_events.append(
                account_id="acme", order_ref=acme.shopify_global_id, kind=kind, message=message
            )
        call = uow.outbound_calls.start(
            target="shopify:acme.myshopify.com",
            operation="OrderFulfillmentOrders",
            idempotency_key="world-call-1",
            request_summary={"variables": {"id": acme.shopify_global_id}},
            account_id="acme",
            subject=acme.shopify_global_id,
        )
        uow.outbound_calls.finish(
            call, status="succeeded", duration_ms=142.0, response_summary={"cost": {"actualQueryCost": 4}}
        )

        def problem(type_: str, account: str | None, subject: str, actions: list[str]) -> int:
            return uow.exceptions.raise_(
                type=type_,
                severity="error",
                subject_type="order",
                subject_id=subject,
                message=f"{type_} about order {subject}",
                details={"why": type_},
                actions=actions,
                account_id=account,
            )

        uow.shops.replace_locations(shop_ids["acme"], [ShopLocation(MAIN, "Main", True, True, False, {})])
        east = uow.warehouses.by_code("east")
        assert east is not None
        uow.stock.save_position(east.id, StockPosition("east", "TENT-2P", 12, MOMENT))
        uow.stock.save_position(east.id, StockPosition("east", "MUG", 30, MOMENT))
        for sku in ("TENT-2P", "MUG"):
            recompute(uow, settings, "acme", sku)
        uow.stock.set_known(shop_ids["acme"], MAIN, "701", 12, pushed=True)
        uow.stock.set_known(shop_ids["acme"], MAIN, "702", 27, pushed=False)  # changed in Shopify by hand
        rejected_input = uow.inbox.record(
            source="test",
            kind="rejected-until-fixed",
            dedupe_key="note-1",
            payload=b"{}",
            headers={"fixed": "/nonexistent/fix", "journal": "/dev/null"},
            account_id="acme",
        )
        uow.inbox.finish(rejected_input.inbox_id, "failed", "the input names a product nobody registered")
        input_rejected = uow.exceptions.raise_(
            type="input_rejected",
            severity="error",
            subject_type="inbox",
            subject_id=str(rejected_input.inbox_id),
            message="test rejected-until-fixed input note-1 was rejected: the input names a product nobody "
            "registered",
            details={"source": "test", "kind": "rejected-until-fixed", "dedupe_key": "note-1"},
            actions=["retry", "ignore"],
            account_id="acme",
        )
        world = World(
            settings=settings,
            acme_order=acme_order,
            globex_order=globex_order,
            acme_unknown_sku=problem("unknown_sku", "acme", str(acme_order), ["retry", "ignore"]),
            acme_rejected=problem("warehouse_rejected", "acme", str(acme_order), ["resolve", "ignore"]),
            acme_input_rejected=input_rejected,
            globex_routing=problem(
                "routing_failed", "globex", str(globex_order), ["retry", "reroute", "ignore"]
            ),
            hub_wide=problem("dead_letter", None, "job-1", ["retry", "ignore"]),
        )
        for email, account in ((ACME_USER, "acme"), (GLOBEX_USER, "globex"), (OPERATOR, None)):
            add_user(uow, email=email, password=PASSWORD, account_id=account)
        uow.commit()
    return world
