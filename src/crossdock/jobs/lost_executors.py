"""Executors that stopped heart-beating while jobs they started are unfinished.

Such jobs wait for their executor to come back (a restart with the same id resumes them). When a machine is
gone for good, an operator hands them to the live workers with ``crossdock jobs recover``; this is never done
automatically, because a silent executor may only be cut off and still running them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crossdock.store.executors import ExecutorRecord
from crossdock.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class LostExecutor:
    record: ExecutorRecord
    pending_jobs: int


def stale_after(heartbeat_seconds: float) -> timedelta:
    # Three missed beats: one late beat under load is not a lost machine.
    return timedelta(seconds=3 * heartbeat_seconds)


def is_silent(record: ExecutorRecord, now: datetime, heartbeat_seconds: float) -> bool:
    return record.stopped_at is None and now - record.last_seen_at > stale_after(heartbeat_seconds)


def find_lost_executors(
    uow: UnitOfWork,
    count_pending: Callable[[str], int],
    now: datetime,
    heartbeat_seconds: float,
) -> list[LostExecutor]:
    lost = []
    for record in uow.executors.list():
        if record.stopped_at is not None and count_pending(record.executor_id) == 0:
            continue
        if record.stopped_at is None and not is_silent(record, now, heartbeat_seconds):
            continue
        pending = count_pending(record.executor_id)
        if pending:
            lost.append(LostExecutor(record=record, pending_jobs=pending))
    return lost
