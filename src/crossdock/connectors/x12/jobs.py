"""The X12 connector's scheduled work: each partner's SFTP inbound folder is read at its poll interval, the
documents whose upload did not finish are uploaded again, and documents the partner never acknowledged with a
997 become exceptions.

A tick every second enqueues each warehouse's collection under a key made of the warehouse and the
interval slot it falls in (``east-3pl@5904000``), so a collection runs at most once per interval whatever the
number of processes or ticks. An interval below a second makes each second's job collect several times
(every 0.25 s: four collections over one SFTP session), which a partner or sandbox that answers at once
needs for an order's round trip to take well under two seconds. Collections run on the warehouse-calls
queue, partitioned by warehouse (a partition for its collections beside the one for its orders), so one
partner's slow server never holds up another's.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from crossdock.config import Settings
from crossdock.connectors.x12.collection import collect_into_inbox
from crossdock.connectors.x12.warehouses import x12_warehouse, x12_warehouse_keys
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import MAINTENANCE, WAREHOUSE_CALLS
from crossdock.jobs.registry import job
from crossdock.jobs.schedules import schedule
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest

COLLECT = "x12.collect"
COLLECT_TICK = "x12.collect_tick"
CHECK_ACKNOWLEDGMENTS = "x12.check_acknowledgments"


def due_collections(settings: Settings | None, at: float) -> list[JobRequest]:
    """Each X12 warehouse's collection for the poll interval ``at`` (epoch seconds) falls in."""
    if settings is None:
        return []
    return [
        JobRequest(
            job=COLLECT,
            key=f"{key}@{int(at // slot_seconds(settings.warehouses[key].x12.poll_interval_seconds))}",
            args={"warehouse": key},
            partition=collection_partition(key),
        )
        for key in x12_warehouse_keys(settings)
    ]


def slot_seconds(poll_interval: float) -> float:
    """The interval slot a collection job covers: the poll interval, or the tick's second when the folder is
    read more often (the job then collects ``collections_per_job`` times)."""
    return max(poll_interval, 1.0)


def collections_per_job(poll_interval: float) -> int:
    return max(1, int(1.0 // poll_interval))


# The tick enqueues the collections itself (jobs/schedules.py says why).
schedule(COLLECT_TICK, cron="* * * * * *", job=COLLECT_TICK, fan_out=due_collections)
schedule(CHECK_ACKNOWLEDGMENTS, cron="0 * * * * *", job=CHECK_ACKNOWLEDGMENTS)


def collection_partition(warehouse: str) -> str:
    """Collections have a partition of their own beside the warehouse's (which sends its orders): one
    collection at a time, but never stuck behind a batch of orders being sent, nor holding one up. The
    partner sees at most two sessions at once."""
    return f"{warehouse}/collect"


@job(COLLECT_TICK, queue=MAINTENANCE)
def enqueue_due_collections(ctx: JobContext) -> list[str]:
    """A tick enqueued by an earlier version of the schedule (before it fanned out itself)."""
    due = due_collections(ctx.settings(), utc_now().timestamp())
    with ctx.unit_of_work() as uow:
        enqueued = [uow.enqueue(request) for request in due]
        uow.commit()
    return enqueued


@job(COLLECT, queue=WAREHOUSE_CALLS)
def collect_warehouse_files(ctx: JobContext, warehouse: str) -> dict[str, Any]:
    settings = ctx.settings()
    try:
        connector = x12_warehouse(settings, warehouse, ctx.unit_of_work)
    except LookupError as error:  # the warehouse left the configuration after the job was enqueued
        raise FatalJobError(str(error)) from None
    interval = settings.warehouses[warehouse].x12.poll_interval_seconds
    report = asyncio.run(
        collect_into_inbox(connector, ctx.unit_of_work, times=collections_per_job(interval), every=interval)
    )
    return report.as_dict()


@job(CHECK_ACKNOWLEDGMENTS, queue=MAINTENANCE)
def check_acknowledgments(ctx: JobContext) -> int:
    """Open (or count again) an ``unacknowledged_document`` exception for every document whose 997 is late."""
    settings = ctx.settings()
    now = utc_now()
    late = 0
    with ctx.unit_of_work() as uow:
        for key in x12_warehouse_keys(settings):
            record = uow.warehouses.by_code(key)
            if record is None:
                continue
            timeout = timedelta(minutes=settings.warehouses[key].x12.acknowledgment_timeout_minutes)
            for document in uow.x12_documents.awaiting_acknowledgment(uploaded_before=now - timeout):
                if document.warehouse_id != record.id:
                    continue
                assert document.uploaded_at is not None
                waited = int((now - document.uploaded_at).total_seconds() // 60)
                uow.exceptions.raise_(
                    type="unacknowledged_document",
                    severity="warning",
                    subject_type="x12_document",
                    subject_id=f"{key}/{document.interchange_control:09d}",
                    message=(
                        f"{key} has not acknowledged X12 {document.set_code} {document.file_name} "
                        f"({document.subject_key or 'no subject'}) with a 997 after {waited} minutes"
                    ),
                    details={
                        "warehouse": key,
                        "set": document.set_code,
                        "purpose": document.purpose,
                        "file_name": document.file_name,
                        "interchange_control": document.interchange_control,
                        "uploaded_at": document.uploaded_at.isoformat(),
                    },
                    actions=["resolve", "ignore"],
                    account_id=document.account_id,
                )
                late += 1
        uow.commit()
    return late
