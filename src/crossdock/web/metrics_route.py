"""GET /metrics in the Prometheus text format: this process's counters plus gauges read from the database
(queue depth, open exceptions), which are the same whichever process is scraped."""

from __future__ import annotations

import time
from collections.abc import Iterator

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from crossdock.jobs.queue_depth import queue_depths
from crossdock.metrics import REGISTRY
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.flow_gauges import bucket_gauges, flow_gauges

router = APIRouter()


class DatabaseGauges(Collector):
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "crossdock_queue_depth", "Jobs not finished, per queue and state", labels=["queue", "state"]
        )
        for (queue, state), count in sorted(queue_depths(self._engine).items()):
            depth.add_metric([queue, state.lower()], count)
        yield depth
        open_exceptions = GaugeMetricFamily(
            "crossdock_open_exceptions", "Open exceptions per type", labels=["type"]
        )
        with UnitOfWork(self._engine) as uow:
            for exception_type, count in sorted(uow.exceptions.count_open_by_type().items()):
                open_exceptions.add_metric([exception_type], count)
            yield open_exceptions
            yield GaugeMetricFamily(
                "crossdock_inbox_awaiting_job",
                "Inputs stored without their processing job that no inbox relay has enqueued yet"
                " (a number that keeps growing means no job engine runs)",
                value=uow.inbox.count_awaiting_job(),
            )
            yield from flow_gauges(uow.connection, utc_now())
            yield from bucket_gauges(uow.connection, time.time())


@router.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)


class ProcessAndDatabaseRegistry(Collector):
    """The process registry plus the database gauges, without registering the latter globally (several apps
    may live in one test process, each with its own database)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._database = DatabaseGauges(engine)

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        yield from self._database.collect()
