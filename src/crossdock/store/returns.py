"""Customer returns the hub follows, and what warehouses reported receiving against them.

A return's row is created by the first webhook that names it and moved forward by the flow under a row lock
(``for_update``); receipts are keyed by the journal entry they come from, so applying one twice adds nothing.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crossdock.domain.returns import Return, ReturnItem, ReturnNotice, ReturnStatus
from crossdock.domain.warehouse import ReturnedLine
from crossdock.store.schema import orders, return_receipts, returns, warehouses
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts

# The column each status stamps with the moment it was reached.
_STAMPS = {
    "approved": "approved_at",
    "authorised": "authorised_at",
    "received": "received_at",
    "closed": "closed_at",
}


@dataclass(frozen=True)
class StoredReturn:
    id: int
    account_id: str
    shop_id: int
    order_id: int
    value: Return
    # False until the return's lines were read from Shopify (``value.items`` is empty until then).
    lines_read: bool
    warehouse_id: int | None
    warehouse_code: str | None
    authorised_at: datetime | None
    received_at: datetime | None
    closed_at: datetime | None

    @property
    def status(self) -> ReturnStatus:
        return self.value.status


class ReturnRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def open(self, *, account_id: str, shop_id: int, order_id: int, notice: ReturnNotice) -> int | None:
        """Create the return a notice names, in the notice's status; its id, or None when it exists."""
        now = utc_now()
        stamp = _STAMPS.get(notice.status)
        inserted = self._connection.execute(
            insert_ignoring_conflicts(self._connection, returns)
            .values(
                account_id=account_id,
                shop_id=shop_id,
                order_id=order_id,
                shopify_return_id=notice.shopify_return_id,
                status=notice.status,
                created_at=now,
                updated_at=now,
                **({stamp: now} if stamp else {}),
            )
            .returning(returns.c.id)
        ).scalar_one_or_none()
        return None if inserted is None else int(inserted)

    def _select(self) -> sa.Select[Any]:
        return sa.select(
            returns, warehouses.c.code.label("warehouse_code"), orders.c.shopify_order_id
        ).select_from(
            returns.join(orders, orders.c.id == returns.c.order_id).outerjoin(
                warehouses, warehouses.c.id == returns.c.warehouse_id
            )
        )

    def _one(self, query: sa.Select[Any], for_update: bool) -> StoredReturn | None:
        # Only the return's row is locked: the warehouse's row is read, never written, here.
        locked = query.with_for_update(of=returns) if for_update else query
        row = self._connection.execute(locked).one_or_none()
        return None if row is None else self._stored(row)

    def get(self, return_id: int, *, for_update: bool = False) -> StoredReturn | None:
        return self._one(self._select().where(returns.c.id == return_id), for_update)

    def by_shopify_id(
        self, shop_id: int, shopify_return_id: str, *, for_update: bool = False
    ) -> StoredReturn | None:
        query = self._select().where(
            returns.c.shop_id == shop_id, returns.c.shopify_return_id == shopify_return_id
        )
        return self._one(query, for_update)

    def by_rma(self, warehouse_id: int, rma_key: str, *, for_update: bool = False) -> StoredReturn | None:
        query = self._select().where(returns.c.warehouse_id == warehouse_id, returns.c.rma_key == rma_key)
        return self._one(query, for_update)

    def of_order(self, order_id: int) -> builtins.list[StoredReturn]:
        rows = self._connection.execute(
            self._select().where(returns.c.order_id == order_id).order_by(returns.c.id)
        )
        return [self._stored(row) for row in rows]

    def set_status(self, return_id: int, status: ReturnStatus, *, at: datetime | None = None) -> None:
        """Move the return to ``status`` (the caller checked it is forward, under the row's lock)."""
        moment = at or utc_now()
        stamp = _STAMPS.get(status)
        values: dict[str, Any] = {"status": status, "updated_at": utc_now()}
        if stamp:
            values[stamp] = moment
        self._connection.execute(sa.update(returns).where(returns.c.id == return_id).values(**values))

    def set_lines(
        self, return_id: int, items: tuple[ReturnItem, ...], *, warehouse_id: int, rma_key: str
    ) -> None:
        """The return's lines as read from Shopify, the warehouse that shipped them and the RMA number."""
        self._connection.execute(
            sa.update(returns)
            .where(returns.c.id == return_id)
            .values(
                items=[{"sku": item.sku, "quantity": item.quantity} for item in items],
                warehouse_id=warehouse_id,
                rma_key=rma_key,
                updated_at=utc_now(),
            )
        )

    def add_receipt(
        self, return_id: int, *, journal_id: int, lines: tuple[ReturnedLine, ...], received_at: datetime
    ) -> bool:
        """Record a receipt; False when this journal entry was recorded before."""
        inserted = self._connection.execute(
            insert_ignoring_conflicts(self._connection, return_receipts)
            .values(
                return_id=return_id,
                journal_id=journal_id,
                lines=[
                    {"sku": line.sku, "quantity": line.quantity, "disposition": line.disposition}
                    for line in lines
                ],
                received_at=received_at,
                recorded_at=utc_now(),
            )
            .returning(return_receipts.c.id)
        ).scalar_one_or_none()
        return inserted is not None

    def _received(self, return_id: int) -> tuple[ReturnedLine, ...]:
        rows = self._connection.execute(
            sa.select(return_receipts.c.lines)
            .where(return_receipts.c.return_id == return_id)
            .order_by(return_receipts.c.id)
        )
        return tuple(
            ReturnedLine(line["sku"], int(line["quantity"]), line["disposition"])
            for row in rows
            for line in row.lines
        )

    def _stored(self, row: Any) -> StoredReturn:
        items = row.items
        return StoredReturn(
            id=int(row.id),
            account_id=row.account_id,
            shop_id=int(row.shop_id),
            order_id=int(row.order_id),
            value=Return(
                shopify_return_id=row.shopify_return_id,
                shopify_order_id=row.shopify_order_id,
                status=row.status,
                items=tuple(ReturnItem(item["sku"], int(item["quantity"])) for item in items or ()),
                rma_key=row.rma_key,
                received=self._received(int(row.id)),
                approved_at=row.approved_at,
            ),
            lines_read=items is not None,
            warehouse_id=None if row.warehouse_id is None else int(row.warehouse_id),
            warehouse_code=row.warehouse_code,
            authorised_at=row.authorised_at,
            received_at=row.received_at,
            closed_at=row.closed_at,
        )
