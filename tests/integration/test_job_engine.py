"""The five promises of the job engine, on the database the suite runs on (SQLite, or PostgreSQL when
CROSSDOCK_TEST_DATABASE_URL is set): atomic enqueue, deduplication, resume after SIGKILL, no overlap within
a partition, retries with growing delays ending in a dead letter that `crossdock jobs retry` brings back."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import pytest
from dbos import DBOS
from typer.testing import CliRunner

from crossdock.cli import app as cli
from crossdock.flows.intake import Input, record_input
from crossdock.hub import Hub
from crossdock.jobs.engine import make_client
from crossdock.jobs.enqueuer import DbosEnqueuer
from crossdock.jobs.ids import job_id
from crossdock.store.inbox import InboxEntry
from crossdock.store.unit_of_work import JobRequest
from tests.integration.conftest import ClientSide
from tests.support.databases import backend_name
from tests.support.processes import WorkerProcess
from tests.support.sample_jobs import FLAKY_POLICY, labels, read_journal
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


class Rollback(Exception):
    pass


def test_a_rolled_back_transaction_stores_nothing_and_runs_nothing(hub: Hub, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    with pytest.raises(Rollback), hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        recorded = uow.inbox.record(source="test", kind="note", dedupe_key="rolled-back", payload=b"{}")
        uow.enqueue(
            JobRequest(job="test.record", key="rolled-back", args={"path": str(journal), "label": "x"})
        )
        raise Rollback

    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        assert uow.inbox.get(recorded.inbox_id) is None
    assert DBOS.get_workflow_status(job_id("test.record", "rolled-back")) is None

    # The same work committed does run: the absence above is the rollback's doing, not a slow engine.
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        committed = uow.inbox.record(source="test", kind="note", dedupe_key="committed", payload=b"{}")
        uow.enqueue(
            JobRequest(job="test.record", key="committed", args={"path": str(journal), "label": "ran"})
        )
        uow.commit()
    wait_until(lambda: labels(journal) == ["ran"], what="the committed job to run")
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        assert uow.inbox.get(committed.inbox_id) is not None
    time.sleep(0.3)
    assert labels(journal) == ["ran"]


def test_a_rejected_input_is_kept_failed_with_an_exception_and_not_retried(hub: Hub, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    delivery = Input(
        source="test", kind="unreadable", dedupe_key="d-9", payload=b"{}", headers={"journal": str(journal)}
    )
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        inbox_id = record_input(uow, delivery).inbox_id
        uow.commit()

    def settled() -> InboxEntry | None:
        with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
            entry = uow.inbox.get(inbox_id)
        return entry if entry is not None and entry.state == "failed" else None

    entry = wait_until(settled, what="the input to be rejected")
    assert entry.error == "field 'order.id' is missing"
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        (problem,) = uow.exceptions.list()
    assert (problem.type, problem.subject_type, problem.subject_id) == (
        "input_rejected",
        "inbox",
        str(inbox_id),
    )
    assert problem.details["missing"] == ["order.id"] and problem.details["kind"] == "unreadable"
    time.sleep(0.5)
    assert labels(journal) == ["unreadable d-9"]  # not retried: retrying cannot mend the input


def test_the_same_dedupe_key_twice_runs_the_work_once(hub: Hub, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    delivery = Input(
        source="test", kind="ping", dedupe_key="delivery-1", payload=b"{}", headers={"journal": str(journal)}
    )
    outcomes = []
    for _ in range(2):
        with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
            outcomes.append(record_input(uow, delivery))
            uow.commit()
    assert [outcome.is_new for outcome in outcomes] == [True, False]
    assert outcomes[0].inbox_id == outcomes[1].inbox_id

    # Enqueueing the same job key again (a relay re-sending it, say) is absorbed too.
    hub.jobs.submit(  # type: ignore[union-attr]
        JobRequest(
            job="inbox.process", key=f"inbox-{outcomes[0].inbox_id}", args={"inbox_id": outcomes[0].inbox_id}
        )
    )

    def processed() -> bool:
        with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
            entry = uow.inbox.get(outcomes[0].inbox_id)
            return entry is not None and entry.state == "processed"

    wait_until(processed, what="the input to be processed")
    time.sleep(0.5)
    assert labels(journal) == ["ping delivery-1"]


def test_an_input_without_handler_is_kept_and_marked_ignored(hub: Hub) -> None:
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        recorded = record_input(
            uow, Input(source="test", kind="unknown-topic", dedupe_key="u-1", payload=b"raw", headers={})
        )
        uow.commit()

    def state() -> str | None:
        with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
            entry = uow.inbox.get(recorded.inbox_id)
            return entry.state if entry and entry.state != "received" else None

    assert wait_until(state, what="the input to be looked at") == "ignored"
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        entry = uow.inbox.get(recorded.inbox_id)
    assert entry is not None and entry.payload == b"raw"
    assert entry.error == "no handler for test / unknown-topic"


def test_a_killed_worker_resumes_the_job_at_the_interrupted_step(
    config_path: Path, hub_environ: dict[str, str], tmp_path: Path, client_side: ClientSide
) -> None:
    journal, release = tmp_path / "journal.txt", tmp_path / "release"
    worker = WorkerProcess(config_path, hub_environ).start()
    try:
        client_side.submit(
            JobRequest(
                job="test.three_steps",
                key="order-1001",
                args={"path": str(journal), "release_file": str(release)},
                partition="order-1001",
            )
        )
        wait_until(lambda: "step-2-start" in labels(journal), what="step 2 to start")
        first_executor = worker.executor_id
        worker.kill()
        release.touch()
        time.sleep(0.3)
        assert labels(journal) == ["step-1", "step-2-start"], "nothing may run while the worker is dead"

        restarted = WorkerProcess(config_path, hub_environ, name="restarted").start()
        try:
            # Same host, dead pid: the new process takes back the identity and with it the unfinished job.
            assert restarted.executor_id == first_executor
            wait_until(lambda: "step-3" in labels(journal), what="the job to finish after restart")
            # The journal line is written inside step 3, a moment before the job is recorded as finished.
            resumed = job_id("test.three_steps", "order-1001")
            wait_until(lambda: client_side.status(resumed).status == "SUCCESS", what="the job recorded")
        finally:
            restarted.stop()
    finally:
        worker.stop()
    # Step 1 completed before the kill and is not run again; step 2 was interrupted and is run again.
    assert labels(journal) == ["step-1", "step-2-start", "step-2-start", "step-2-end", "step-3"]


def test_two_jobs_of_one_order_never_overlap_across_workers(
    config_path: Path, hub_environ: dict[str, str], tmp_path: Path, client_side: ClientSide
) -> None:
    journal = tmp_path / "journal.txt"
    workers = [WorkerProcess(config_path, hub_environ, name=f"worker-{n}").start() for n in range(2)]
    try:
        orders = ["order-A", "order-B", "order-C"]
        with client_side.unit_of_work() as uow:
            for n in range(4):
                for order in orders:
                    uow.enqueue(
                        JobRequest(
                            job="test.hold_order",
                            key=f"{order}-{n}",
                            args={"path": str(journal), "order": order, "seconds": 0.15},
                            partition=order,
                        )
                    )
            uow.commit()
        wait_until(
            lambda: sum(label.startswith("end") for label in labels(journal)) == 12,
            timeout=60,
            what="all twelve jobs to finish",
        )
    finally:
        for worker in workers:
            worker.stop()

    intervals: dict[str, list[tuple[float, float]]] = {}
    started: dict[str, float] = {}
    for label, stamp in read_journal(journal):
        kind, order, key = label.split(" ")
        if kind == "start":
            started[key] = stamp
        else:
            intervals.setdefault(order, []).append((started[key], stamp))
    for order, spans in intervals.items():
        spans.sort()
        for (_, previous_end), (next_start, _) in pairwise(spans):
            assert next_start >= previous_end, f"two jobs of {order} overlapped"
    # Different orders did run at the same time, so the absence of overlap above is the partitioning.
    all_spans = sorted(span for spans in intervals.values() for span in spans)
    assert any(later[0] < earlier[1] for earlier, later in pairwise(all_spans))


def test_a_failing_job_backs_off_then_dead_letters_and_jobs_retry_brings_it_back(
    hub: Hub, tmp_path: Path, config_path: Path, hub_environ: dict[str, str]
) -> None:
    journal, broken = tmp_path / "journal.txt", tmp_path / "broken"
    broken.touch()
    hub.jobs.submit(  # type: ignore[union-attr]
        JobRequest(
            job="test.flaky",
            key="push-1",
            args={"path": str(journal), "broken_flag": str(broken), "account_id": "acme"},
        )
    )

    def dead_letter():  # type: ignore[no-untyped-def]
        with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
            found = uow.exceptions.list(status="open", type="dead_letter")
            return found[0] if found else None

    exception = wait_until(dead_letter, timeout=30, what="the dead letter")
    attempts = [(label, stamp) for label, stamp in read_journal(journal) if label.startswith("attempt")]
    assert [label.split(" ")[1] for label, _ in attempts] == ["1", "2", "3"]
    gaps = [later[1] - earlier[1] for earlier, later in pairwise(attempts)]
    seed = job_id("test.flaky", "push-1")
    planned = [FLAKY_POLICY.delay_after(n, seed) for n in (1, 2)]
    assert planned[1] > planned[0]
    for gap, delay in zip(gaps, planned, strict=True):
        # Never earlier than planned; later only by the engine's start-up latency.
        assert delay - 0.05 <= gap <= delay + 2.0, (gaps, planned)
    assert gaps[1] > gaps[0]

    assert exception.subject_id == "test.flaky:push-1"
    assert exception.account_id == "acme"
    assert exception.details["attempts"] == 3
    assert exception.details["error"]["message"] == "the far side is down"
    assert exception.actions == ["retry", "resolve", "ignore"]
    time.sleep(FLAKY_POLICY.max_seconds / 10)
    assert sum(label.startswith("attempt") for label in labels(journal)) == 3, "no attempt after the last"

    broken.unlink()
    result = CliRunner().invoke(
        cli, ["--config", str(config_path), "jobs", "retry", str(exception.id)], env=hub_environ
    )
    assert result.exit_code == 0, result.output
    assert f"exception {exception.id}: retrying as job test.flaky:push-1:retry-1" in result.output
    wait_until(lambda: any(label.startswith("succeeded") for label in labels(journal)), what="the retry")

    def closed():  # type: ignore[no-untyped-def]
        with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
            record = uow.exceptions.get(exception.id)
            return record if record and record.status == "resolved" else None

    record = wait_until(closed, what="the dead letter to be resolved")
    assert record.closed_by == "job test.flaky:push-1:retry-1"
    assert record.details["retries"][0]["job_id"] == "test.flaky:push-1:retry-1"


@pytest.mark.skipif(
    backend_name() != "postgresql", reason="the job engine reuses compiled statements on PostgreSQL"
)
def test_on_postgresql_a_client_works_on_the_engine_it_enqueues_with(hub: Hub, tmp_path: Path) -> None:
    # DBOS 3.4 (pinned) reuses its compiled INSERTs only for a connection of its own engine's dialect
    # (SystemDatabase._execute_prepared) and compiles them again on every enqueue otherwise.
    client = make_client(hub.settings, hub.engine)
    try:
        assert client._sys_db.engine.dialect is hub.engine.dialect
        with hub.engine.begin() as connection:
            DbosEnqueuer(client).enqueue(
                connection,
                JobRequest(
                    job="test.record", key="same-engine", args={"path": str(tmp_path / "j"), "label": "ran"}
                ),
            )
        wait_until(lambda: labels(tmp_path / "j") == ["ran"], what="the job enqueued by the client to run")
    finally:
        client.destroy()
