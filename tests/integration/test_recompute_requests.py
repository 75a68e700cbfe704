"""At most one ``inventory.recompute`` waits per SKU (store/recompute_requests.py): changes made while one
waits ride on it, a change made once it has begun asks for another, and the job's start waits for a change
still being written, so that no change is read by nobody."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from crossdock.config import Settings
from crossdock.flows.stock_updates import RECOMPUTE, enqueue_recompute
from crossdock.hub import prepare_database
from crossdock.store.recompute_requests import RecomputeAsked
from crossdock.store.unit_of_work import JobRequest, UnitOfWork

ACCOUNT = "acme"


class RecordingEnqueuer:
    def __init__(self) -> None:
        self.requests: list[JobRequest] = []

    def enqueue(self, connection: sa.Connection, request: JobRequest) -> str:
        self.requests.append(request)
        return request.key


def test_changes_made_while_a_recompute_waits_ride_on_it(settings: Settings) -> None:
    engine = prepare_database(settings)
    enqueuer = RecordingEnqueuer()
    try:
        with UnitOfWork(engine, enqueuer) as uow:
            enqueue_recompute(uow, ACCOUNT, ["SKU-B", "SKU-A", "SKU-A"], "routed-1")
            uow.commit()
        with UnitOfWork(engine, enqueuer) as uow:
            enqueue_recompute(uow, ACCOUNT, ["SKU-A"], "inbox-7")
            enqueue_recompute(uow, ACCOUNT, ["SKU-B", "SKU-C"], "inbox-8")
            uow.commit()
        assert [(r.job, r.key, r.args, r.partition) for r in enqueuer.requests] == [
            (RECOMPUTE, "recompute-acme-SKU-A-1", {"account_id": ACCOUNT, "sku": "SKU-A"}, "acme:SKU-A"),
            (RECOMPUTE, "recompute-acme-SKU-B-1", {"account_id": ACCOUNT, "sku": "SKU-B"}, "acme:SKU-B"),
            (RECOMPUTE, "recompute-acme-SKU-C-1", {"account_id": ACCOUNT, "sku": "SKU-C"}, "acme:SKU-C"),
        ]

        with UnitOfWork(engine) as uow:
            uow.recompute_requests.begin(ACCOUNT, "SKU-A")
            uow.commit()
        with UnitOfWork(engine) as uow:
            assert uow.recompute_requests.ask(ACCOUNT, ["SKU-A", "SKU-B"], "inbox-9") == [
                RecomputeAsked("SKU-A", 2)
            ]
            uow.commit()
    finally:
        engine.dispose()


def test_a_recompute_begins_only_after_a_change_being_written_is_committed(settings: Settings) -> None:
    engine = prepare_database(settings)
    try:
        with UnitOfWork(engine) as uow:
            assert uow.recompute_requests.ask(ACCOUNT, ["SKU-A"], "routed-1") == [RecomputeAsked("SKU-A", 1)]
            uow.commit()
        change_written, commit_change, began = threading.Event(), threading.Event(), threading.Event()

        def change_while_the_job_waits() -> None:
            with UnitOfWork(engine) as uow:
                # A job waits already: nothing new to enqueue, but the row is held until this commits.
                assert uow.recompute_requests.ask(ACCOUNT, ["SKU-A"], "inbox-2") == []
                change_written.set()
                commit_change.wait(10)
                uow.commit()

        def job_begins() -> None:
            with UnitOfWork(engine) as uow:
                uow.recompute_requests.begin(ACCOUNT, "SKU-A")
                uow.commit()
            began.set()

        changing = threading.Thread(target=change_while_the_job_waits)
        changing.start()
        assert change_written.wait(10)
        beginning = threading.Thread(target=job_begins)
        beginning.start()
        # The job would read stock right after beginning: it must not begin before the change is committed.
        assert not began.wait(0.5)
        commit_change.set()
        assert began.wait(10)
        changing.join(10)
        beginning.join(10)

        with UnitOfWork(engine) as uow:
            assert uow.recompute_requests.ask(ACCOUNT, ["SKU-A"], "inbox-3") == [RecomputeAsked("SKU-A", 2)]
            uow.commit()
    finally:
        engine.dispose()
