"""Stockout after confirmation: the warehouse cannot ship units the hub had already promised (it rejects an
order for lack of stock, or a 947 removes units that orders hold). The order is held in Shopify (its
fulfillment orders get an INVENTORY_OUT_OF_STOCK hold) so that support decides — wait for stock, ship from
elsewhere, refund — the SKU shows 0 for sale until the warehouse counts again, and a
``stockout_after_confirmation`` exception names the order, the SKUs and the cause."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from crossdock.domain.inventory import apply_snapshot, in_flight
from crossdock.flows.order_progress import record
from crossdock.flows.stock_updates import enqueue_recompute
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from crossdock.store.warehouse_orders import StoredWarehouseOrder

STOCKOUT = "stockout_after_confirmation"
# Implemented by the shop side (connectors.shopify.stockout_holds).
HOLD_FOR_STOCKOUT = "shop.hold_for_stockout"


def is_for_lack_of_stock(reason: str) -> bool:
    """Whether a warehouse's rejection says it lacks stock (870 and API reasons are free text here)."""
    text = reason.lower()
    return any(word in text for word in ("stock", "short", "insufficient", "unavailable", "backorder"))


def declare_stockout(
    uow: UnitOfWork, placed: StoredWarehouseOrder, skus: Sequence[str], why: str, at: datetime
) -> None:
    stored = uow.orders.by_id(placed.order_id)
    assert stored is not None
    uow.exceptions.raise_(
        type=STOCKOUT,
        severity="error",
        subject_type="order",
        subject_id=str(stored.id),
        message=f"order {stored.order.name}: {placed.warehouse_code} cannot ship {', '.join(skus)} it had "
        f"accepted ({why}); the order is held in Shopify and the SKU shows 0 until the warehouse counts "
        "again",
        details={"skus": list(skus), "warehouse": placed.warehouse_code, "cause": why},
        actions=["resolve", "ignore"],
        account_id=stored.account_id,
    )
    record(uow, stored, STOCKOUT, f"{placed.warehouse_code} is out of {', '.join(skus)}: {why}")
    warehouse = uow.warehouses.by_code(placed.warehouse_code)
    assert warehouse is not None
    positions = uow.stock.positions(skus)
    for sku in skus:
        before = positions.get((placed.warehouse_code, sku))
        # The warehouse said it has none: as good as a count of 0, as of now.
        after = apply_snapshot(before, placed.warehouse_code, sku, 0, max(at, before.as_of) if before else at)
        if after is before:
            continue
        uow.stock.save_position(warehouse.id, after)
        uow.stock.record_change(
            warehouse_id=warehouse.id,
            sku=sku,
            kind="stockout",
            change=-(before.available if before else 0),
            available_after=0,
            reason=why[:100],
            source_kind="stockout",
            source_reference=f"warehouse order {placed.order_key}",
            journal_id=None,
            as_of=after.as_of,
        )
    enqueue_recompute(uow, stored.account_id, skus, f"stockout-{placed.id}")
    shop = uow.shops.by_id(stored.shop_id)
    assert shop is not None
    uow.enqueue(
        JobRequest(
            job=HOLD_FOR_STOCKOUT,
            key=f"stockout-hold-{placed.id}-{'-'.join(sorted(skus))}",
            args={"order_id": stored.id, "note": f"{placed.warehouse_code} is out of {', '.join(skus)}"},
            partition=shop.domain,
        )
    )


def orders_short_after(uow: UnitOfWork, warehouse_code: str, sku: str) -> list[int]:
    """The warehouse orders (newest first) whose units of ``sku`` the warehouse's new figure no longer
    covers: a 947 took away units that orders in flight hold."""
    position = uow.stock.positions([sku]).get((warehouse_code, sku))
    if position is None:
        return []
    reservations = [r for r in uow.stock.reservations([sku]) if r.warehouse == warehouse_code]
    deficit = in_flight(position, reservations) - position.available
    if deficit <= 0:
        return []
    short: list[int] = []
    for reservation in sorted(reservations, key=lambda r: r.reserved_at, reverse=True):
        if deficit <= 0:
            break
        counted_at = position.counted_at
        if reservation.released_at is not None or (
            counted_at is not None and reservation.reserved_at < counted_at
        ):
            continue
        short.append(int(reservation.key.split(":", 1)[0]))
        deficit -= reservation.units
    return short
