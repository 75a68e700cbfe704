"""The context a job handler receives."""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.jobs.runtime import JobRuntime
from crossdock.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class JobContext:
    job_id: str
    job: str
    key: str
    attempt: int
    runtime: JobRuntime

    def unit_of_work(self) -> UnitOfWork:
        return self.runtime.unit_of_work()
