"""What `crossdock shopify connect|import-catalog|poll` do, apart from parsing the command line (cli.py).

Each returns the lines to print and raises CommandError (with the exit code) for what the operator must fix.
"""

from __future__ import annotations

from datetime import timedelta

from crossdock.config import Settings, ShopSettings
from crossdock.connectors.shopify.catalog_import import import_catalog
from crossdock.connectors.shopify.clients import run_sync, shop_client
from crossdock.connectors.shopify.connect import ConnectError, connect_shop
from crossdock.connectors.shopify.errors import ShopifyError
from crossdock.connectors.shopify.order_poll import poll_orders
from crossdock.hub import prepare_database
from crossdock.jobs.engine import make_client
from crossdock.jobs.enqueuer import DbosEnqueuer
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import UnitOfWork

# How many problem SKUs or variants are printed; the exceptions inbox holds them all.
_PRINTED = 20


class CommandError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _configured_shop(settings: Settings, shop: str) -> tuple[str, ShopSettings]:
    try:
        key, shop_settings = settings.shop(shop)
    except LookupError as error:
        raise CommandError(str(error), exit_code=2) from None
    if shop_settings.access_token is None:
        variable = f"CROSSDOCK_SHOPS__{key.upper().replace('-', '_')}__ACCESS_TOKEN"
        raise CommandError(f"shops.{key}.access_token is not set: set {variable} or the secrets file", 2)
    return key, shop_settings


def connect(settings: Settings, shop: str, public_url: str | None) -> list[str]:
    key, shop_settings = _configured_shop(settings, shop)
    public_url = public_url or settings.web.public_url
    if public_url is None:
        raise CommandError(
            "web.public_url is not set: Shopify needs the address at which it reaches this hub "
            "(set it in crossdock.toml or CROSSDOCK_WEB__PUBLIC_URL, or pass --public-url)",
            exit_code=2,
        )
    engine = prepare_database(settings)
    try:
        report = run_sync(
            connect_shop(shop_client(settings, engine, key), engine, shop_settings.domain, public_url)
        )
    except (ShopifyError, ConnectError) as error:
        raise CommandError(f"{shop_settings.domain}: {error}") from None
    finally:
        engine.dispose()
    lines = [f"connected {key} ({shop_settings.domain}): {report.shop_name!r}, plan {report.plan}"]
    lines.append(f"{len(report.locations)} location(s):")
    for location in report.locations:
        flags = [
            "active" if location.is_active else "inactive",
            *(["fulfills online orders"] if location.fulfills_online_orders else []),
            *(["fulfillment service"] if location.is_fulfillment_service else []),
        ]
        lines.append(f"  {location.location_id}  {location.name} ({', '.join(flags)})")
    lines.append(f"webhooks to {report.callback_url}:")
    lines += [f"  created {topic}" for topic in report.created]
    lines += [f"  already subscribed {topic}" for topic in report.kept]
    lines += [f"  note: {topic} is also delivered to {uri}" for topic, uri in report.elsewhere]
    return lines


def import_catalog_of(settings: Settings, shop: str) -> list[str]:
    key, shop_settings = _configured_shop(settings, shop)
    engine = prepare_database(settings)
    try:
        report = run_sync(import_catalog(shop_client(settings, engine, key), engine, shop_settings.domain))
    except ShopifyError as error:
        raise CommandError(f"{shop_settings.domain}: {error}") from None
    finally:
        engine.dispose()
    counts = report.registrations
    lines = [
        f"{report.variants} variant(s) read from {shop_settings.domain}: {counts['created']} registered, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged, {report.removed} removed"
    ]
    if report.duplicates:
        lines.append(f"{len(report.duplicates)} SKU(s) carried by several variants, not registered:")
        for sku, variants in list(report.duplicates.items())[:_PRINTED]:
            lines.append(f"  {sku}: " + "; ".join(f"{v.title} ({v.variant_id})" for v in variants))
    if report.without_sku:
        lines.append(f"{len(report.without_sku)} variant(s) without SKU, not registered:")
        lines += [f"  {v.title} ({v.variant_id})" for v in report.without_sku[:_PRINTED]]
    if report.duplicates or report.without_sku:
        lines.append("each problem is an open exception; fix the SKUs in Shopify and import again")
    return lines


def poll_now(settings: Settings, shop: str) -> list[str]:
    key, shop_settings = _configured_shop(settings, shop)
    engine = prepare_database(settings)
    jobs_client = make_client(settings)
    try:
        with UnitOfWork(engine) as uow:
            record = uow.shops.by_domain(shop_settings.domain)
        assert record is not None  # prepare_database mirrors every configured shop
        report = run_sync(
            poll_orders(
                shop_client(settings, engine, key),
                lambda: UnitOfWork(engine, DbosEnqueuer(jobs_client)),
                record,
                overlap=timedelta(seconds=settings.shopify.poll_overlap_seconds),
                now=utc_now(),
            )
        )
    except ShopifyError as error:
        raise CommandError(f"{shop_settings.domain}: {error}") from None
    finally:
        jobs_client.destroy()
        engine.dispose()
    cursor = report.cursor.isoformat() if report.cursor else "not set"
    return [
        f"{shop_settings.domain}: orders updated since {report.since.isoformat()}: {report.orders} read in "
        f"{report.pages} page(s), {report.new_inputs} new version(s) sent to intake; cursor {cursor}"
    ]
