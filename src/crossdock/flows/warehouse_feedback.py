"""What the warehouses said, applied to the orders: each journaled warehouse event about an order moves its
status through the mapping table (``domain.status_mapping``), each shipment is recorded once and becomes one
Shopify fulfillment, each return receipt goes to the returns flow (``flows.return_receipts``), and a refusal
(a rejected order, a refused cancellation) becomes an exception that says what happened.

A connector journals the events of one stored document and applies them in the same transaction
(``apply_journaled``; the ``warehouse.apply_events`` job does the same for a document journaled earlier).
Applying twice changes nothing: the status machine takes an event twice as once, and a shipment is keyed by
its warehouse and shipment id. Documents may be applied in another order than they arrived (two files
processed at once): progress only moves forward, and stock reports are ordered by their own times.
"""

from __future__ import annotations

from crossdock.domain import warehouse as wh
from crossdock.domain.status_mapping import status_event
from crossdock.flows.order_progress import UPDATE_TRACKING, apply_status_event, record, request_fulfilment
from crossdock.flows.return_receipts import apply_return_receipt
from crossdock.flows.stock_updates import (
    STOCK_EVENTS,
    apply_stock_entry,
    enqueue_recompute,
    release_all,
    release_shipped,
)
from crossdock.flows.stockouts import declare_stockout, is_for_lack_of_stock, orders_short_after
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import ORDERS
from crossdock.jobs.registry import job
from crossdock.store.orders import StoredOrder
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from crossdock.store.warehouse_orders import StoredWarehouseOrder

APPLY_EVENTS = "warehouse.apply_events"

# The warehouse order's own status after each event (the order's status aggregates its warehouse orders).
_WAREHOUSE_ORDER_STATUS: dict[type[wh.WarehouseEvent], str] = {
    wh.OrderAcknowledged: "accepted",
    wh.OrderRejected: "rejected",
    wh.PreparationStarted: "in_preparation",
    wh.CancelConfirmed: "cancelled",
    wh.CancelRefused: "cancel_refused",
}


@job(APPLY_EVENTS, queue=ORDERS)
def apply_warehouse_events(ctx: JobContext, warehouse: str, inbox_id: int) -> dict[str, int]:
    with ctx.unit_of_work() as uow:
        counts = apply_journaled(uow, warehouse, inbox_id)
        uow.commit()
    return counts


def apply_journaled(uow: UnitOfWork, warehouse: str, inbox_id: int) -> dict[str, int]:
    """Apply the events journaled from one stored document, in the caller's transaction (a connector calls
    it in the transaction that journals them: what a document says is applied together with it)."""
    applied = 0
    unknown = 0
    record_ = uow.warehouses.by_code(warehouse)
    if record_ is None:
        raise FatalJobError(f"warehouse {warehouse!r} is not in the database")
    stock_changed: set[str] = set()
    for entry in uow.warehouse_events.list(record_.id, inbox_id=inbox_id):
        event = entry.event
        if isinstance(event, STOCK_EVENTS):
            stock_changed |= apply_stock_entry(uow, record_, entry)
            if isinstance(event, wh.StockAdjusted) and event.quantity_change < 0:
                _stockouts_after_adjustment(uow, warehouse, event)
            if isinstance(event, wh.StockSnapshot | wh.StockAdjusted | wh.ReceiptPosted):
                continue
        if isinstance(event, wh.ReturnReceived):
            # Names a return by its RMA number, not an order: the returns flow finds the order.
            apply_return_receipt(uow, record_, entry, inbox_id)
            applied += 1
            continue
        key = getattr(event, "order_key", None)
        if not key:
            continue
        placed = uow.warehouse_orders.by_key(record_.id, key)
        if placed is None:
            unknown += 1
            uow.exceptions.raise_(
                type="unknown_warehouse_order",
                severity="warning",
                subject_type="warehouse_order",
                subject_id=f"{warehouse}/{key}",
                message=f"{warehouse} reported {type(event).__name__} for order {key}, which the hub "
                "never sent there",
                details={"event": type(event).__name__, "inbox_id": inbox_id},
                actions=["resolve", "ignore"],
            )
            continue
        stock_changed |= _apply(uow, placed, event, inbox_id)
        applied += 1
    for account_id in record_.account_ids:
        enqueue_recompute(uow, account_id, stock_changed, f"inbox-{inbox_id}")
    return {"applied": applied, "unknown": unknown}


def _apply(
    uow: UnitOfWork, placed: StoredWarehouseOrder, event: wh.WarehouseEvent, inbox_id: int
) -> set[str]:
    """Apply one event about a warehouse order; the SKUs whose reservations it released."""
    released = set(_release_for(uow, placed, event))
    _apply_to_order(uow, placed, event, inbox_id)
    return released


def _release_for(uow: UnitOfWork, placed: StoredWarehouseOrder, event: wh.WarehouseEvent) -> list[str]:
    if isinstance(event, wh.OrderRejected | wh.CancelConfirmed):
        return release_all(uow, placed.id, event.occurred_at)
    return []


def _apply_to_order(
    uow: UnitOfWork, placed: StoredWarehouseOrder, event: wh.WarehouseEvent, inbox_id: int
) -> None:
    stored = uow.orders.by_id(placed.order_id, for_update=True)
    assert stored is not None, "a warehouse order's order is never removed"
    source = f"{placed.warehouse_code} {event.source.kind} {event.source.reference}"
    ordered: dict[str, int] = {}
    shipped_before: dict[str, int] = {}
    if isinstance(event, wh.Shipped):
        shipment_row = uow.shipments.record(
            account_id=placed.account_id,
            warehouse_order_id=placed.id,
            warehouse_id=placed.warehouse_id,
            shipped=event,
        )
        if shipment_row is None:
            _correct_tracking(uow, placed, stored, event, inbox_id)
            return
        everything = uow.warehouse_orders.of_order(placed.order_id)
        for part in everything:
            for line in part.order.lines:
                ordered[line.sku] = ordered.get(line.sku, 0) + line.quantity
            for shipment in uow.shipments.of_warehouse_order(part.id):
                if shipment.id == shipment_row:
                    continue
                for shipped_line in shipment.shipped.lines:
                    shipped_before[shipped_line.sku] = (
                        shipped_before.get(shipped_line.sku, 0) + shipped_line.quantity_shipped
                    )
        record(
            uow,
            stored,
            "shipped",
            f"{placed.warehouse_code} shipped {_units_text(event)}"
            f" ({', '.join(parcel.tracking_number for parcel in event.parcels) or 'no tracking'})",
            {"shipment_id": event.shipment_id, "warehouse": placed.warehouse_code},
            inbox_id=inbox_id,
        )
        shop = uow.shops.by_id(stored.shop_id)
        assert shop is not None
        release_shipped(uow, placed.id, event.occurred_at)
        request_fulfilment(uow, shop)
    new_status = _WAREHOUSE_ORDER_STATUS.get(type(event))
    if isinstance(event, wh.Shipped):
        new_status = "shipped" if _all_left(placed, ordered, shipped_before, event) else "partially_shipped"
    if new_status is not None:
        reference = event.warehouse_reference if isinstance(event, wh.OrderAcknowledged) else None
        uow.warehouse_orders.set_status(placed.id, new_status, reference=reference)
    order_event = status_event(event, ordered=ordered or None, shipped_before=shipped_before)
    if order_event is None:
        return
    apply_status_event(uow, stored, order_event, cause=source, inbox_id=None)
    if isinstance(event, wh.OrderRejected):
        uow.exceptions.raise_(
            type="warehouse_rejected",
            severity="error",
            subject_type="order",
            subject_id=str(stored.id),
            message=f"{placed.warehouse_code} rejected order {stored.order.name}: {event.reason}",
            details={"skus": list(event.skus), "warehouse": placed.warehouse_code},
            actions=["reroute", "resolve", "ignore"],
            account_id=stored.account_id,
        )
        if is_for_lack_of_stock(event.reason):
            short = list(event.skus) or [line.sku for line in placed.order.lines]
            declare_stockout(uow, placed, short, event.reason, event.occurred_at)
    if isinstance(event, wh.CancelRefused):
        shipments = [shipment.shipment_id for shipment in uow.shipments.of_warehouse_order(placed.id)]
        named = event.shipment_id or ", ".join(shipments) or "not shipped yet: being prepared"
        uow.exceptions.raise_(
            type="cancel_refused",
            severity="error",
            subject_type="order",
            subject_id=str(stored.id),
            message=f"{placed.warehouse_code} refused to cancel order {stored.order.name} ({event.reason}); "
            f"shipment: {named}",
            details={
                "shipment_id": event.shipment_id,
                "shipments": shipments,
                "warehouse": placed.warehouse_code,
            },
            actions=["resolve", "ignore"],
            account_id=stored.account_id,
        )


def _all_left(
    placed: StoredWarehouseOrder, ordered: dict[str, int], before: dict[str, int], event: wh.Shipped
) -> bool:
    total = dict(before)
    for line in event.lines:
        total[line.sku] = total.get(line.sku, 0) + line.quantity_shipped
    return all(total.get(line.sku, 0) >= line.quantity for line in placed.order.lines)


def _units_text(event: wh.Shipped) -> str:
    return ", ".join(f"{line.quantity_shipped} x {line.sku}" for line in event.lines)


def _correct_tracking(
    uow: UnitOfWork, placed: StoredWarehouseOrder, stored: StoredOrder, event: wh.Shipped, inbox_id: int
) -> None:
    """A shipment reported again: the same report changes nothing; new tracking (a relabelled parcel, a
    typo the warehouse fixed) replaces the old one, in Shopify too."""
    known = uow.shipments.by_shipment_id(placed.warehouse_id, event.shipment_id)
    assert known is not None, "record() found this shipment"
    if _tracking_of(known.shipped) == _tracking_of(event):
        return
    uow.shipments.replace_report(known.id, event)
    record(
        uow,
        stored,
        "tracking_corrected",
        f"{placed.warehouse_code} corrected the tracking of shipment {event.shipment_id}: "
        f"{', '.join(number for number, _ in _tracking_of(known.shipped)) or 'none'} → "
        f"{', '.join(number for number, _ in _tracking_of(event)) or 'none'}",
        {"shipment_id": event.shipment_id},
        inbox_id=inbox_id,
    )
    shop = uow.shops.by_id(stored.shop_id)
    assert shop is not None
    uow.enqueue(
        JobRequest(
            job=UPDATE_TRACKING,
            key=f"tracking-{known.id}-{inbox_id}",
            args={"shipment_row_id": known.id},
            partition=shop.domain,
        )
    )


def _tracking_of(shipped: wh.Shipped) -> tuple[tuple[str, str | None], ...]:
    return tuple((parcel.tracking_number, parcel.carrier_code) for parcel in shipped.parcels)


def _stockouts_after_adjustment(uow: UnitOfWork, warehouse: str, event: wh.StockAdjusted) -> None:
    """A 947 that takes away units orders in flight hold: those orders cannot ship in full."""
    for warehouse_order_id in orders_short_after(uow, warehouse, event.sku):
        placed = uow.warehouse_orders.get(warehouse_order_id)
        if placed is None or placed.status in ("shipped", "cancelled", "rejected"):
            continue
        why = f"a stock adjustment ({event.reason}, {event.quantity_change}) left too few units"
        declare_stockout(uow, placed, [event.sku], why, event.occurred_at)
