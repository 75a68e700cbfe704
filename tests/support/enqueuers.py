"""A fake of the job engine's port for tests that check what is enqueued, not what runs."""

from __future__ import annotations

import sqlalchemy as sa

from crossdock.store.unit_of_work import JobRequest


class RecordingEnqueuer:
    """A TransactionalEnqueuer that remembers what it was asked, and on which connection."""

    def __init__(self) -> None:
        self.calls: list[tuple[sa.Connection, JobRequest]] = []

    def enqueue(self, connection: sa.Connection, request: JobRequest) -> str:
        self.calls.append((connection, request))
        return f"{request.job}:{request.key}"
