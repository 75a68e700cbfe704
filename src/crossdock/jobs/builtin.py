"""Jobs the hub runs for itself."""

from __future__ import annotations

from dbos import DBOS

from crossdock.jobs.context import JobContext
from crossdock.jobs.lost_executors import find_lost_executors
from crossdock.jobs.queues import MAINTENANCE
from crossdock.jobs.registry import job
from crossdock.jobs.schedules import schedule
from crossdock.jobs.steps import step
from crossdock.store.types import utc_now

WATCH_EXECUTORS = "executors.watch"


def count_pending_jobs(executor_id: str) -> int:
    return len(
        DBOS.list_workflows(status="PENDING", executor_id=executor_id, load_input=False, load_output=False)
    )


@job(WATCH_EXECUTORS, queue=MAINTENANCE)
def watch_executors(ctx: JobContext, heartbeat_seconds: float = 5.0) -> list[str]:
    return _flag_lost_executors(heartbeat_seconds)


@step("crossdock.jobs.flag_lost_executors")
def _flag_lost_executors(heartbeat_seconds: float) -> list[str]:
    from crossdock.jobs.runtime import current_runtime

    flagged = []
    with current_runtime().unit_of_work() as uow:
        lost = find_lost_executors(uow, count_pending_jobs, utc_now(), heartbeat_seconds)
        lost_ids = {entry.record.executor_id for entry in lost}
        for entry in lost:
            record = entry.record
            uow.exceptions.raise_(
                type="executor_lost",
                severity="critical",
                subject_type="executor",
                subject_id=record.executor_id,
                message=(
                    f"Executor {record.executor_id} (pid {record.pid} on {record.hostname}) was last seen "
                    f"at {record.last_seen_at:%Y-%m-%d %H:%M:%S} UTC with {entry.pending_jobs} unfinished "
                    "job(s); they resume when it restarts. If it will not, run "
                    f"`crossdock jobs recover {record.executor_id}`."
                ),
                details={"pending_jobs": entry.pending_jobs, "hostname": record.hostname, "pid": record.pid},
                actions=["recover", "ignore"],
            )
            flagged.append(record.executor_id)
        for open_exception in uow.exceptions.list(status="open", type="executor_lost", limit=1000):
            if open_exception.subject_id not in lost_ids:
                uow.exceptions.close(open_exception.id, status="resolved", by="job executors.watch")
        uow.commit()
    return flagged


schedule("watch-executors", cron="0 * * * * *", job=WATCH_EXECUTORS)
