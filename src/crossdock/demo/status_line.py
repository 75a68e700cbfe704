"""The demo's status line: how far the orders placed so far have gone, read from the hub's database."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from crossdock.store.schema import exceptions, orders, shipments, warehouse_orders

# Every status an order can only have once its warehouse received it (a rejection or a refused
# cancellation comes from the warehouse too).
DISPATCHED = (
    "sent",
    "accepted",
    "in_preparation",
    "packed",
    "partially_shipped",
    "shipped",
    "delivered",
    "rejected",
    "cancel_refused",
    "returned",
)
SHIPPED = ("partially_shipped", "shipped", "delivered", "returned")


@dataclass(frozen=True)
class Progress:
    dispatched: int
    shipped: int
    fulfilled: int  # orders with at least one shipment fulfilled in Shopify
    open_exceptions: int


def read_only_engine(database_url: str) -> sa.Engine:
    """An engine that can only read: crossdock's own SQLite engine begins every transaction IMMEDIATE (a
    write lock), which a monitor polling each second must not take from the hub."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return sa.create_engine(f"sqlite:///file:{url.database}?mode=ro&uri=true")
    return sa.create_engine(url, pool_size=1, max_overflow=0)


class HubProgress:
    def __init__(self, database_url: str) -> None:
        self._engine = read_only_engine(database_url)

    def read(self) -> Progress:
        by_status = sa.select(orders.c.status, sa.func.count()).group_by(orders.c.status)
        fulfilled = sa.select(sa.func.count(sa.distinct(warehouse_orders.c.order_id))).select_from(
            shipments.join(warehouse_orders, shipments.c.warehouse_order_id == warehouse_orders.c.id)
        )
        open_exceptions = sa.select(sa.func.count()).where(exceptions.c.status == "open")
        with self._engine.connect() as connection:
            counts = {status: number for status, number in connection.execute(by_status)}
            fulfilled_orders = connection.execute(
                fulfilled.where(shipments.c.fulfillment_id.is_not(None))
            ).scalar_one()
            open_count = connection.execute(open_exceptions).scalar_one()
        return Progress(
            dispatched=sum(counts.get(status, 0) for status in DISPATCHED),
            shipped=sum(counts.get(status, 0) for status in SHIPPED),
            fulfilled=fulfilled_orders,
            open_exceptions=open_count,
        )

    def close(self) -> None:
        self._engine.dispose()


def status_line(elapsed_seconds: float, placed: int, progress: Progress) -> str:
    return (
        f"[{elapsed_seconds:5.0f} s] placed {placed} | dispatched {progress.dispatched} | "
        f"shipped {progress.shipped} | fulfilled in Shopify {progress.fulfilled} | "
        f"open exceptions {progress.open_exceptions}"
    )
