from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from dbos import DBOSClient, WorkflowStatus

from crossdock.config import Settings
from crossdock.hub import Hub, start_hub, stop_hub
from crossdock.jobs.engine import make_client
from crossdock.jobs.enqueuer import DbosEnqueuer
from crossdock.store.engine import create_engine
from crossdock.store.unit_of_work import JobRequest, UnitOfWork


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    """The hub as `crossdock run` starts it (job engine included), in this test process."""
    started = start_hub(settings, role="run")
    try:
        yield started
    finally:
        stop_hub(started)


@dataclass
class ClientSide:
    """What a process that runs no job engine (the CLI, a web-only process) uses to enqueue and look."""

    engine: sa.Engine
    client: DBOSClient

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, DbosEnqueuer(self.client))

    def submit(self, request: JobRequest) -> str:
        with self.unit_of_work() as uow:
            enqueued = uow.enqueue(request)
            uow.commit()
        return enqueued

    def status(self, job_id: str) -> WorkflowStatus:
        return self.client.retrieve_workflow(job_id).get_status()


@pytest.fixture
def client_side(settings: Settings) -> Iterator[ClientSide]:
    side = ClientSide(engine=create_engine(settings.database.url), client=make_client(settings))
    try:
        yield side
    finally:
        side.client.destroy()
        side.engine.dispose()
