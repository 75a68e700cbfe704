"""The X12 warehouses of the configuration, as connectors, for the jobs and commands that need one."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from crossdock.config import Settings
from crossdock.connectors.x12.connector import X12Warehouse
from crossdock.flows.warehouse_connectors import register_warehouse_connector
from crossdock.store.unit_of_work import UnitOfWork


def x12_warehouse_keys(settings: Settings) -> Iterator[str]:
    return (key for key, warehouse in settings.warehouses.items() if warehouse.connector == "x12")


def x12_warehouse(settings: Settings, key: str, unit_of_work: Callable[[], UnitOfWork]) -> X12Warehouse:
    """The connector of warehouse ``key``; LookupError when it is not declared or is not an X12 partner."""
    warehouse = settings.warehouse(key)
    if warehouse.connector != "x12":
        raise LookupError(f"warehouse {key!r} is reached through {warehouse.connector!r}, not x12")
    return X12Warehouse(key, warehouse, unit_of_work)


register_warehouse_connector("x12", x12_warehouse)
