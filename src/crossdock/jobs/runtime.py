"""What a running job can reach: the database and the enqueuer of this process, and the default policy."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from crossdock.config import Settings
from crossdock.jobs.errors import JobEngineNotRunningError
from crossdock.jobs.retry import RetryPolicy
from crossdock.store.unit_of_work import TransactionalEnqueuer, UnitOfWork


@dataclass(frozen=True)
class JobRuntime:
    engine: sa.Engine
    enqueuer: TransactionalEnqueuer
    default_retry: RetryPolicy
    # The configuration of this process, for jobs that talk to configured systems (shops, warehouses).
    settings: Settings | None = None

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.enqueuer)


_current: JobRuntime | None = None


def install_runtime(runtime: JobRuntime | None) -> None:
    global _current
    _current = runtime


def current_runtime() -> JobRuntime:
    if _current is None:
        raise JobEngineNotRunningError("no job engine runs in this process")
    return _current
