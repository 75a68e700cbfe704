"""Other writers of Shopify's stock: a level Shopify reports (an ``inventory_levels/update`` webhook, a full
comparison) is compared with what the hub last set there. The echo of the hub's own write changes nothing;
any other value was set by someone else (a person in the admin, another app) and opens a
``stock_discrepancy`` exception with both values. By default the warehouse wins: the hub's figure is set
back; with ``[inventory] on_discrepancy = "alert_only"`` Shopify's value is left until an operator resolves
the exception."""

from __future__ import annotations

from typing import Literal

from crossdock.config import Settings
from crossdock.flows.stock_levels import enqueue_pushes
from crossdock.store.shops import ShopRecord
from crossdock.store.unit_of_work import UnitOfWork

DISCREPANCY = "stock_discrepancy"

Observation = Literal["not managed", "as known", "echo", "discrepancy"]


def level_subject(shop_domain: str, location_id: str, inventory_item_id: str) -> str:
    # The same subject stock_levels.left_alone looks for.
    return f"{shop_domain}/{location_id}/{inventory_item_id}"


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
    transaction."""
    level = uow.stock.level(shop.id, location_id, inventory_item_id)
    if level is None:
        return "not managed"
    if level.available == value:
        return "as known"
    if level.wanted == value:
        # The hub's own push, seen before the push job recorded its answer.
        uow.stock.set_known(shop.id, location_id, inventory_item_id, value, pushed=True)
        return "echo"
    warehouse_wins = settings.inventory.on_discrepancy == "warehouse_wins"
    uow.exceptions.raise_(
        type=DISCREPANCY,
        severity="warning",
        subject_type="stock_level",
        subject_id=level_subject(shop.domain, location_id, inventory_item_id),
        message=f"{level.sku} at {shop.domain} location {location_id}: Shopify holds {value}, the hub had "
        f"set {level.available if level.available is not None else 'nothing'} and wants {level.wanted} "
        f"(seen in {seen_in}); "
        + ("the warehouse's figure is set back" if warehouse_wins else "left as it is (alert only)"),
        details={
            "sku": level.sku,
            "shopify": value,
            "hub_last_set": level.available,
            "wanted": level.wanted,
            "seen_in": seen_in,
        },
        actions=["resolve", "ignore"],
        account_id=shop.account_id,
    )
    uow.stock.set_known(shop.id, location_id, inventory_item_id, value, pushed=False)
    if warehouse_wins:
        enqueue_pushes(uow, {shop.domain})
    return "discrepancy"
