"""Other writers of Shopify's stock: a level Shopify reports (an ``inventory_levels/update`` webhook, a full
comparison) is compared with what the hub last set there. The echo of the hub's own write changes nothing;
any other value was set by someone else (a person in the admin, another app) and opens a
``stock_discrepancy`` exception with both values. By default the warehouse wins: the hub's figure is set
back; with ``[inventory] on_discrepancy = "alert_only"`` Shopify's value is left until an operator resolves
the exception."""

from __future__ import annotations

from typing import Literal

from crossdock.config import Settings
from crossdock.flows.stock_levels import enqueue_pushes, level_subject, recompute
from crossdock.jobs.context import JobContext
from crossdock.jobs.queues import INVENTORY
from crossdock.jobs.registry import job
from crossdock.store.shops import ShopRecord
from crossdock.store.stock import ShopLevel
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest, UnitOfWork

DISCREPANCY = "stock_discrepancy"

Observation = Literal["not managed", "as known", "first seen", "echo", "to verify"]

VERIFY_LEVEL = "inventory.verify_level"


def observe_level(
    uow: UnitOfWork,
    settings: Settings,
    shop: ShopRecord,
    location_id: str,
    inventory_item_id: str,
    value: int,
    *,
    seen_in: str,
) -> Observation:
    """What Shopify holds at one level, seen in ``seen_in`` (a webhook, a comparison), in the caller's
    transaction. A value that is neither what the hub set nor what it wants is judged a moment later
    (``inventory.verify_level``): Shopify moves ``available`` itself when an order is placed or cancelled,
    and that order's own input may still be on its way to the hub."""
    level = uow.stock.level(shop.id, location_id, inventory_item_id)
    if level is None:
        return "not managed"
    if level.available == value:
        return "as known"
    if level.available is None:
        # The hub never knew this level's value: nothing it set was changed. Known now; a push that is due
        # compares against it.
        uow.stock.set_known(shop.id, location_id, inventory_item_id, value, pushed=False)
        return "first seen"
    if level.wanted == value:
        # The hub's own push, seen before the push job recorded its answer.
        uow.stock.set_known(shop.id, location_id, inventory_item_id, value, pushed=True)
        return "echo"
    # Until it is judged, nothing pushes over it: neither a push queued earlier nor one a recompute (the full
    # comparison's, another warehouse report's) asks for meanwhile would otherwise be stopped by
    # changeFromQuantity, which is now this very value.
    uow.stock.hold_for_judgment(shop.id, location_id, inventory_item_id, value)
    subject = level_subject(shop.domain, location_id, inventory_item_id)
    uow.enqueue(
        JobRequest(
            job=VERIFY_LEVEL,
            key=f"verify-{subject}-{value}-{utc_now().timestamp():.6f}",
            args={
                "shop_domain": shop.domain,
                "location_id": location_id,
                "inventory_item_id": inventory_item_id,
                "value": value,
                "seen_in": seen_in,
            },
            partition=f"{shop.account_id}:{level.sku}",
        )
    )
    return "to verify"


@job(VERIFY_LEVEL, queue=INVENTORY)
def verify_level(
    ctx: JobContext, shop_domain: str, location_id: str, inventory_item_id: str, value: int, seen_in: str
) -> str:
    """Recompute the SKU (orders the hub received meanwhile count), then judge Shopify's value."""
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        shop = uow.shops.by_domain(shop_domain)
        level = uow.stock.level(shop.id, location_id, inventory_item_id) if shop else None
        if shop is None or level is None:
            return "not managed"
        recompute(uow, settings, shop.account_id, level.sku)
        level = uow.stock.level(shop.id, location_id, inventory_item_id)
        assert level is not None
        if level.wanted == value:
            outcome = "explained (the hub wants the same)"
        else:
            outcome = _discrepancy(uow, settings, shop, level, value, seen_in)
        uow.stock.judged(shop.id, location_id, inventory_item_id, value)
        uow.commit()
    return outcome


def _discrepancy(
    uow: UnitOfWork, settings: Settings, shop: ShopRecord, level: ShopLevel, value: int, seen_in: str
) -> str:
    warehouse_wins = settings.inventory.on_discrepancy == "warehouse_wins"
    uow.exceptions.raise_(
        type=DISCREPANCY,
        severity="warning",
        subject_type="stock_level",
        subject_id=level_subject(shop.domain, level.location_id, level.inventory_item_id),
        message=f"{level.sku} at {shop.domain} location {level.location_id}: Shopify holds {value}, the hub "
        f"wants {level.wanted} (seen in {seen_in}); "
        + ("the warehouse's figure is set back" if warehouse_wins else "left as it is (alert only)"),
        details={"sku": level.sku, "shopify": value, "wanted": level.wanted, "seen_in": seen_in},
        actions=["resolve", "ignore"],
        account_id=shop.account_id,
    )
    if warehouse_wins:
        enqueue_pushes(uow, {shop.domain})
    else:
        uow.stock.hold_at(shop.id, level.location_id, level.inventory_item_id, value)
    return "discrepancy"
