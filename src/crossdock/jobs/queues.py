"""The named queues jobs run on. A partitioned queue runs at most one job per partition key at a time, across
every worker process: that is how work on one order (or calls to one shop) is serialised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How often idle workers look at a queue. Every look costs queries whether or not work waits — on a
# partitioned queue a loose index scan over the partitions, about 5 ms of CPU — so only intake, which every
# webhook goes through, is looked at every [jobs] poll_interval_ms. The queues that follow an order or call a
# shop or a warehouse are looked at every quarter second at most: measured with benchmarks/webhook_intake.py
# on 2 cores, their 50 ms polls took a third of a core from webhook intake (727 → 1,185-1,361 deliveries/s
# on SQLite when they poll slower), while a quarter second per hop keeps an order's way from webhook to
# warehouse well inside its 2 s target. Stock and housekeeping are looked at every second.
Poll = Literal["fast", "steady", "slow"]
STEADY_POLL_SECONDS = 0.25
SLOW_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class QueueSpec:
    name: str
    # What a partition key names on this queue ("order", "shop", ...); None for an unpartitioned queue.
    partitioned_by: str | None
    purpose: str
    poll: Poll = "steady"

    def poll_seconds(self, fast_seconds: float) -> float:
        """The polling interval, given the fast one of the settings."""
        if self.poll == "fast":
            return fast_seconds
        if self.poll == "steady":
            return max(fast_seconds, STEADY_POLL_SECONDS)
        return max(fast_seconds, SLOW_POLL_SECONDS)


INTAKE = QueueSpec(
    "intake", None, "turn stored inputs (webhooks, files, poll results) into domain work", poll="fast"
)
ORDERS = QueueSpec("orders", "order", "validate, route, dispatch and follow one order")
# Stock changes are coalesced and pushed within seconds: a slower poll costs nothing a merchant sees.
INVENTORY = QueueSpec("inventory", "sku", "recompute available-to-sell of one SKU", poll="slow")
SHOP_CALLS = QueueSpec("shop_calls", "shop", "calls to one Shopify shop, sharing its rate budget")
WAREHOUSE_CALLS = QueueSpec("warehouse_calls", "warehouse", "calls and files to one warehouse")
MAINTENANCE = QueueSpec("maintenance", None, "scheduled checks and housekeeping", poll="slow")

ALL_QUEUES: tuple[QueueSpec, ...] = (INTAKE, ORDERS, INVENTORY, SHOP_CALLS, WAREHOUSE_CALLS, MAINTENANCE)
