"""The inbox relay (flows/inbox_relay.py): rows the webhook writer stored without their job get exactly one,
however many relays run, soon after the writer's commit."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.config import Settings
from crossdock.flows.inbox_relay import InboxRelay
from crossdock.flows.intake import Input, record_inputs, relay_inputs_awaiting_job, store_inputs_awaiting_job
from crossdock.flows.intake_activity import INTAKE_ACTIVITY
from crossdock.hub import Hub, prepare_database
from crossdock.jobs.enqueuer import DbosEnqueuer
from crossdock.jobs.ids import job_id
from tests.conftest import write_config
from tests.integration.conftest import ClientSide
from tests.support.sample_jobs import labels
from tests.support.waiting import wait_until


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(
        tmp_path, extra_modules=["tests.support.sample_jobs", "tests.support.intake_handlers"]
    )


@pytest.fixture
def prepared(settings: Settings) -> Iterator[None]:
    """The database at the latest schema, and no job engine running: nothing relays but the test."""
    engine = prepare_database(settings)
    engine.dispose()
    yield


def note(key: str, journal: Path, *, ignored: bool = False) -> Input:
    return Input(
        source="test",
        kind="note",
        dedupe_key=key,
        payload=b"{}",
        headers={"journal": str(journal)},
        ignored_because="not subscribed" if ignored else None,
    )


def test_stored_rows_are_processed_once_and_rows_stored_with_their_job_or_ignored_are_not_relayed(
    hub: Hub, client_side: ClientSide, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.txt"
    with client_side.unit_of_work() as uow:
        stored = store_inputs_awaiting_job(
            uow, [*(note(f"r-{n}", journal) for n in range(30)), note("ignored", journal, ignored=True)]
        )
        record_inputs(uow, [note("with-job", journal)])
        repeated = store_inputs_awaiting_job(uow, [note("r-0", journal)])
        uow.commit()
    INTAKE_ACTIVITY.note_committed()
    assert [outcome.is_new for outcome in stored] == [True] * 31
    assert not repeated[0].is_new and repeated[0].inbox_id == stored[0].inbox_id

    expected = Counter(
        [*(f"note r-{n} inbox.process_batch" for n in range(30)), "note with-job inbox.process_batch"]
    )
    wait_until(lambda: Counter(labels(journal)) == expected, what="every row to be processed")
    time.sleep(0.5)  # a second relay of the same rows would show here
    assert Counter(labels(journal)) == expected
    with client_side.unit_of_work() as uow:
        assert uow.inbox.count_awaiting_job() == 0
        states = uow.inbox.get_many([outcome.inbox_id for outcome in stored])
    assert Counter(entry.state for entry in states.values()) == {"processed": 30, "ignored": 1}


def test_relays_racing_each_other_claim_every_row_exactly_once(
    prepared: None, client_side: ClientSide, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.txt"
    with client_side.unit_of_work() as uow:
        stored = store_inputs_awaiting_job(uow, [note(f"race-{n}", journal) for n in range(200)])
        uow.commit()
    claims: list[list[int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def relay() -> None:
        try:
            start.wait()
            while True:
                with client_side.unit_of_work() as uow:
                    claimed = relay_inputs_awaiting_job(uow, limit=7)
                    uow.commit()
                if not claimed:
                    return
                claims.append(claimed)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=relay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    relayed = [inbox_id for claim in claims for inbox_id in claim]
    assert sorted(relayed) == sorted(outcome.inbox_id for outcome in stored)  # none twice, none left
    for claim in claims:  # one batch job each, named by the smallest id of its claim
        assert claim == sorted(claim)
        status = client_side.status(job_id("inbox.process_batch", f"inbox-batch-{claim[0]}"))
        assert status.status == "ENQUEUED"


def test_the_relay_looks_when_the_writer_commits_and_otherwise_at_its_poll(
    prepared: None, client_side: ClientSide, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.txt"
    relay = InboxRelay(client_side.engine, DbosEnqueuer(client_side.client), poll_seconds=3.0)
    relay.start()
    try:
        time.sleep(0.3)  # its first look, at start, found nothing

        with client_side.unit_of_work() as uow:
            store_inputs_awaiting_job(uow, [note("woken", journal)])
            uow.commit()
        INTAKE_ACTIVITY.note_committed()
        noted = time.monotonic()
        wait_until(lambda: _nothing_awaits(client_side), timeout=10, interval=0.01, what="the relay")
        woken_after = time.monotonic() - noted

        with client_side.unit_of_work() as uow:
            store_inputs_awaiting_job(uow, [note("polled", journal)])
            uow.commit()
        stored = time.monotonic()
        wait_until(lambda: _nothing_awaits(client_side), timeout=10, interval=0.01, what="the relay")
        polled_after = time.monotonic() - stored
    finally:
        relay.stop()

    # Woken by the commit, long before its 3 s poll; without one, the poll alone finds the row.
    assert woken_after < 1.5
    assert polled_after > 1.0


def _nothing_awaits(client_side: ClientSide) -> bool:
    with client_side.unit_of_work() as uow:
        return uow.inbox.count_awaiting_job() == 0
