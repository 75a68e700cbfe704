"""Orders as the hub keeps them: one row per Shopify order of a shop, holding the newest version received.

Inputs carrying an order arrive in any order and may be handled by two workers at once, so neither writing
method reads first and decides afterwards: ``insert`` ignores a row another transaction created, and
``replace`` changes the row only ``WHERE source_version < new`` — the database, not the caller, decides that
the newer version wins, and an older one can never overwrite it.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crossdock.domain.order_status import OrderState
from crossdock.domain.orders import Order
from crossdock.store.schema import orders
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts

RECEIVED = "received"


@dataclass(frozen=True)
class StoredOrder:
    id: int
    account_id: str
    shop_id: int
    status: str
    order: Order
    created_at: datetime
    updated_at: datetime
    state: OrderState = field(default_factory=OrderState)

    @property
    def source_version(self) -> datetime:
        return self.order.source_version


class OrderRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def get(self, shop_id: int, shopify_order_id: str, *, for_update: bool = False) -> StoredOrder | None:
        """The shop's order; ``for_update`` locks its row until the transaction ends (PostgreSQL; SQLite's
        transactions already run one at a time), so what is read stays true while the caller acts on it."""
        query = sa.select(orders).where(
            orders.c.shop_id == shop_id, orders.c.shopify_order_id == shopify_order_id
        )
        row = self._connection.execute(query.with_for_update() if for_update else query).one_or_none()
        return None if row is None else _stored(row)

    def insert(self, *, account_id: str, shop_id: int, order: Order, status: str = RECEIVED) -> int | None:
        """Create the order's row; returns its id, or None when the shop already has a row for this order
        (another transaction may have created it since the caller last looked)."""
        now = utc_now()
        inserted = self._connection.execute(
            insert_ignoring_conflicts(self._connection, orders)
            .values(
                account_id=account_id,
                shop_id=shop_id,
                shopify_order_id=order.shopify_order_id,
                name=order.name,
                source_version=order.source_version,
                status=status,
                document=order.to_document(),
                created_at=now,
                updated_at=now,
            )
            .returning(orders.c.id)
        ).scalar_one_or_none()
        return None if inserted is None else int(inserted)

    def replace(self, shop_id: int, order: Order, *, same_version_too: bool = False) -> bool:
        """Replace the stored order with ``order`` if, and only if, ``order`` is a newer version (or, with
        ``same_version_too``, the same version: the caller decided it supersedes the stored one, see
        ``domain.orders.supersedes``); returns whether it did. The status is left as it is: a new version of
        an order does not move it."""
        stored_version = orders.c.source_version
        replaced = self._connection.execute(
            sa.update(orders)
            .where(
                orders.c.shop_id == shop_id,
                orders.c.shopify_order_id == order.shopify_order_id,
                stored_version <= order.source_version
                if same_version_too
                else stored_version < order.source_version,
            )
            .values(
                name=order.name,
                source_version=order.source_version,
                document=order.to_document(),
                updated_at=utc_now(),
            )
        )
        return replaced.rowcount == 1

    def by_id(self, order_id: int, *, for_update: bool = False) -> StoredOrder | None:
        query = sa.select(orders).where(orders.c.id == order_id)
        row = self._connection.execute(query.with_for_update() if for_update else query).one_or_none()
        return None if row is None else _stored(row)

    def by_name(self, name: str, account_id: str | None = None) -> list[StoredOrder]:
        """Orders called ``name`` ("#1001"; the "#" may be left out), newest first: two shops can both
        have a #1001."""
        names = {name, name if name.startswith("#") else f"#{name}"}
        query = sa.select(orders).where(orders.c.name.in_(sorted(names))).order_by(orders.c.id.desc())
        if account_id is not None:
            query = query.where(orders.c.account_id == account_id)
        return [_stored(row) for row in self._connection.execute(query)]

    def set_state(self, order_id: int, state: OrderState) -> None:
        self._connection.execute(
            sa.update(orders)
            .where(orders.c.id == order_id)
            .values(
                status=state.status,
                state=state_to_document(state),
                updated_at=utc_now(),
                state_changed_at=utc_now(),
            )
        )

    def count_by_status(self) -> dict[str, int]:
        rows = self._connection.execute(sa.select(orders.c.status, sa.func.count()).group_by(orders.c.status))
        return {status: int(count) for status, count in rows}

    def unpublished(self, shop_id: int, limit: int) -> builtins.list[StoredOrder]:
        """The shop's orders whose status Shopify does not show yet, oldest change first."""
        rows = self._connection.execute(
            sa.select(orders)
            .where(
                orders.c.shop_id == shop_id,
                sa.or_(orders.c.published_status.is_(None), orders.c.published_status != orders.c.status),
            )
            .order_by(orders.c.updated_at)
            .limit(limit)
        )
        return [_stored(row) for row in rows]

    def mark_published(self, order_id: int, status: str) -> None:
        self._connection.execute(
            sa.update(orders)
            .where(orders.c.id == order_id)
            .values(published_status=status, status_published_at=utc_now())
        )


def _stored(row: sa.Row[Any]) -> StoredOrder:
    return StoredOrder(
        id=int(row.id),
        account_id=row.account_id,
        shop_id=int(row.shop_id),
        status=row.status,
        order=Order.from_document(row.document),
        created_at=row.created_at,
        updated_at=row.updated_at,
        state=state_from_document(row.state) if row.state else OrderState(row.status),
    )


def state_to_document(state: OrderState) -> dict[str, object]:
    return {
        "status": state.status,
        "held_from": state.held_from,
        "holds": sorted(state.holds),
        "cancel_requested_from": state.cancel_requested_from,
    }


def state_from_document(document: dict[str, Any]) -> OrderState:
    return OrderState(
        status=document["status"],
        held_from=document.get("held_from"),
        holds=frozenset(document.get("holds") or ()),
        cancel_requested_from=document.get("cancel_requested_from"),
    )
