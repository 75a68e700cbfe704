"""The /metrics series read from the database each scrape: per flow, the lag of what it completed in the
last hour (a gauge histogram: a distribution over a moving window, not an ever-growing count) and what it has
waiting; per Shopify rate budget, the points available now."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric

from crossdock.flows.flow_health import WINDOW
from crossdock.store import flow_measures
from crossdock.store.schema import rate_budgets


def flow_gauges(connection: sa.Connection, now: datetime) -> Iterator[Metric]:
    lag = GaugeHistogramMetricFamily(
        "crossdock_flow_lag_seconds",
        "Lag of the items each flow completed in the last hour (orders: received to sent to the warehouse; "
        "statuses: changed to shown in Shopify; tracking: shipment recorded to fulfilled; inventory: level "
        "changed to pushed)",
        labels=["flow"],
    )
    for flow, histogram in flow_measures.lag_histograms(connection, now - WINDOW, None).items():
        buckets = [(repr(bound), float(count)) for bound, count in histogram.buckets]
        buckets.append(("+Inf", float(histogram.count)))
        lag.add_metric([flow], buckets, histogram.total_seconds)
    yield lag
    backlog = GaugeMetricFamily(
        "crossdock_flow_backlog", "Items each flow has yet to complete", labels=["flow"]
    )
    for flow, count in sorted(flow_measures.backlogs(connection, None).items()):
        backlog.add_metric([flow], count)
    yield backlog


def bucket_gauges(connection: sa.Connection, now: float) -> Iterator[Metric]:
    available = GaugeMetricFamily(
        "crossdock_shopify_bucket_available",
        "Query-cost points available now in each shop's Shopify rate budget (refilled at its restore rate)",
        labels=["budget"],
    )
    capacity = GaugeMetricFamily(
        "crossdock_shopify_bucket_capacity", "Size of each shop's Shopify rate budget", labels=["budget"]
    )
    for row in connection.execute(sa.select(rate_budgets).order_by(rate_budgets.c.key)):
        refilled = row.available + max(0.0, now - row.as_of) * row.restore_rate
        available.add_metric([row.key], min(row.capacity, refilled))
        capacity.add_metric([row.key], row.capacity)
    yield available
    yield capacity
