"""The stock the hub knows at each warehouse, for routing: the last complete snapshot each warehouse
reported (X12 846, an API listing). Adjustments since the snapshot and units of orders in flight are the
inventory flow's business; routing only needs to know which warehouse holds an order's lines, and a
snapshot answers that well enough to choose."""

from __future__ import annotations

from collections.abc import Sequence

from crossdock.domain.routing import Stock
from crossdock.domain.warehouse import StockSnapshot
from crossdock.store.unit_of_work import UnitOfWork


def reported_stock(uow: UnitOfWork, warehouse_codes: Sequence[str]) -> Stock:
    stock: dict[tuple[str, str], int] = {}
    for code in warehouse_codes:
        record = uow.warehouses.by_code(code)
        if record is None:
            continue
        latest = uow.warehouse_events.list(record.id, kind="StockSnapshot", latest_first=True, limit=1)
        for entry in latest:
            assert isinstance(entry.event, StockSnapshot)
            for level in entry.event.levels:
                stock[(code, level.sku)] = level.available
    return stock
