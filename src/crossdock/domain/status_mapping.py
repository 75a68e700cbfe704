"""What each warehouse event means for the canonical order status: a table, so that every connector's
vocabulary lands on the same few events of ``order_status`` (X12 documents, API statuses and CSV codes are
first read into the canonical warehouse events of ``domain.warehouse``).

A shipment is complete when, counting every shipment of the order so far, each line has left in full; the
caller passes what was shipped before (``shipped_before``, per SKU) because a single event cannot know it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from crossdock.domain import order_status as status
from crossdock.domain import warehouse as wh

# Warehouse events that move an order, and the status event each one is.
_SIMPLE: dict[type[wh.WarehouseEvent], Callable[[wh.WarehouseEvent], status.OrderEvent]] = {
    wh.OrderAcknowledged: lambda _event: status.WarehouseAccepted(),
    wh.PreparationStarted: lambda _event: status.PreparationStarted(),
    wh.CancelConfirmed: lambda _event: status.CancelConfirmed(),
    wh.ReturnReceived: lambda _event: status.Returned(),
}


def status_event(
    event: wh.WarehouseEvent,
    *,
    ordered: Mapping[str, int] | None = None,
    shipped_before: Mapping[str, int] | None = None,
) -> status.OrderEvent | None:
    """The order status event a warehouse event is, or None for events about stock (snapshots, adjustments,
    receipts), which move no order. ``ordered`` (units per SKU of the warehouse order) is needed for
    ``Shipped``."""
    simple = _SIMPLE.get(type(event))
    if simple is not None:
        return simple(event)
    if isinstance(event, wh.OrderRejected):
        return status.WarehouseRejected(reason=event.reason)
    if isinstance(event, wh.CancelRefused):
        return status.CancelRefused(reason=event.reason)
    if isinstance(event, wh.Shipped):
        if ordered is None:
            raise ValueError("a shipment's status needs the units ordered per SKU")
        return status.ShipmentRecorded(complete=shipment_completes(event, ordered, shipped_before or {}))
    return None


def shipment_completes(
    shipped: wh.Shipped, ordered: Mapping[str, int], shipped_before: Mapping[str, int]
) -> bool:
    """Whether, with this shipment, every unit ordered has left."""
    total = dict(shipped_before)
    for line in shipped.lines:
        total[line.sku] = total.get(line.sku, 0) + line.quantity_shipped
    return all(total.get(sku, 0) >= quantity for sku, quantity in ordered.items())
