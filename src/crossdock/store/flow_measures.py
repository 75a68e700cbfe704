"""What flow health is computed from: for each flow, the items it completed (when, and how long after they
started), what waits, and the calls it made — counted and ranked in the database, scoped to accounts.

| flow      | an item starts                         | and is complete                              |
| --------- | -------------------------------------- | -------------------------------------------- |
| orders    | the hub receives the order             | its warehouse order is sent to the warehouse |
| statuses  | the order's state changes              | the status is written to Shopify             |
| tracking  | the hub records a shipment             | its fulfillment exists in Shopify            |
| inventory | the hub wants a new level at a location| the level is pushed to Shopify               |
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crossdock.store.schema import (
    orders,
    outbound_calls,
    shipments,
    shopify_stock_levels,
    shops,
    warehouse_orders,
    x12_outbound_documents,
)
from crossdock.store.time_arithmetic import seconds_between, utc_minute

# The Shopify operations each flow calls (the orders flow calls warehouses: its calls are X12 uploads).
FLOW_OPERATIONS: dict[str, tuple[str, ...]] = {
    "statuses": ("OrderStatusMetafieldSet",),
    "tracking": ("FulfillmentCreate", "FulfillmentTrackingInfoUpdate", "OrderFulfillmentOrders"),
    "inventory": ("InventorySetQuantities", "InventoryLevelQuantities", "InventoryLevelsQuantities"),
}
Accounts = Collection[str] | None


@dataclass(frozen=True)
class _LagSource:
    lag: sa.ColumnElement[float]
    completed_at: sa.ColumnElement[datetime]
    rows: sa.FromClause
    where: list[sa.ColumnElement[bool]]


@dataclass(frozen=True)
class Completions:
    """The items a flow completed in a window: how many, and the lag at two percentiles (None: none)."""

    count: int
    p50_seconds: float | None
    p95_seconds: float | None


def _completions(
    connection: sa.Connection,
    lag: sa.ColumnElement[float],
    completed_at: sa.ColumnElement[datetime],
    where: list[sa.ColumnElement[bool]],
    source: sa.FromClause,
    since: datetime,
) -> Completions:
    conditions = [completed_at >= since, *where]
    count = connection.execute(sa.select(sa.func.count()).select_from(source).where(*conditions)).scalar_one()
    if not count:
        return Completions(0, None, None)

    def percentile(share: float) -> float:
        # The nearest-rank percentile, ranked by the database: no row is read but the one wanted.
        rank = max(0, min(count - 1, int(share * count + 0.999999) - 1))
        value = connection.execute(
            sa.select(lag).select_from(source).where(*conditions).order_by(lag).limit(1).offset(rank)
        ).scalar_one()
        return max(0.0, float(value))

    return Completions(int(count), percentile(0.50), percentile(0.95))


def _scoped(column: sa.ColumnElement[str], accounts: Accounts) -> list[sa.ColumnElement[bool]]:
    return [] if accounts is None else [column.in_(sorted(accounts))]


def _lag_sources(accounts: Accounts) -> dict[str, _LagSource]:
    """Per flow: the lag of a completed item, when it completed, the rows, and which of them count."""
    return {
        "orders": _LagSource(
            seconds_between(orders.c.created_at, warehouse_orders.c.sent_at),
            warehouse_orders.c.sent_at,
            warehouse_orders.join(orders, orders.c.id == warehouse_orders.c.order_id),
            _scoped(warehouse_orders.c.account_id, accounts),
        ),
        "statuses": _LagSource(
            seconds_between(orders.c.state_changed_at, orders.c.status_published_at),
            orders.c.status_published_at,
            orders,
            [orders.c.state_changed_at.is_not(None), *_scoped(orders.c.account_id, accounts)],
        ),
        "tracking": _LagSource(
            seconds_between(shipments.c.recorded_at, shipments.c.fulfilled_at),
            shipments.c.fulfilled_at,
            shipments,
            _scoped(shipments.c.account_id, accounts),
        ),
        # A level keeps its latest change only: the lag measured is that of the change last pushed.
        "inventory": _LagSource(
            seconds_between(shopify_stock_levels.c.updated_at, shopify_stock_levels.c.pushed_at),
            shopify_stock_levels.c.pushed_at,
            shopify_stock_levels.join(shops, shops.c.id == shopify_stock_levels.c.shop_id),
            [
                shopify_stock_levels.c.pushed_at >= shopify_stock_levels.c.updated_at,
                *_scoped(shops.c.account_id, accounts),
            ],
        ),
    }


MEASURED_FLOWS = ("orders", "statuses", "tracking", "inventory")


def completions(connection: sa.Connection, flow: str, since: datetime, accounts: Accounts) -> Completions:
    source = _lag_sources(accounts)[flow]
    return _completions(connection, source.lag, source.completed_at, source.where, source.rows, since)


def backlogs(connection: sa.Connection, accounts: Accounts) -> dict[str, int]:
    """What each flow has yet to do. Orders on hold wait for a person, not for the hub: not counted."""

    def count(source: sa.FromClause, *where: sa.ColumnElement[bool]) -> int:
        return int(
            connection.execute(sa.select(sa.func.count()).select_from(source).where(*where)).scalar_one()
        )

    levels = shopify_stock_levels.join(shops, shops.c.id == shopify_stock_levels.c.shop_id)
    return {
        "orders": count(
            orders,
            orders.c.status.in_(["received", "validated", "routed"]),
            *_scoped(orders.c.account_id, accounts),
        ),
        "statuses": count(
            orders,
            sa.or_(orders.c.published_status.is_(None), orders.c.published_status != orders.c.status),
            *_scoped(orders.c.account_id, accounts),
        ),
        "tracking": count(
            shipments, shipments.c.fulfil_pending.is_(True), *_scoped(shipments.c.account_id, accounts)
        ),
        "inventory": count(
            levels,
            sa.or_(
                shopify_stock_levels.c.available.is_(None),
                shopify_stock_levels.c.available != shopify_stock_levels.c.wanted,
            ),
            *_scoped(shops.c.account_id, accounts),
        ),
    }


@dataclass(frozen=True)
class CallCounts:
    total: int
    failed: int


def call_counts(connection: sa.Connection, since: datetime, accounts: Accounts) -> dict[str, CallCounts]:
    """Calls each flow made since ``since`` and how many failed (the orders flow: X12 documents created)."""
    counts: dict[str, CallCounts] = {}
    failed = sa.func.sum(
        sa.case((outbound_calls.c.status.in_(["retriable_error", "fatal_error"]), 1), else_=0)
    )
    for flow, operations in FLOW_OPERATIONS.items():
        total, errors = connection.execute(
            sa.select(sa.func.count(), failed).where(
                outbound_calls.c.started_at >= since,
                outbound_calls.c.operation.in_(operations),
                *_scoped(outbound_calls.c.account_id, accounts),
            )
        ).one()
        counts[flow] = CallCounts(int(total), int(errors or 0))
    documents = x12_outbound_documents.join(
        warehouse_orders,
        sa.and_(
            warehouse_orders.c.warehouse_id == x12_outbound_documents.c.warehouse_id,
            warehouse_orders.c.order_key == x12_outbound_documents.c.subject_key,
        ),
    )
    total, errors = connection.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(sa.case((x12_outbound_documents.c.last_error.is_not(None), 1), else_=0)),
        )
        .select_from(documents)
        .where(
            x12_outbound_documents.c.created_at >= since,
            *_scoped(warehouse_orders.c.account_id, accounts),
        )
    ).one()
    counts["orders"] = CallCounts(int(total), int(errors or 0))
    return counts


def per_minute(
    connection: sa.Connection,
    column: sa.ColumnElement[datetime],
    source: sa.FromClause,
    since: datetime,
    where: list[sa.ColumnElement[bool]],
) -> dict[str, int]:
    minute = utc_minute(column)
    rows = connection.execute(
        sa.select(minute, sa.func.count()).select_from(source).where(column >= since, *where).group_by(minute)
    )
    return {str(at): int(count) for at, count in rows}


def throughput(connection: sa.Connection, since: datetime, accounts: Accounts) -> dict[str, dict[str, int]]:
    """Per minute ('YYYY-MM-DD HH:MM', UTC): orders received, sent to a warehouse, fulfilled in Shopify."""
    return {
        "orders_in": per_minute(
            connection, orders.c.created_at, orders, since, _scoped(orders.c.account_id, accounts)
        ),
        "orders_out": per_minute(
            connection,
            warehouse_orders.c.sent_at,
            warehouse_orders,
            since,
            _scoped(warehouse_orders.c.account_id, accounts),
        ),
        "fulfilled": per_minute(
            connection, shipments.c.fulfilled_at, shipments, since, _scoped(shipments.c.account_id, accounts)
        ),
    }


# Upper bounds of the lag histogram /metrics exposes (seconds): a second's targets to an hour's backlogs.
LAG_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


@dataclass(frozen=True)
class LagHistogram:
    """Completions of the window counted under each upper bound (cumulative), their count and lag sum."""

    buckets: tuple[tuple[float, int], ...]
    count: int
    total_seconds: float


def lag_histograms(connection: sa.Connection, since: datetime, accounts: Accounts) -> dict[str, LagHistogram]:
    histograms = {}
    for flow, source in _lag_sources(accounts).items():
        columns = [sa.func.sum(sa.case((source.lag <= bound, 1), else_=0)) for bound in LAG_BUCKETS]
        row = connection.execute(
            sa.select(sa.func.count(), sa.func.sum(source.lag), *columns)
            .select_from(source.rows)
            .where(source.completed_at >= since, *source.where)
        ).one()
        count, total, *under = row
        histograms[flow] = LagHistogram(
            buckets=tuple((bound, int(n or 0)) for bound, n in zip(LAG_BUCKETS, under, strict=True)),
            count=int(count),
            total_seconds=float(total or 0.0),
        )
    return histograms
