"""How the order flow reaches a warehouse without knowing its connector: each connector package registers a
factory for its ``connector`` kind (``[warehouses.<key>] connector = "x12"``) when the job catalog imports
it, and the flow asks for the warehouse by key."""

from __future__ import annotations

from collections.abc import Callable

from crossdock.config import Settings
from crossdock.connectors.base import OrderSink
from crossdock.store.unit_of_work import UnitOfWork

ConnectorFactory = Callable[[Settings, str, Callable[[], UnitOfWork]], OrderSink]

_factories: dict[str, ConnectorFactory] = {}


def register_warehouse_connector(kind: str, factory: ConnectorFactory) -> None:
    _factories[kind] = factory


def warehouse_connector(settings: Settings, key: str, unit_of_work: Callable[[], UnitOfWork]) -> OrderSink:
    """The connector of warehouse ``key``; LookupError when it is not declared or its kind has no
    connector in this process."""
    warehouse = settings.warehouse(key)
    factory = _factories.get(warehouse.connector)
    if factory is None:
        raise LookupError(
            f"warehouse {key!r} uses connector {warehouse.connector!r}, which this process did not load"
        )
    return factory(settings, key, unit_of_work)
