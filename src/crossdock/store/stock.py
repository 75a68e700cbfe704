"""Stock as the hub keeps it: each warehouse's last reported position per SKU with its ledger, the
reservations of dispatched orders, and the levels the hub wants (and last knew) at each Shopify location."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crossdock.domain.inventory import Reservation, StockPosition
from crossdock.store.schema import (
    shopify_stock_levels,
    stock_ledger,
    stock_positions,
    stock_reservations,
    warehouses,
)
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts


@dataclass(frozen=True)
class LedgerEntry:
    warehouse: str
    sku: str
    kind: str
    change: int
    available_after: int
    reason: str | None
    source_kind: str
    source_reference: str
    as_of: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class ShopLevel:
    shop_id: int
    location_id: str
    inventory_item_id: str
    sku: str
    available: int | None
    wanted: int
    reason: str | None
    pushed_at: datetime | None


class StockRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    # --- positions and ledger -------------------------------------------------------------------------

    def positions(self, skus: Iterable[str]) -> dict[tuple[str, str], StockPosition]:
        """Every warehouse's position of these SKUs, by (warehouse code, sku)."""
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        rows = self._connection.execute(
            sa.select(stock_positions, warehouses.c.code)
            .join(warehouses, warehouses.c.id == stock_positions.c.warehouse_id)
            .where(stock_positions.c.sku.in_(wanted))
        )
        return {
            (row.code, row.sku): StockPosition(row.code, row.sku, row.available, row.as_of, row.counted_at)
            for row in rows
        }

    def save_position(self, warehouse_id: int, position: StockPosition) -> None:
        values = {
            "available": position.available,
            "as_of": position.as_of,
            "counted_at": position.counted_at,
            "updated_at": utc_now(),
        }
        updated = self._connection.execute(
            sa.update(stock_positions)
            .where(stock_positions.c.warehouse_id == warehouse_id, stock_positions.c.sku == position.sku)
            .values(**values)
        )
        if updated.rowcount == 0:
            self._connection.execute(
                sa.insert(stock_positions).values(warehouse_id=warehouse_id, sku=position.sku, **values)
            )

    def record_change(
        self,
        *,
        warehouse_id: int,
        sku: str,
        kind: str,
        change: int,
        available_after: int,
        reason: str | None,
        source_kind: str,
        source_reference: str,
        journal_id: int | None,
        as_of: datetime,
    ) -> bool:
        """Write one ledger line; False when this journal entry was recorded for this SKU before."""
        inserted = self._connection.execute(
            insert_ignoring_conflicts(self._connection, stock_ledger)
            .values(
                warehouse_id=warehouse_id,
                sku=sku,
                kind=kind,
                change=change,
                available_after=available_after,
                reason=reason,
                source_kind=source_kind,
                source_reference=source_reference,
                journal_id=journal_id,
                as_of=as_of,
                recorded_at=utc_now(),
            )
            .returning(stock_ledger.c.id)
        ).scalar_one_or_none()
        return inserted is not None

    def ledger(self, sku: str, limit: int = 50) -> builtins.list[LedgerEntry]:
        rows = self._connection.execute(
            sa.select(stock_ledger, warehouses.c.code)
            .join(warehouses, warehouses.c.id == stock_ledger.c.warehouse_id)
            .where(stock_ledger.c.sku == sku)
            .order_by(stock_ledger.c.id.desc())
            .limit(limit)
        )
        return [
            LedgerEntry(
                row.code,
                row.sku,
                row.kind,
                row.change,
                row.available_after,
                row.reason,
                row.source_kind,
                row.source_reference,
                row.as_of,
                row.recorded_at,
            )
            for row in rows
        ]

    # --- reservations ---------------------------------------------------------------------------------

    def reserve(
        self, *, warehouse_order_id: int, warehouse_id: int, units_by_sku: dict[str, int], at: datetime
    ) -> None:
        """Reserve a dispatched warehouse order's units (once: a repeated dispatch reserves nothing more)."""
        for sku, units in sorted(units_by_sku.items()):
            if units <= 0:
                continue
            self._connection.execute(
                insert_ignoring_conflicts(self._connection, stock_reservations).values(
                    warehouse_order_id=warehouse_order_id,
                    sku=sku,
                    warehouse_id=warehouse_id,
                    units=units,
                    reserved_at=at,
                )
            )

    def release(
        self, warehouse_order_id: int, skus: Sequence[str] | None, at: datetime
    ) -> builtins.list[str]:
        """Release the reservations of these SKUs (all, when None) of a warehouse order, once; the SKUs
        released now."""
        condition = sa.and_(
            stock_reservations.c.warehouse_order_id == warehouse_order_id,
            stock_reservations.c.released_at.is_(None),
        )
        if skus is not None:
            condition = sa.and_(condition, stock_reservations.c.sku.in_(list(skus)))
        # Never before the reservation: a warehouse cannot ship or reject an order before the hub reserved
        # its units, but its timestamps can say so (X12 times are to the second or the minute, and its clock
        # is its own): an 870 rejecting within the second of routing must still release.
        released = self._connection.execute(
            sa.update(stock_reservations)
            .where(condition)
            .values(
                released_at=sa.case(
                    (stock_reservations.c.reserved_at > at, stock_reservations.c.reserved_at), else_=at
                )
            )
            .returning(stock_reservations.c.sku)
        )
        return sorted(row.sku for row in released)

    def reservations(self, skus: Iterable[str]) -> builtins.list[Reservation]:
        wanted = sorted(set(skus))
        if not wanted:
            return []
        rows = self._connection.execute(
            sa.select(stock_reservations, warehouses.c.code)
            .join(warehouses, warehouses.c.id == stock_reservations.c.warehouse_id)
            .where(stock_reservations.c.sku.in_(wanted))
        )
        return [
            Reservation(
                key=f"{row.warehouse_order_id}:{row.sku}",
                warehouse=row.code,
                sku=row.sku,
                units=row.units,
                reserved_at=row.reserved_at,
                released_at=row.released_at,
            )
            for row in rows
        ]

    # --- Shopify levels -------------------------------------------------------------------------------

    def want(
        self, *, shop_id: int, location_id: str, inventory_item_id: str, sku: str, wanted: int, reason: str
    ) -> bool:
        """Set what the hub wants at a Shopify location; True when that differs from what Shopify holds as
        far as the hub knows (a push is due) and no change made there by someone else waits for its judgment
        (``hold_for_judgment``)."""
        key = _level_key(shop_id, location_id, inventory_item_id)
        row = self._connection.execute(
            sa.select(shopify_stock_levels.c.available, shopify_stock_levels.c.judging).where(key)
        ).one_or_none()
        if row is None:
            self._connection.execute(
                sa.insert(shopify_stock_levels).values(
                    shop_id=shop_id,
                    location_id=location_id,
                    inventory_item_id=inventory_item_id,
                    sku=sku,
                    available=None,
                    wanted=wanted,
                    reason=reason,
                    updated_at=utc_now(),
                )
            )
            return True
        self._connection.execute(
            sa.update(shopify_stock_levels)
            .where(key)
            .values(wanted=wanted, reason=reason, updated_at=utc_now())
        )
        return row.judging is None and bool(row.available != wanted)

    def due(self, shop_id: int, limit: int = 250) -> builtins.list[ShopLevel]:
        """Levels whose wanted value Shopify does not hold yet, oldest change first; never one whose change by
        someone else waits for its judgment, whatever is wanted there meanwhile."""
        rows = self._connection.execute(
            sa.select(shopify_stock_levels)
            .where(
                shopify_stock_levels.c.shop_id == shop_id,
                shopify_stock_levels.c.judging.is_(None),
                sa.or_(
                    shopify_stock_levels.c.available.is_(None),
                    shopify_stock_levels.c.available != shopify_stock_levels.c.wanted,
                ),
            )
            .order_by(shopify_stock_levels.c.updated_at)
            .limit(limit)
        )
        return [_level(row) for row in rows]

    def level(self, shop_id: int, location_id: str, inventory_item_id: str) -> ShopLevel | None:
        row = self._connection.execute(
            sa.select(shopify_stock_levels).where(_level_key(shop_id, location_id, inventory_item_id))
        ).one_or_none()
        return None if row is None else _level(row)

    def levels_of_shop(self, shop_id: int) -> builtins.list[ShopLevel]:
        rows = self._connection.execute(
            sa.select(shopify_stock_levels)
            .where(shopify_stock_levels.c.shop_id == shop_id)
            .order_by(shopify_stock_levels.c.location_id, shopify_stock_levels.c.inventory_item_id)
        )
        return [_level(row) for row in rows]

    def levels(self, sku: str) -> builtins.list[ShopLevel]:
        rows = self._connection.execute(
            sa.select(shopify_stock_levels).where(shopify_stock_levels.c.sku == sku)
        )
        return [_level(row) for row in rows]

    def hold_at(self, shop_id: int, location_id: str, inventory_item_id: str, value: int) -> None:
        """Shopify holds ``value`` and the hub wants it kept there (nothing is due until something wants
        another value)."""
        self._connection.execute(
            sa.update(shopify_stock_levels)
            .where(_level_key(shop_id, location_id, inventory_item_id))
            .values(available=value, wanted=value, read_at=utc_now(), updated_at=utc_now())
        )

    def hold_for_judgment(self, shop_id: int, location_id: str, inventory_item_id: str, value: int) -> None:
        """Someone else set ``value`` in Shopify: it is kept there until ``judged``. No push is due at the
        level meanwhile, even when a recompute wants another value: the value is what the hub knows Shopify
        holds, so a push's ``changeFromQuantity`` would not stop it."""
        self._connection.execute(
            sa.update(shopify_stock_levels)
            .where(_level_key(shop_id, location_id, inventory_item_id))
            .values(available=value, wanted=value, judging=value, read_at=utc_now(), updated_at=utc_now())
        )

    def judged(self, shop_id: int, location_id: str, inventory_item_id: str, value: int) -> None:
        """The change to ``value`` is judged: pushes may resume, unless a later change waits for its own."""
        self._connection.execute(
            sa.update(shopify_stock_levels)
            .where(
                _level_key(shop_id, location_id, inventory_item_id),
                shopify_stock_levels.c.judging == value,
            )
            .values(judging=None)
        )

    def set_known(
        self, shop_id: int, location_id: str, inventory_item_id: str, available: int, *, pushed: bool
    ) -> None:
        """Shopify holds ``available`` (the hub just set it, or read it)."""
        now = utc_now()
        values: dict[str, object] = {"available": available, ("pushed_at" if pushed else "read_at"): now}
        self._connection.execute(
            sa.update(shopify_stock_levels)
            .where(_level_key(shop_id, location_id, inventory_item_id))
            .values(**values)
        )


def _level_key(shop_id: int, location_id: str, inventory_item_id: str) -> sa.ColumnElement[bool]:
    """The one level of an inventory item at a shop's location."""
    return sa.and_(
        shopify_stock_levels.c.shop_id == shop_id,
        shopify_stock_levels.c.location_id == location_id,
        shopify_stock_levels.c.inventory_item_id == inventory_item_id,
    )


def _level(row: sa.Row[tuple[object, ...]]) -> ShopLevel:
    values = row._mapping
    return ShopLevel(
        shop_id=int(values["shop_id"]),
        location_id=str(values["location_id"]),
        inventory_item_id=str(values["inventory_item_id"]),
        sku=str(values["sku"]),
        available=values["available"],
        wanted=int(values["wanted"]),
        reason=values["reason"],
        pushed_at=values["pushed_at"],
    )
