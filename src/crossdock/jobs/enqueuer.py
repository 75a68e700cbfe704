"""Enqueueing jobs inside the caller's database transaction (the job engine's tables share the database)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from dbos import DBOSClient
from dbos._enqueue_options import EnqueueOptions

from crossdock.jobs.ids import job_id
from crossdock.jobs.registry import get_job
from crossdock.metrics import JOBS_ENQUEUED
from crossdock.store.unit_of_work import JobRequest

RUN_JOB_WORKFLOW = "crossdock.run_job"
APPLICATION_NAME = "crossdock"


@dataclass(frozen=True)
class AttemptMeta:
    """What travels with a job besides its args: which attempt this is, and where it comes from."""

    attempt: int = 1
    # The key the first attempt was enqueued under: the dead letter names it, whatever the retries did.
    origin_key: str = ""
    partition: str | None = None
    # Set on a retry requested by an operator: the dead_letter exception to close once it succeeds.
    exception_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttemptMeta:
        return cls(**data)


class DbosEnqueuer:
    def __init__(self, client: DBOSClient) -> None:
        self._client = client

    def enqueue(self, connection: sa.Connection, request: JobRequest) -> str:
        meta = AttemptMeta(attempt=1, origin_key=request.key, partition=request.partition)
        return self.enqueue_attempt(connection, request, meta)

    def enqueue_attempt(
        self,
        connection: sa.Connection,
        request: JobRequest,
        meta: AttemptMeta,
        delay_seconds: float = 0.0,
    ) -> str:
        spec = get_job(request.job)
        queue = spec.queue
        if queue.partitioned_by is not None and not request.partition:
            raise ValueError(
                f"job {request.job!r} runs on queue {queue.name!r}, partitioned by {queue.partitioned_by}: "
                "give the partition key"
            )
        if queue.partitioned_by is None and request.partition:
            raise ValueError(f"queue {queue.name!r} is not partitioned; do not give a partition key")
        new_id = job_id(request.job, request.key, meta.attempt)
        options: EnqueueOptions = {
            "workflow_name": RUN_JOB_WORKFLOW,
            "queue_name": queue.name,
            "workflow_id": new_id,
            "application_name": APPLICATION_NAME,
        }
        if request.partition:
            options["queue_partition_key"] = request.partition
        if delay_seconds > 0:
            options["delay_seconds"] = delay_seconds
        self._client.enqueue_in_transaction(
            connection, options, request.job, request.key, request.args, meta.to_dict()
        )
        JOBS_ENQUEUED.labels(queue=queue.name, job=request.job).inc()
        return new_id
