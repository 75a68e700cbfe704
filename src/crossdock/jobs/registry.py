"""The table of jobs: a name, the queue it runs on, its handler and its retry policy.

A handler is ``handler(ctx: JobContext, **args)``; its args are small JSON values (ids, keys), never the
data itself, which it reads from the database through ``ctx.unit_of_work()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crossdock.jobs.errors import UnknownJobError
from crossdock.jobs.queues import QueueSpec
from crossdock.jobs.retry import RetryPolicy

Handler = Callable[..., Any]


@dataclass(frozen=True)
class JobSpec:
    name: str
    queue: QueueSpec
    handler: Handler
    # None: the engine's default policy, from the [jobs] settings.
    retry: RetryPolicy | None = None


_JOBS: dict[str, JobSpec] = {}


def job(name: str, *, queue: QueueSpec, retry: RetryPolicy | None = None) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        existing = _JOBS.get(name)
        if existing is not None and existing.handler is not handler:
            raise ValueError(f"two handlers register the job name {name!r}")
        _JOBS[name] = JobSpec(name=name, queue=queue, handler=handler, retry=retry)
        return handler

    return register


def get_job(name: str) -> JobSpec:
    try:
        return _JOBS[name]
    except KeyError:
        known = ", ".join(sorted(_JOBS)) or "none"
        raise UnknownJobError(f"no job named {name!r} is registered (known: {known})") from None


def registered_jobs() -> list[JobSpec]:
    return sorted(_JOBS.values(), key=lambda spec: spec.name)
