"""Warehouse orders: the part of an order sent to one warehouse, written before it is sent, so that a
dispatch retried after a crash sends the same document under the same key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crossdock.domain.warehouse import WarehouseOrder
from crossdock.domain.warehouse_serialization import (
    warehouse_order_from_document,
    warehouse_order_to_document,
)
from crossdock.store.schema import warehouse_orders, warehouses
from crossdock.store.types import utc_now

PENDING = "pending"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class StoredWarehouseOrder:
    id: int
    account_id: str
    order_id: int
    warehouse_id: int
    warehouse_code: str
    order_key: str
    status: str
    order: WarehouseOrder
    warehouse_reference: str | None
    sent_at: datetime | None


class WarehouseOrderRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def add(self, *, account_id: str, order_id: int, warehouse_id: int, order: WarehouseOrder) -> int:
        now = utc_now()
        inserted = self._connection.execute(
            sa.insert(warehouse_orders)
            .values(
                account_id=account_id,
                order_id=order_id,
                warehouse_id=warehouse_id,
                order_key=order.key,
                status=PENDING,
                document=warehouse_order_to_document(order),
                created_at=now,
                updated_at=now,
            )
            .returning(warehouse_orders.c.id)
        ).scalar_one()
        return int(inserted)

    def _select(self) -> sa.Select[tuple[object, ...]]:
        return sa.select(warehouse_orders, warehouses.c.code.label("warehouse_code")).join(
            warehouses, warehouses.c.id == warehouse_orders.c.warehouse_id
        )

    def get(self, warehouse_order_id: int) -> StoredWarehouseOrder | None:
        row = self._connection.execute(
            self._select().where(warehouse_orders.c.id == warehouse_order_id)
        ).one_or_none()
        return None if row is None else _stored(row)

    def by_key(self, warehouse_id: int, order_key: str) -> StoredWarehouseOrder | None:
        row = self._connection.execute(
            self._select().where(
                warehouse_orders.c.warehouse_id == warehouse_id, warehouse_orders.c.order_key == order_key
            )
        ).one_or_none()
        return None if row is None else _stored(row)

    def of_order(self, order_id: int) -> list[StoredWarehouseOrder]:
        rows = self._connection.execute(
            self._select().where(warehouse_orders.c.order_id == order_id).order_by(warehouse_orders.c.id)
        )
        return [_stored(row) for row in rows]

    def pending(self, warehouse_id: int, limit: int) -> list[StoredWarehouseOrder]:
        """The warehouse's orders recorded but not sent yet, oldest first."""
        rows = self._connection.execute(
            self._select()
            .where(warehouse_orders.c.warehouse_id == warehouse_id, warehouse_orders.c.status == PENDING)
            .order_by(warehouse_orders.c.id)
            .limit(limit)
        )
        return [_stored(row) for row in rows]

    def set_status(
        self, warehouse_order_id: int, status: str, *, sent: bool = False, reference: str | None = None
    ) -> None:
        values: dict[str, object] = {"status": status, "updated_at": utc_now()}
        if sent:
            values["sent_at"] = utc_now()
        if reference is not None:
            values["warehouse_reference"] = reference
        self._connection.execute(
            sa.update(warehouse_orders).where(warehouse_orders.c.id == warehouse_order_id).values(**values)
        )

    def replace_document(self, warehouse_order_id: int, order: WarehouseOrder) -> None:
        self._connection.execute(
            sa.update(warehouse_orders)
            .where(warehouse_orders.c.id == warehouse_order_id)
            .values(document=warehouse_order_to_document(order), updated_at=utc_now())
        )

    def count_by_status(self, statuses: Sequence[str] | None = None) -> dict[str, int]:
        query = sa.select(warehouse_orders.c.status, sa.func.count()).group_by(warehouse_orders.c.status)
        if statuses is not None:
            query = query.where(warehouse_orders.c.status.in_(statuses))
        return {status: int(count) for status, count in self._connection.execute(query)}


def _stored(row: sa.Row[tuple[object, ...]]) -> StoredWarehouseOrder:
    values = row._mapping
    return StoredWarehouseOrder(
        id=int(values["id"]),
        account_id=str(values["account_id"]),
        order_id=int(values["order_id"]),
        warehouse_id=int(values["warehouse_id"]),
        warehouse_code=str(values["warehouse_code"]),
        order_key=str(values["order_key"]),
        status=str(values["status"]),
        order=warehouse_order_from_document(values["document"]),
        warehouse_reference=values["warehouse_reference"],
        sent_at=values["sent_at"],
    )
