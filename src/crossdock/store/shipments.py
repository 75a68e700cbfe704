"""Shipments reported by warehouses, once each, and the Shopify fulfillment each one became."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crossdock.domain.warehouse import Shipped
from crossdock.domain.warehouse_serialization import event_from_document, event_to_document
from crossdock.store.schema import orders, shipments, warehouse_orders
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts


@dataclass(frozen=True)
class StoredShipment:
    id: int
    account_id: str
    warehouse_order_id: int
    warehouse_id: int
    shipment_id: str
    shipped: Shipped
    shipped_at: datetime
    fulfillment_id: str | None
    fulfilled_at: datetime | None


class ShipmentRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def record(
        self, *, account_id: str, warehouse_order_id: int, warehouse_id: int, shipped: Shipped
    ) -> int | None:
        """Record a shipment; its id, or None when this warehouse reported this shipment id before."""
        inserted = self._connection.execute(
            insert_ignoring_conflicts(self._connection, shipments)
            .values(
                account_id=account_id,
                warehouse_order_id=warehouse_order_id,
                warehouse_id=warehouse_id,
                shipment_id=shipped.shipment_id,
                document=event_to_document(shipped),
                shipped_at=shipped.occurred_at,
                recorded_at=utc_now(),
                fulfil_pending=True,
            )
            .returning(shipments.c.id)
        ).scalar_one_or_none()
        return None if inserted is None else int(inserted)

    def get(self, shipment_row_id: int) -> StoredShipment | None:
        row = self._connection.execute(
            sa.select(shipments).where(shipments.c.id == shipment_row_id)
        ).one_or_none()
        return None if row is None else _stored(row)

    def of_warehouse_order(self, warehouse_order_id: int) -> list[StoredShipment]:
        rows = self._connection.execute(
            sa.select(shipments)
            .where(shipments.c.warehouse_order_id == warehouse_order_id)
            .order_by(shipments.c.shipped_at, shipments.c.id)
        )
        return [_stored(row) for row in rows]

    def by_shipment_id(self, warehouse_id: int, shipment_id: str) -> StoredShipment | None:
        row = self._connection.execute(
            sa.select(shipments).where(
                shipments.c.warehouse_id == warehouse_id, shipments.c.shipment_id == shipment_id
            )
        ).one_or_none()
        return None if row is None else _stored(row)

    def replace_report(self, shipment_row_id: int, shipped: Shipped) -> None:
        """Keep the warehouse's corrected report of a shipment (its tracking changed)."""
        self._connection.execute(
            sa.update(shipments)
            .where(shipments.c.id == shipment_row_id)
            .values(document=event_to_document(shipped))
        )

    def mark_fulfilled(self, shipment_row_id: int, fulfillment_id: str) -> None:
        self._connection.execute(
            sa.update(shipments)
            .where(shipments.c.id == shipment_row_id)
            .values(fulfillment_id=fulfillment_id, fulfilled_at=utc_now(), fulfil_pending=False)
        )

    def awaiting_fulfilment(self, shop_id: int, limit: int) -> list[StoredShipment]:
        """The shop's shipments waiting for their Shopify fulfillment, oldest first."""
        rows = self._connection.execute(
            sa.select(shipments)
            .join(warehouse_orders, shipments.c.warehouse_order_id == warehouse_orders.c.id)
            .join(orders, warehouse_orders.c.order_id == orders.c.id)
            .where(shipments.c.fulfil_pending.is_(True), orders.c.shop_id == shop_id)
            .order_by(shipments.c.id)
            .limit(limit)
        )
        return [_stored(row) for row in rows]

    def stop_awaiting_fulfilment(self, shipment_row_ids: Sequence[int]) -> None:
        """Taken care of: fulfilled, found to need no fulfillment, or handed to a job of its own."""
        if shipment_row_ids:
            self._connection.execute(
                sa.update(shipments).where(shipments.c.id.in_(shipment_row_ids)).values(fulfil_pending=False)
            )

    def count(self, *, fulfilled: bool | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(shipments)
        if fulfilled is not None:
            condition = shipments.c.fulfillment_id.is_not(None)
            query = query.where(condition if fulfilled else sa.not_(condition))
        return int(self._connection.execute(query).scalar_one())


def _stored(row: sa.Row[tuple[object, ...]]) -> StoredShipment:
    values = row._mapping
    shipped = event_from_document(values["document"])
    assert isinstance(shipped, Shipped)
    return StoredShipment(
        id=int(values["id"]),
        account_id=str(values["account_id"]),
        warehouse_order_id=int(values["warehouse_order_id"]),
        warehouse_id=int(values["warehouse_id"]),
        shipment_id=str(values["shipment_id"]),
        shipped=shipped,
        shipped_at=values["shipped_at"],
        fulfillment_id=values["fulfillment_id"],
        fulfilled_at=values["fulfilled_at"],
    )
