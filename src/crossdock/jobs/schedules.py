"""Cron schedules. The job engine fires each schedule once per tick across all processes; the tick enqueues
the scheduled job under a key made of the schedule name and the tick time, so a tick can never run twice,
and the job then gets the same retries and dead letter as any other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dbos import DBOS

from crossdock.jobs.runtime import current_runtime
from crossdock.store.unit_of_work import JobRequest

SCHEDULE_TICK_WORKFLOW = "crossdock.schedule_tick"


@dataclass(frozen=True)
class Schedule:
    name: str
    # Six fields, seconds first ("0 * * * * *" = every minute), evaluated in UTC.
    cron: str
    job: str
    args: dict[str, Any] = field(default_factory=dict)


_SCHEDULES: dict[str, Schedule] = {}


def schedule(name: str, *, cron: str, job: str, args: dict[str, Any] | None = None) -> Schedule:
    entry = Schedule(name=name, cron=cron, job=job, args=args or {})
    _SCHEDULES[name] = entry
    return entry


def remove_schedule(name: str) -> None:
    """Forget a schedule; it stops firing once the engine is next started (schedules are applied at start)."""
    _SCHEDULES.pop(name, None)


def registered_schedules() -> list[Schedule]:
    return sorted(_SCHEDULES.values(), key=lambda entry: entry.name)


@DBOS.workflow(name=SCHEDULE_TICK_WORKFLOW)
def schedule_tick(scheduled_at: datetime, schedule_name: str) -> None:
    entry = _SCHEDULES.get(schedule_name)
    if entry is None:  # removed from the code since the engine stored it
        return
    _enqueue_tick(entry.name, entry.job, entry.args, scheduled_at.strftime("%Y%m%dT%H%M%SZ"))


@DBOS.step(name="crossdock.jobs.enqueue_tick")
def _enqueue_tick(schedule_name: str, job: str, args: dict[str, Any], tick: str) -> str:
    runtime = current_runtime()
    with runtime.unit_of_work() as uow:
        enqueued = uow.enqueue(JobRequest(job=job, key=f"{schedule_name}@{tick}", args=args))
        uow.commit()
    return enqueued
