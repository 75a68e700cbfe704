"""The Shopify connector's scheduled work: every shop's reconciliation poll, at the configured interval.

A tick every ten seconds enqueues each shop's poll under a key made of the shop and the interval slot it
falls in (`acme@5904000`), so a poll runs at most once per interval whatever the number of processes or
ticks, and the interval can be any number of seconds rather than what a cron expression can say.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crossdock.connectors.shopify.clients import run_sync, shop_client
from crossdock.connectors.shopify.order_poll import poll_orders
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import MAINTENANCE, SHOP_CALLS
from crossdock.jobs.registry import job
from crossdock.jobs.schedules import schedule
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest

POLL_ORDERS = "shopify.poll_orders"
POLL_TICK = "shopify.poll_orders_tick"

schedule(POLL_TICK, cron="*/10 * * * * *", job=POLL_TICK)


@job(POLL_TICK, queue=MAINTENANCE)
def enqueue_due_polls(ctx: JobContext) -> list[str]:
    settings = ctx.settings()
    slot_seconds = settings.shopify.poll_interval_seconds
    slot = int(utc_now().timestamp() // slot_seconds)
    enqueued = []
    with ctx.unit_of_work() as uow:
        for key, shop in settings.shops.items():
            if shop.access_token is None:  # declared but not yet given its credentials
                continue
            uow.enqueue(
                JobRequest(job=POLL_ORDERS, key=f"{key}@{slot}", args={"shop": key}, partition=shop.domain)
            )
            enqueued.append(key)
        uow.commit()
    return enqueued


@job(POLL_ORDERS, queue=SHOP_CALLS)
def poll_shop_orders(ctx: JobContext, shop: str) -> dict[str, Any]:
    settings = ctx.settings()
    try:
        key, shop_settings = settings.shop(shop)
    except LookupError as error:  # the shop left the configuration after the poll was enqueued
        raise FatalJobError(str(error)) from None
    with ctx.unit_of_work() as uow:
        record = uow.shops.by_domain(shop_settings.domain)
    if record is None:
        raise FatalJobError(f"shop {shop_settings.domain} is not in the database")
    report = run_sync(
        poll_orders(
            shop_client(settings, ctx.runtime.engine, key),
            ctx.unit_of_work,
            record,
            overlap=timedelta(seconds=settings.shopify.poll_overlap_seconds),
            now=utc_now(),
        )
    )
    return {
        "since": report.since.isoformat(),
        "orders": report.orders,
        "new_inputs": report.new_inputs,
        "cursor": report.cursor.isoformat() if report.cursor else None,
    }
