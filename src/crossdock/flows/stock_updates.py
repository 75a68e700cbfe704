"""Stock reported by warehouses, applied to the hub's positions: a snapshot (X12 846) replaces a SKU's figure
unless a newer report is already applied, a delta (947 adjustment, 944 receipt, restocked return) adds to
it unless the warehouse counted after it happened. Every change goes on the stock ledger with the document
that caused it, and the SKU's available-to-sell is recomputed (``inventory.recompute``).

Dispatched orders reserve their units until the warehouse ships or cancels them (``reserve`` / ``release``),
so that what the hub shows for sale never counts units already promised.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from crossdock.domain import warehouse as wh
from crossdock.domain.inventory import apply_delta, apply_snapshot
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from crossdock.store.warehouse_events import JournalEntry
from crossdock.store.warehouses import WarehouseRecord

RECOMPUTE = "inventory.recompute"

STOCK_EVENTS = (wh.StockSnapshot, wh.StockAdjusted, wh.ReceiptPosted, wh.ReturnReceived)


def apply_stock_entry(uow: UnitOfWork, warehouse: WarehouseRecord, entry: JournalEntry) -> set[str]:
    """Apply one journaled stock event; the SKUs whose position changed."""
    event = entry.event
    changes: list[tuple[str, str, int | None, int, str | None]] = []  # sku, kind, snapshot, delta, reason
    if isinstance(event, wh.StockSnapshot):
        changes = [(level.sku, "snapshot", level.available, 0, None) for level in event.levels]
    elif isinstance(event, wh.StockAdjusted):
        changes = [(event.sku, "adjustment", None, event.quantity_change, event.reason)]
    elif isinstance(event, wh.ReceiptPosted):
        changes = [(line.sku, "receipt", None, line.quantity - line.damaged, None) for line in event.lines]
    elif isinstance(event, wh.ReturnReceived):
        changes = [
            (line.sku, "return", None, line.quantity, None)
            for line in event.lines
            if line.disposition == "restock"
        ]
    positions = uow.stock.positions(sku for sku, *_ in changes)
    changed: set[str] = set()
    for sku, kind, snapshot, delta, reason in changes:
        before = positions.get((warehouse.code, sku))
        if snapshot is not None:
            after = apply_snapshot(before, warehouse.code, sku, snapshot, event.occurred_at)
        else:
            after = apply_delta(before, warehouse.code, sku, delta, event.occurred_at)
        if after is before:
            continue  # an older report than what is applied: nothing to record
        recorded = uow.stock.record_change(
            warehouse_id=warehouse.id,
            sku=sku,
            kind=kind,
            change=after.available - (before.available if before else 0),
            available_after=after.available,
            reason=reason,
            source_kind=event.source.kind,
            source_reference=event.source.reference,
            journal_id=entry.id,
            as_of=event.occurred_at,
        )
        if not recorded:
            continue  # this journal entry was applied before (a job run again)
        uow.stock.save_position(warehouse.id, after)
        positions[(warehouse.code, sku)] = after
        changed.add(sku)
    return changed


def enqueue_recompute(uow: UnitOfWork, account_id: str, skus: Iterable[str], cause: str) -> None:
    """Have these SKUs' available-to-sell recomputed once the caller's transaction commits: by the job that
    waits for one already, or by a new one (``store/recompute_requests.py``). Under load, a SKU's changes
    came faster than its jobs ran (one at a time per SKU) and jobs queued up by the hundred, each recomputing
    what the one before it had."""
    for asked in uow.recompute_requests.ask(account_id, skus, cause):
        uow.enqueue(
            JobRequest(
                job=RECOMPUTE,
                key=f"recompute-{account_id}-{asked.sku}-{asked.generation}",
                args={"account_id": account_id, "sku": asked.sku},
                partition=f"{account_id}:{asked.sku}",
            )
        )


def reserve(uow: UnitOfWork, warehouse_order_id: int, at: datetime) -> set[str]:
    placed = uow.warehouse_orders.get(warehouse_order_id)
    assert placed is not None
    units: dict[str, int] = {}
    for line in placed.order.lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    uow.stock.reserve(
        warehouse_order_id=placed.id, warehouse_id=placed.warehouse_id, units_by_sku=units, at=at
    )
    return set(units)


def release_shipped(uow: UnitOfWork, warehouse_order_id: int, at: datetime) -> list[str]:
    """Release the reservations of SKUs every unit of which has now left the warehouse."""
    placed = uow.warehouse_orders.get(warehouse_order_id)
    assert placed is not None
    ordered: dict[str, int] = {}
    for line in placed.order.lines:
        ordered[line.sku] = ordered.get(line.sku, 0) + line.quantity
    shipped: dict[str, int] = {}
    for shipment in uow.shipments.of_warehouse_order(warehouse_order_id):
        for shipped_line in shipment.shipped.lines:
            shipped[shipped_line.sku] = shipped.get(shipped_line.sku, 0) + shipped_line.quantity_shipped
    done = [sku for sku, units in ordered.items() if shipped.get(sku, 0) >= units]
    return uow.stock.release(warehouse_order_id, done, at) if done else []


def release_all(uow: UnitOfWork, warehouse_order_id: int, at: datetime) -> list[str]:
    return uow.stock.release(warehouse_order_id, None, at)
