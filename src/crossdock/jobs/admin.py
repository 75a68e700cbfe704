"""Operator commands on jobs, usable from a process that runs no workers (the CLI): list jobs, retry dead
letters, hand the unfinished jobs of a lost executor to the live workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from dbos import DBOSClient
from dbos._utils import INTERNAL_QUEUE_NAME

from crossdock.jobs.enqueuer import RUN_JOB_WORKFLOW, AttemptMeta, DbosEnqueuer
from crossdock.jobs.ids import manual_retry_key
from crossdock.jobs.lost_executors import LostExecutor, find_lost_executors, is_silent
from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest, UnitOfWork


@dataclass(frozen=True)
class JobRow:
    job_id: str
    status: str
    queue: str | None
    partition: str | None
    executor_id: str | None
    created_at: datetime | None
    updated_at: datetime | None
    error: str | None


class NotRetriableError(ValueError):
    pass


class ExecutorStillAliveError(RuntimeError):
    pass


def _from_ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)


class JobAdmin:
    def __init__(self, engine: sa.Engine, client: DBOSClient, heartbeat_seconds: float) -> None:
        self._engine = engine
        self._client = client
        self._heartbeat_seconds = heartbeat_seconds

    def list_jobs(self, *, status: str | None = None, limit: int = 50) -> list[JobRow]:
        found = self._client.list_workflows(
            name=RUN_JOB_WORKFLOW,
            status=status.upper() if status else None,
            limit=limit,
            sort_desc=True,
            load_input=False,
            load_output=False,
        )
        rows = []
        for workflow in found:
            rows.append(
                JobRow(
                    job_id=workflow.workflow_id,
                    status=workflow.status,
                    queue=workflow.queue_name,
                    partition=workflow.queue_partition_key,
                    executor_id=workflow.executor_id,
                    created_at=_from_ms(workflow.created_at),
                    updated_at=_from_ms(workflow.updated_at),
                    error=None
                    if workflow.error is None
                    else f"{type(workflow.error).__name__}: {workflow.error}",
                )
            )
        return rows

    def retry_dead_letter(self, exception_id: int, *, by: str) -> str:
        """Start the failed job again from its first attempt; the exception closes when that succeeds."""
        with UnitOfWork(self._engine, DbosEnqueuer(self._client)) as uow:
            record = uow.exceptions.get(exception_id)
            if record is None or record.type != "dead_letter":
                raise NotRetriableError(f"exception {exception_id} is not a dead letter")
            if record.status != "open":
                raise NotRetriableError(f"exception {exception_id} is {record.status}, not open")
            new_job_id = retry_dead_letter_in(uow, record, by)
            uow.commit()
        return new_job_id

    def open_dead_letters(self) -> list[int]:
        with UnitOfWork(self._engine) as uow:
            return [
                record.id for record in uow.exceptions.list(status="open", type="dead_letter", limit=10_000)
            ]

    def count_pending(self, executor_id: str) -> int:
        return len(
            self._client.list_workflows(
                status="PENDING", executor_id=executor_id, load_input=False, load_output=False
            )
        )

    def lost_executors(self) -> list[LostExecutor]:
        with UnitOfWork(self._engine) as uow:
            return find_lost_executors(uow, self.count_pending, utc_now(), self._heartbeat_seconds)

    def recover(self, executor_id: str, *, force: bool = False) -> list[str]:
        """Put the unfinished jobs of ``executor_id`` back on their queues, for any live worker to resume at
        the step where they stopped. Refused while that executor still heart-beats, unless forced."""
        with UnitOfWork(self._engine) as uow:
            record = uow.executors.get(executor_id)
        alive = (
            record is not None
            and record.stopped_at is None
            and not is_silent(record, utc_now(), self._heartbeat_seconds)
        )
        if alive and not force:
            assert record is not None
            raise ExecutorStillAliveError(
                f"executor {executor_id} heart-beat at {record.last_seen_at:%H:%M:%S} UTC and may still be "
                "running its jobs; stop it first, or pass --force if its machine is gone"
            )
        pending = self._client.list_workflows(
            status="PENDING", executor_id=executor_id, load_input=False, load_output=False
        )
        recovered = []
        for workflow in pending:
            # DBOSClient has no public recovery call in 3.4; this is the system-database operation that
            # DBOS.recover_pending_workflows uses, and it only touches rows still PENDING on that executor.
            if self._client._sys_db.reenqueue_for_recovery(
                workflow.workflow_id, [executor_id], INTERNAL_QUEUE_NAME
            ):
                recovered.append(workflow.workflow_id)
        return recovered


def retry_dead_letter_in(uow: UnitOfWork, record: ExceptionRecord, by: str) -> str:
    """Enqueue the dead-lettered job of ``record`` again, from its first attempt, in ``uow`` (the caller
    commits); the new job's id. The exception closes when that job succeeds."""
    details = dict(record.details)
    retries = list(details.get("retries", []))
    key = manual_retry_key(details["origin_key"], len(retries) + 1)
    request = JobRequest(
        job=details["job"], key=key, args=details["args"], partition=details.get("partition")
    )
    meta = AttemptMeta(
        attempt=1, origin_key=details["origin_key"], partition=request.partition, exception_id=record.id
    )
    if not isinstance(uow.enqueuer, DbosEnqueuer):
        raise NotRetriableError("retrying a dead letter needs the job engine's enqueuer")
    new_job_id = uow.enqueuer.enqueue_attempt(uow.connection, request, meta)
    retries.append({"job_id": new_job_id, "at": utc_now().isoformat(), "by": by})
    details["retries"] = retries
    uow.exceptions.update_details(record.id, details)
    return new_job_id
