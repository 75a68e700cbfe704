"""The periodic full comparison: every so often (``[inventory] full_comparison_minutes``) every SKU's
available-to-sell is recomputed and every level the hub manages is read back from Shopify, whether or not
anything changed — a lost webhook, a push that failed for good, a change made in Shopify while the hub was
down all come to light here. Reading is the shop side's job (``shop.compare_stock``); what it reads goes
through ``flows.stock_discrepancies.observe_level`` like a webhook."""

from __future__ import annotations

from crossdock.flows.stock_updates import enqueue_recompute
from crossdock.jobs.context import JobContext
from crossdock.jobs.queues import MAINTENANCE
from crossdock.jobs.registry import job
from crossdock.jobs.schedules import schedule
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest

FULL_COMPARISON_TICK = "inventory.full_comparison_tick"
FULL_COMPARISON = "inventory.full_comparison"
# Implemented by the shop side (connectors.shopify.level_reads).
COMPARE_STOCK = "shop.compare_stock"

schedule(FULL_COMPARISON_TICK, cron="0 * * * * *", job=FULL_COMPARISON_TICK)


@job(FULL_COMPARISON_TICK, queue=MAINTENANCE)
def enqueue_due_comparisons(ctx: JobContext) -> list[str]:
    """Once a minute: the accounts whose comparison interval began are compared (one job per interval)."""
    settings = ctx.settings()
    slot = int(utc_now().timestamp() // (settings.inventory.full_comparison_minutes * 60))
    with ctx.unit_of_work() as uow:
        for account in settings.accounts:
            uow.enqueue(
                JobRequest(job=FULL_COMPARISON, key=f"{account.id}@{slot}", args={"account_id": account.id})
            )
        uow.commit()
    return [account.id for account in settings.accounts]


@job(FULL_COMPARISON, queue=MAINTENANCE)
def compare_account(ctx: JobContext, account_id: str) -> dict[str, int]:
    with ctx.unit_of_work() as uow:
        skus = set(uow.skus.account_skus(account_id)) | set(uow.sku_mappings.bundles(account_id))
        enqueue_recompute(uow, account_id, skus, "full-comparison")
        shops = uow.shops.of_account(account_id)
        stamp = f"{utc_now().timestamp():.0f}"
        for shop in shops:
            uow.enqueue(
                JobRequest(
                    job=COMPARE_STOCK,
                    key=f"compare-{shop.domain}-{stamp}",
                    args={"shop_domain": shop.domain},
                    partition=shop.domain,
                )
            )
        uow.commit()
    return {"skus": len(skus), "shops": len(shops)}
