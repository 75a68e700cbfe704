"""What each Shopify location should show for sale, recomputed when a SKU's stock or reservations change
(``inventory.recompute``), and handed to the shop side to push (``shop.push_stock``) only where it differs
from what Shopify holds.

A location is fed by the warehouses that name it in ``[warehouses.<key>] shopify_locations`` (by name or
id); several warehouses feeding one location add up. A bundle shows as many units as its components allow.
"""

from __future__ import annotations

from crossdock.config import Settings
from crossdock.domain.inventory import SafetyStock, available_to_sell, bundle_available
from crossdock.flows.stock_names import PUSH_STOCK
from crossdock.flows.stock_updates import RECOMPUTE
from crossdock.jobs.context import JobContext
from crossdock.jobs.queues import INVENTORY
from crossdock.jobs.registry import job
from crossdock.store.shops import ShopLocation
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest, UnitOfWork


@job(RECOMPUTE, queue=INVENTORY)
def recompute_available(ctx: JobContext, account_id: str, sku: str) -> dict[str, int]:
    settings = ctx.settings()
    # Cleared and committed before stock is read: a change committed after this asks for another job.
    with ctx.unit_of_work() as uow:
        uow.recompute_requests.begin(account_id, sku)
        uow.commit()
    with ctx.unit_of_work() as uow:
        wanted, due_shops = recompute(uow, settings, account_id, sku)
        enqueue_pushes(uow, due_shops)
        uow.commit()
    return {"levels": wanted, "shops_to_push": len(due_shops)}


def recompute(uow: UnitOfWork, settings: Settings, account_id: str, sku: str) -> tuple[int, set[str]]:
    """Set the wanted level of ``sku`` (and of the bundles it is part of) at every location that sells it;
    the number of levels set and the domains of the shops where one now differs from Shopify's."""
    bundles = uow.sku_mappings.bundles(account_id)
    targets = {sku} | {bundle for bundle, components in bundles.items() if sku in components}
    safety = SafetyStock(
        default=settings.inventory.safety_stock, per_sku=dict(settings.inventory.safety_stock_per_sku)
    )
    levels = 0
    due: set[str] = set()
    for target in sorted(targets):
        components = bundles.get(target)
        needed = set(components) if components else {target}
        positions = uow.stock.positions(needed)
        reservations = uow.stock.reservations(needed)
        for shop_id, item in uow.skus.inventory_items(account_id, target):
            shop = uow.shops.by_id(shop_id)
            assert shop is not None
            for location in uow.shops.locations(shop_id):
                feeding = _feeding(settings, account_id, location)
                if not feeding:
                    continue
                kept = safety.for_(target, location.location_id)
                if components:
                    each = {
                        part: available_to_sell(part, feeding, positions, reservations, 0)
                        for part in components
                    }
                    value = max(0, bundle_available(components, each) - kept)
                    reason = f"bundle of {', '.join(f'{q} x {p}' for p, q in sorted(components.items()))}"
                else:
                    value = available_to_sell(target, feeding, positions, reservations, kept)
                    reason = f"{'+'.join(feeding)}"
                levels += 1
                if left_alone(uow, settings, shop.domain, location.location_id, item):
                    continue
                if uow.stock.want(
                    shop_id=shop_id,
                    location_id=location.location_id,
                    inventory_item_id=item,
                    sku=target,
                    wanted=value,
                    reason=reason,
                ):
                    due.add(shop.domain)
    return levels, due


def enqueue_pushes(uow: UnitOfWork, shop_domains: set[str]) -> None:
    moment = f"{utc_now().timestamp():.6f}"
    for domain in sorted(shop_domains):
        # One job per change; the first to run pushes everything due, the others find nothing to do.
        uow.enqueue(
            JobRequest(
                job=PUSH_STOCK,
                key=f"push-stock-{domain}-{moment}",
                args={"shop_domain": domain},
                partition=domain,
            )
        )


def _feeding(settings: Settings, account_id: str, location: ShopLocation) -> list[str]:
    return sorted(
        key
        for key, warehouse in settings.warehouses.items()
        if account_id in warehouse.accounts
        and (
            location.name in warehouse.shopify_locations
            or location.location_id in warehouse.shopify_locations
        )
    )


def left_alone(uow: UnitOfWork, settings: Settings, shop_domain: str, location_id: str, item_id: str) -> bool:
    """In alert-only mode, a level with an open stock discrepancy keeps Shopify's value until an operator
    resolves it (``flows.stock_discrepancies`` opens them)."""
    if settings.inventory.on_discrepancy != "alert_only":
        return False
    subject = level_subject(shop_domain, location_id, item_id)
    return any(
        problem.subject_id == subject
        for problem in uow.exceptions.open_about(type="stock_discrepancy", subject_type="stock_level")
    )


def level_subject(shop_domain: str, location_id: str, inventory_item_id: str) -> str:
    """What a stock_discrepancy exception about one Shopify level is about."""
    return f"{shop_domain}/{location_id}/{inventory_item_id}"
