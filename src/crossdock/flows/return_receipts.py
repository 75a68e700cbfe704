"""A warehouse received a return (X12 944, an API receipt): the return records what came back and how each
unit was judged, the order becomes ``returned``, and the return is closed in Shopify — unless the receipt
does not match the authorisation (a SKU it does not name, more units than it allows), which opens a
``return_mismatch`` exception and leaves the Shopify return open for the merchant to settle.

Stock is the inventory flow's business (``flows.stock_updates``): restocked units are added to the
warehouse's position in the same transaction, damaged ones are not stock for sale and move nothing. The
warehouse's word on stock is taken as it is, mismatch or not: the units are on its shelves either way.

Applied once per journal entry (the receipt's row is keyed by it), in the transaction that journals it.
"""

from __future__ import annotations

from crossdock.domain import order_status
from crossdock.domain import warehouse as wh
from crossdock.domain.returns import is_newer, mismatches, shortfall, units_by_disposition
from crossdock.flows.order_progress import apply_status_event, record
from crossdock.flows.return_jobs import CLOSE_RETURN
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from crossdock.store.warehouse_events import JournalEntry
from crossdock.store.warehouses import WarehouseRecord

RETURN_RECEIVED = "return_received"
RETURN_MISMATCH = "return_mismatch"
RETURN_CLOSED = "return_closed_in_shopify"
UNKNOWN_RETURN = "unknown_return"


def apply_return_receipt(
    uow: UnitOfWork, warehouse: WarehouseRecord, entry: JournalEntry, inbox_id: int
) -> None:
    event = entry.event
    assert isinstance(event, wh.ReturnReceived)
    found = uow.returns.by_rma(warehouse.id, event.return_key)
    if found is None:
        uow.exceptions.raise_(
            type=UNKNOWN_RETURN,
            severity="warning",
            subject_type="return",
            subject_id=f"{warehouse.code}/{event.return_key}",
            message=f"{warehouse.code} received goods against return {event.return_key}, which the hub never "
            f"authorised there: {_units(event.lines)}",
            details={"inbox_id": inbox_id, "lines": _lines(event.lines)},
            actions=["resolve", "ignore"],
            account_id=warehouse.account_ids[0] if len(warehouse.account_ids) == 1 else None,
        )
        return
    # Order, then return: every transaction on a return locks its order first.
    stored_order = uow.orders.by_id(found.order_id, for_update=True)
    assert stored_order is not None, "a return's order is never removed"
    returned = uow.returns.get(found.id, for_update=True)
    assert returned is not None
    if not uow.returns.add_receipt(
        returned.id, journal_id=entry.id, lines=event.lines, received_at=event.occurred_at
    ):
        return  # this journal entry was applied before
    received = returned.value.received + event.lines
    name = returned.value.shopify_return_id
    split = units_by_disposition(event.lines)
    missing = shortfall(returned.value.items, received)
    message = f"{warehouse.code} received return {name} (RMA {event.return_key}): " + "; ".join(
        part
        for part in (
            f"restocked {_text(split['restock'])}" if split["restock"] else "",
            f"damaged, not for sale {_text(split['damaged'])}" if split["damaged"] else "",
            f"still expected {_text(missing)}" if missing else "",
        )
        if part
    )
    record(
        uow,
        stored_order,
        RETURN_RECEIVED,
        message,
        {
            "return_id": name,
            "rma_key": event.return_key,
            "warehouse": warehouse.code,
            "restocked": split["restock"],
            "damaged": split["damaged"],
            "source": f"{event.source.kind} {event.source.reference}",
        },
        inbox_id=inbox_id,
    )
    if is_newer(returned.status, "received"):
        uow.returns.set_status(returned.id, "received", at=event.occurred_at)
    apply_status_event(
        uow,
        stored_order,
        order_status.Returned(),
        cause=f"{warehouse.code} {event.source.kind} {event.source.reference}",
    )
    found_mismatches = mismatches(returned.value.items, received)
    if found_mismatches:
        described = "; ".join(mismatch.describe() for mismatch in found_mismatches)
        text = (
            f"return {name} of order {stored_order.order.name}: {warehouse.code}'s receipt does not match "
            f"the authorisation ({described}); the return stays open in Shopify until someone settles it"
        )
        uow.exceptions.raise_(
            type=RETURN_MISMATCH,
            severity="error",
            subject_type="return",
            subject_id=str(returned.id),
            message=text,
            details={
                "return_id": name,
                "rma_key": event.return_key,
                "warehouse": warehouse.code,
                "order": stored_order.order.name,
                "mismatches": [
                    {"sku": m.sku, "kind": m.kind, "authorised": m.authorised, "received": m.received}
                    for m in found_mismatches
                ],
                "authorised": {item.sku: item.quantity for item in returned.value.items},
                "received": _lines(received),
            },
            actions=["resolve", "ignore"],
            account_id=returned.account_id,
        )
        record(uow, stored_order, RETURN_MISMATCH, text, {"return_id": name}, inbox_id=inbox_id)
        return
    shop = uow.shops.by_id(returned.shop_id)
    assert shop is not None
    uow.enqueue(
        JobRequest(
            job=CLOSE_RETURN,
            key=f"return-{returned.id}-close",
            args={"return_id": returned.id},
            partition=shop.domain,
        )
    )


def record_return_closed(uow: UnitOfWork, return_id: int, *, already: bool) -> str:
    """The return is closed in Shopify (``already``: it was before the hub asked)."""
    found = uow.returns.get(return_id)
    if found is None:
        raise LookupError(f"no return {return_id}")
    stored_order = uow.orders.by_id(found.order_id, for_update=True)
    assert stored_order is not None
    returned = uow.returns.get(return_id, for_update=True)
    assert returned is not None
    if returned.status == "closed":
        return f"return {returned.value.shopify_return_id} was closed already"
    uow.returns.set_status(return_id, "closed", at=utc_now())
    text = f"return {returned.value.shopify_return_id} closed in Shopify" + (
        " (it was closed there already)" if already else ""
    )
    record(uow, stored_order, RETURN_CLOSED, text, {"return_id": returned.value.shopify_return_id})
    return text


def _text(units: dict[str, int]) -> str:
    return ", ".join(f"{quantity} x {sku}" for sku, quantity in units.items())


def _units(lines: tuple[wh.ReturnedLine, ...]) -> str:
    return ", ".join(f"{line.quantity} x {line.sku} ({line.disposition})" for line in lines)


def _lines(lines: tuple[wh.ReturnedLine, ...]) -> list[dict[str, object]]:
    return [{"sku": line.sku, "quantity": line.quantity, "disposition": line.disposition} for line in lines]
