"""Prometheus metrics of this process, served at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

JOBS_ENQUEUED = Counter(
    "crossdock_jobs_enqueued", "Jobs enqueued by this process", ["queue", "job"], registry=REGISTRY
)
JOBS_COMPLETED = Counter(
    "crossdock_jobs_completed", "Job attempts that succeeded", ["queue", "job"], registry=REGISTRY
)
JOBS_FAILED = Counter(
    "crossdock_jobs_failed", "Job attempts that raised an error", ["queue", "job"], registry=REGISTRY
)
JOBS_DEAD_LETTERED = Counter(
    "crossdock_jobs_dead_lettered",
    "Jobs that exhausted their attempts and became a dead_letter exception",
    ["queue", "job"],
    registry=REGISTRY,
)
HTTP_REQUEST_SECONDS = Histogram(
    "crossdock_http_request_seconds",
    "Latency of HTTP requests served by the hub",
    ["method", "route", "status"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
WEBHOOKS_RECEIVED = Counter(
    "crossdock_webhooks_received",
    "Webhook deliveries by outcome: stored, duplicate, ignored (a topic the hub does not process), "
    "unauthorized (unknown shop or bad signature), invalid (a header out of bounds), "
    "unavailable (could not be stored)",
    ["source", "outcome"],
    registry=REGISTRY,
)
OUTBOUND_CALLS = Counter(
    "crossdock_outbound_calls",
    "Attempts of calls to shops and other systems, by target (e.g. shopify:<domain>) and outcome",
    ["target", "status"],
    registry=REGISTRY,
)
