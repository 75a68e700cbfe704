"""The context a job handler receives."""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.config import Settings
from crossdock.jobs.errors import FatalJobError
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

    def settings(self) -> Settings:
        """The configuration of this process; a job that needs one fails for good without it."""
        if self.runtime.settings is None:
            raise FatalJobError("this process has no configuration")
        return self.runtime.settings
