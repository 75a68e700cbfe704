"""The one durable workflow every job runs in: run the handler; on failure schedule the next attempt after a
growing delay, or, after the last attempt (or a fatal error), record a dead_letter exception that an operator
can retry.

Each attempt is its own workflow, enqueued with a delay, rather than a sleep inside one workflow: a sleeping
attempt would hold its partition and block every other job of the same order or shop for the whole delay.
"""

from __future__ import annotations

import traceback
from typing import Any

import structlog
from dbos import DBOS

from crossdock.jobs.context import JobContext
from crossdock.jobs.enqueuer import RUN_JOB_WORKFLOW, AttemptMeta, DbosEnqueuer
from crossdock.jobs.errors import FatalJobError, UnknownJobError
from crossdock.jobs.ids import job_id
from crossdock.jobs.registry import get_job
from crossdock.jobs.runtime import current_runtime
from crossdock.metrics import JOBS_COMPLETED, JOBS_DEAD_LETTERED, JOBS_FAILED
from crossdock.store.unit_of_work import JobRequest

log = structlog.get_logger("crossdock.jobs")

DEAD_LETTER_ACTIONS = ["retry", "resolve", "ignore"]


@DBOS.workflow(name=RUN_JOB_WORKFLOW)
def run_job(job: str, key: str, args: dict[str, Any], meta_data: dict[str, Any]) -> Any:
    meta = AttemptMeta.from_dict(meta_data)
    runtime = current_runtime()
    this_job_id = DBOS.workflow_id or job_id(job, key, meta.attempt)
    with structlog.contextvars.bound_contextvars(
        job_id=this_job_id,
        job=job,
        attempt=meta.attempt,
        account_id=args.get("account_id"),
        order_id=args.get("order_id"),
    ):
        try:
            spec = get_job(job)
        except UnknownJobError as error:
            # A worker started without the module that defines this job: keep the job visible and retriable.
            log.error("job unknown to this worker; recorded as dead letter", error=str(error))
            _record_dead_letter(job, "unknown", key, args, meta_data, this_job_id, _describe(error))
            raise
        context = JobContext(job_id=this_job_id, job=job, key=key, attempt=meta.attempt, runtime=runtime)
        try:
            result = spec.handler(context, **args)
        except Exception as error:
            JOBS_FAILED.labels(queue=spec.queue.name, job=job).inc()
            policy = spec.retry or runtime.default_retry
            retriable = not isinstance(error, FatalJobError) and policy.should_retry(meta.attempt)
            if retriable:
                delay = policy.delay_after(meta.attempt, seed=job_id(job, meta.origin_key))
                log.warning("job attempt failed; retrying", error=repr(error), retry_in_seconds=delay)
                _enqueue_next_attempt(job, key, args, meta_data, delay)
            else:
                log.error("job failed for good; recorded as dead letter", error=repr(error))
                _record_dead_letter(job, spec.queue.name, key, args, meta_data, this_job_id, _describe(error))
                JOBS_DEAD_LETTERED.labels(queue=spec.queue.name, job=job).inc()
            raise
        if meta.exception_id is not None:
            _close_retried_dead_letter(meta.exception_id, this_job_id)
        JOBS_COMPLETED.labels(queue=spec.queue.name, job=job).inc()
        return result


def _describe(error: BaseException) -> dict[str, str]:
    return {
        "type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(error))[-4000:],
    }


@DBOS.step(name="crossdock.jobs.enqueue_next_attempt")
def _enqueue_next_attempt(
    job: str, key: str, args: dict[str, Any], meta_data: dict[str, Any], delay_seconds: float
) -> str:
    meta = AttemptMeta.from_dict(meta_data)
    following = AttemptMeta(
        attempt=meta.attempt + 1,
        origin_key=meta.origin_key,
        partition=meta.partition,
        exception_id=meta.exception_id,
    )
    runtime = current_runtime()
    enqueuer = runtime.enqueuer
    assert isinstance(enqueuer, DbosEnqueuer)
    with runtime.unit_of_work() as uow:
        request = JobRequest(job=job, key=key, args=args, partition=meta.partition)
        next_id = enqueuer.enqueue_attempt(uow.connection, request, following, delay_seconds)
        uow.commit()
    return next_id


@DBOS.step(name="crossdock.jobs.record_dead_letter")
def _record_dead_letter(
    job: str,
    queue: str,
    key: str,
    args: dict[str, Any],
    meta_data: dict[str, Any],
    last_job_id: str,
    error: dict[str, str],
) -> int:
    meta = AttemptMeta.from_dict(meta_data)
    subject = job_id(job, meta.origin_key)
    with current_runtime().unit_of_work() as uow:
        previous = uow.exceptions.get(meta.exception_id) if meta.exception_id is not None else None
        details: dict[str, Any] = dict(previous.details) if previous is not None else {}
        details.update(
            job=job,
            queue=queue,
            origin_key=meta.origin_key,
            key=key,
            args=args,
            partition=meta.partition,
            attempts=meta.attempt,
            last_job_id=last_job_id,
            error=error,
        )
        exception_id = uow.exceptions.raise_(
            type="dead_letter",
            severity="error",
            subject_type="job",
            subject_id=subject,
            message=f"Job {job} failed after {meta.attempt} attempt(s): {error['type']}: {error['message']}",
            details=details,
            actions=DEAD_LETTER_ACTIONS,
            account_id=args.get("account_id"),
        )
        uow.commit()
    return exception_id


@DBOS.step(name="crossdock.jobs.close_retried_dead_letter")
def _close_retried_dead_letter(exception_id: int, by_job_id: str) -> None:
    with current_runtime().unit_of_work() as uow:
        uow.exceptions.close(exception_id, status="resolved", by=f"job {by_job_id}")
        uow.commit()
