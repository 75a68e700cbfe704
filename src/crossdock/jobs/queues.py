"""The named queues jobs run on. A partitioned queue runs at most one job per partition key at a time, across
every worker process: that is how work on one order (or calls to one shop) is serialised."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueSpec:
    name: str
    # What a partition key names on this queue ("order", "shop", ...); None for an unpartitioned queue.
    partitioned_by: str | None
    purpose: str
    # Every poll costs queries whether or not work waits; only the queues whose latency a merchant sees are
    # polled at the fast interval of the settings.
    latency_sensitive: bool = True


INTAKE = QueueSpec("intake", None, "turn stored inputs (webhooks, files, poll results) into domain work")
ORDERS = QueueSpec("orders", "order", "validate, route, dispatch and follow one order")
# Stock changes are coalesced and pushed within seconds: a slower poll costs nothing a merchant sees.
INVENTORY = QueueSpec("inventory", "sku", "recompute available-to-sell of one SKU", latency_sensitive=False)
SHOP_CALLS = QueueSpec("shop_calls", "shop", "calls to one Shopify shop, sharing its rate budget")
WAREHOUSE_CALLS = QueueSpec("warehouse_calls", "warehouse", "calls and files to one warehouse")
MAINTENANCE = QueueSpec("maintenance", None, "scheduled checks and housekeeping", latency_sensitive=False)
SLOW_POLL_SECONDS = 1.0

ALL_QUEUES: tuple[QueueSpec, ...] = (INTAKE, ORDERS, INVENTORY, SHOP_CALLS, WAREHOUSE_CALLS, MAINTENANCE)
