"""Intake: an input is stored in the inbox before the sender gets its acknowledgement, and its processing job
is enqueued in the same transaction or, for webhook deliveries, by the inbox relay after it (a row awaiting
its job is found by the relay whenever it was committed, so none is forgotten); the job then hands the
stored input to the handler registered for it.

A repeated delivery (same source and dedupe key) finds its row and enqueues nothing, so it is answered and
changes nothing. The job id is derived from the inbox row, so even a repeated enqueue runs the work once.

Three ways in: ``record_input`` stores one input and enqueues ``inbox.process`` for it; ``record_inputs``
stores many with one INSERT and enqueues one ``inbox.process_batch`` for all the new ones;
``store_inputs_awaiting_job`` stores many and enqueues nothing, marking them for the inbox relay
(``flows/inbox_relay.py``), which enqueues one ``inbox.process_batch`` for many in a job engine's process:
that is how webhook intake keeps up with more deliveries per second than the job engine can take enqueues,
with no enqueue at all in the web process (see ``flows/inbox_writer.py``). Both jobs process each row the
same way; in a batch, a row whose handler fails is handed to its own ``inbox.process`` job, with its
retries and dead letter, and the batch goes on. A batch handles rows whose handler works in a given
transaction many in one transaction (``flows/input_handlers.py``), falling back to one by one when one fails.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog

from crossdock.flows.command_errors import CommandRefused
from crossdock.flows.exception_actions import ActionRequest, retries
from crossdock.flows.input_handlers import handler_for, in_transaction_handler_for
from crossdock.flows.intake_activity import INTAKE_ACTIVITY
from crossdock.jobs.context import JobContext
from crossdock.jobs.queues import INTAKE
from crossdock.jobs.registry import job
from crossdock.jobs.runtime import current_runtime
from crossdock.jobs.steps import step
from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.inbox import InboxEntry, InboxState, NewInboxEntry, Recorded
from crossdock.store.unit_of_work import JobRequest, UnitOfWork

log = structlog.get_logger("crossdock.intake")

PROCESS_INPUT = "inbox.process"
PROCESS_BATCH = "inbox.process_batch"


class InputRejected(Exception):
    """Raised by a handler when the stored input cannot be used as it is (a field the hub needs is missing,
    a value is malformed). Retrying cannot help: the input is marked failed with this message, kept for
    inspection, and an `input_rejected` exception shows it to an operator."""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


@dataclass(frozen=True)
class Input:
    source: str
    kind: str
    dedupe_key: str
    payload: bytes
    headers: dict[str, Any]
    account_id: str | None = None
    # Set by a receiver that knows the hub does not process such an input (a webhook topic it does not
    # subscribe to): the input is kept, marked ignored with this reason, and no job is enqueued for it.
    ignored_because: str | None = None

    def as_new_entry(self) -> NewInboxEntry:
        return NewInboxEntry(
            source=self.source,
            kind=self.kind,
            dedupe_key=self.dedupe_key,
            payload=self.payload,
            headers=self.headers,
            account_id=self.account_id,
            state="received" if self.ignored_because is None else "ignored",
            error=self.ignored_because,
        )


def record_input(uow: UnitOfWork, received: Input) -> Recorded:
    """Store the input and enqueue its processing in the caller's transaction (the caller commits)."""
    entry = received.as_new_entry()
    recorded = uow.inbox.record(
        source=entry.source,
        kind=entry.kind,
        dedupe_key=entry.dedupe_key,
        payload=entry.payload,
        headers=entry.headers,
        account_id=entry.account_id,
        state=entry.state,
        error=entry.error,
    )
    if recorded.is_new and received.ignored_because is None:
        uow.enqueue(
            JobRequest(
                job=PROCESS_INPUT,
                key=f"inbox-{recorded.inbox_id}",
                args={"inbox_id": recorded.inbox_id, "account_id": received.account_id},
            )
        )
    return recorded


def record_inputs(uow: UnitOfWork, inputs: Sequence[Input]) -> list[Recorded]:
    """Store the inputs with one INSERT and enqueue one ``inbox.process_batch`` for every new one that is to
    be processed, in the caller's transaction (the caller commits). Outcomes come in the order of ``inputs``;
    an input given twice is new only the first time."""
    outcomes = uow.inbox.record_many([received.as_new_entry() for received in inputs])
    to_process = sorted(
        {
            outcome.inbox_id
            for received, outcome in zip(inputs, outcomes, strict=True)
            if outcome.is_new and received.ignored_because is None
        }
    )
    if to_process:
        _enqueue_batch(uow, to_process)
    return outcomes


def store_inputs_awaiting_job(uow: UnitOfWork, inputs: Sequence[Input]) -> list[Recorded]:
    """Store the inputs with one INSERT, each new one to be processed marked as awaiting its job, which the
    inbox relay enqueues (``relay_inputs_awaiting_job``); in the caller's transaction (the caller commits)."""
    return uow.inbox.record_many(
        [replace(entry, awaits_job=entry.state == "received") for entry in map(Input.as_new_entry, inputs)]
    )


def relay_inputs_awaiting_job(uow: UnitOfWork, limit: int) -> list[int]:
    """Enqueue one ``inbox.process_batch`` for up to ``limit`` rows awaiting their job, in the caller's
    transaction (the caller commits): the rows stop awaiting with the same commit that enqueues their job,
    so a row is relayed exactly once, however many relays run."""
    claimed = uow.inbox.claim_awaiting_job(limit)
    if claimed:
        _enqueue_batch(uow, claimed)
    return claimed


def _enqueue_batch(uow: UnitOfWork, inbox_ids: list[int]) -> None:
    # Each row is new, or relayed, in exactly one transaction, so the smallest id names the batch for good.
    uow.enqueue(
        JobRequest(job=PROCESS_BATCH, key=f"inbox-batch-{inbox_ids[0]}", args={"inbox_ids": inbox_ids})
    )


# What _handle returns when the handler succeeded; the row is then finished as processed.
HANDLED = "handled"


@job(PROCESS_INPUT, queue=INTAKE)
def process_input(ctx: JobContext, inbox_id: int, account_id: str | None = None) -> str:
    (state,) = _begin([inbox_id])
    if state != "processing":
        return state
    # The stored input never changes, so reading it outside a step replays identically after a crash.
    with ctx.unit_of_work() as uow:
        entry = uow.inbox.get(inbox_id)
    assert entry is not None
    outcome = _handle(ctx, entry, on_handler_error=_fail_and_raise)
    if outcome != HANDLED:
        return outcome
    _finish([inbox_id], "processed", None)
    return "processed"


@job(PROCESS_BATCH, queue=INTAKE)
def process_batch(ctx: JobContext, inbox_ids: list[int]) -> dict[str, int]:
    """Process each row in turn, as ``inbox.process`` does; a row whose handler fails moves to its own job,
    so one bad input neither blocks the others nor makes them run again.

    The rows are begun together, one step: a step costs a transaction plus the job engine's record of it,
    which per row cost more than the order handlers themselves (measured on 2 cores, batches of 20 orders:
    ~20 rows/s with two steps a row, 65-95 rows/s with two steps a batch, on SQLite and PostgreSQL alike).
    Rows whose handler works in a given transaction (``handles_in_transaction``) are then handled many in
    one transaction, finished as processed in it (``_handle_together``); the others one by one, finished
    together at the end. A crash in between resumes the batch like any job: completed steps are replayed,
    and handlers, which must be idempotent, run again."""
    INTAKE_ACTIVITY.wait_while_busy()
    states = _begin(inbox_ids)
    outcomes = Counter(state for state in states if state != "processing")
    started = [inbox_id for inbox_id, state in zip(inbox_ids, states, strict=True) if state == "processing"]
    with ctx.unit_of_work() as uow:
        entries = uow.inbox.get_many(started)
    pending = [entries[inbox_id] for inbox_id in started]
    handled = []
    while pending:
        INTAKE_ACTIVITY.wait_while_busy()
        together = _handle_together(ctx, pending)
        outcomes["processed"] += together.committed
        one_by_one, pending = pending[together.committed : together.alone], pending[together.alone :]
        for entry in one_by_one:
            outcome = _handle(ctx, entry, on_handler_error=_hand_over)
            if outcome == HANDLED:
                handled.append(entry.id)
            else:
                outcomes[outcome] += 1
    if handled:
        _finish(handled, "processed", None)
        outcomes["processed"] += len(handled)
    return dict(outcomes)


@dataclass(frozen=True)
class TogetherOutcome:
    """Of the rows given to ``_handle_together``: the first ``committed`` were handled and committed; those
    up to ``alone`` (exclusive) are to be handled one by one."""

    committed: int
    alone: int


# A transaction of a batch handles rows until it holds this many or has run this long: each commit waits for
# the disk, but the transaction holds SQLite's write lock (and PostgreSQL's row locks) while it runs.
TOGETHER_MAX_ROWS = 100
TOGETHER_MAX_SECONDS = 0.1


def _handle_together(ctx: JobContext, entries: Sequence[InboxEntry]) -> TogetherOutcome:
    """Handle the leading rows whose handler works in a given transaction in one transaction, and mark them
    processed in it. When a handler raises, the transaction rolls back and the rows up to and including
    that one are to be handled one by one (their plain handlers say what failed and why, and a rejection
    or a retry is recorded for that row alone); a leading row with no such handler is to be handled alone."""
    started_at = time.monotonic()
    done: list[int] = []
    with ctx.unit_of_work() as uow:
        for entry in entries:
            handler = in_transaction_handler_for(entry.source, entry.kind)
            if handler is None:
                break
            try:
                handler(ctx, uow, entry)
            except Exception as error:
                log.info(
                    "a row failed in a shared transaction: its rows are handled one by one",
                    inbox_id=entry.id,
                    rows=len(done) + 1,
                    error=_describe(error),
                )
                return TogetherOutcome(committed=0, alone=len(done) + 1)
            done.append(entry.id)
            if len(done) >= TOGETHER_MAX_ROWS or time.monotonic() - started_at >= TOGETHER_MAX_SECONDS:
                break
        if not done:
            return TogetherOutcome(committed=0, alone=1)
        try:
            uow.inbox.finish_many(done, "processed", None)
            uow.commit()
        except Exception as error:  # a conflict at commit (a deadlock on PostgreSQL): try each alone
            log.info(
                "a shared transaction failed to commit: its rows are handled one by one",
                rows=len(done),
                error=_describe(error),
            )
            return TogetherOutcome(committed=0, alone=len(done))
    return TogetherOutcome(committed=len(done), alone=len(done))


def _handle(ctx: JobContext, entry: InboxEntry, *, on_handler_error: Callable[[int, Exception], str]) -> str:
    """Hand the input to its handler: HANDLED, or "failed" once a rejection is recorded, or what
    ``on_handler_error`` makes of any other error."""
    handler = handler_for(entry.source, entry.kind)
    assert handler is not None
    try:
        handler(ctx, entry)
    except InputRejected as rejection:
        return _reject(entry.id, str(rejection), rejection.details)
    except Exception as error:
        return on_handler_error(entry.id, error)
    return HANDLED


def _fail_and_raise(inbox_id: int, error: Exception) -> str:
    """In the row's own job: mark it failed and let the job's retry policy decide what comes next."""
    _finish([inbox_id], "failed", _describe(error))
    raise error


def _hand_over(inbox_id: int, error: Exception) -> str:
    """In a batch: give the row its own job, which retries it with growing delays and ends in a dead letter
    if it never succeeds."""
    message = _describe(error)
    _enqueue_own_job(inbox_id, message)
    log.warning("input handed to its own job after its handler failed", inbox_id=inbox_id, error=message)
    return "handed_over"


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


@step("crossdock.intake.begin_rows")
def _begin(inbox_ids: list[int]) -> list[str]:
    """Mark each row processing, or ignored when no handler takes its kind; a row already processed or
    ignored keeps its state. Returns each row's state, in order."""
    with current_runtime().unit_of_work() as uow:
        entries = uow.inbox.get_many(inbox_ids)
        states: list[str] = []
        for inbox_id in inbox_ids:
            entry = entries.get(inbox_id)
            if entry is None:
                raise LookupError(f"inbox row {inbox_id} does not exist")
            if entry.state in ("processed", "ignored"):
                states.append(entry.state)
            elif handler_for(entry.source, entry.kind) is None:
                uow.inbox.finish(inbox_id, "ignored", f"no handler for {entry.source} / {entry.kind}")
                states.append("ignored")
            else:
                states.append("processing")
        uow.inbox.start_processing_many(
            [inbox_id for inbox_id, state in zip(inbox_ids, states, strict=True) if state == "processing"]
        )
        uow.commit()
    return states


@step("crossdock.intake.reject")
def _reject(inbox_id: int, message: str, details: dict[str, Any]) -> str:
    with current_runtime().unit_of_work() as uow:
        entry = uow.inbox.get(inbox_id)
        assert entry is not None
        uow.inbox.finish(inbox_id, "failed", message)
        uow.exceptions.raise_(
            type="input_rejected",
            severity="error",
            subject_type="inbox",
            subject_id=str(inbox_id),
            message=f"{entry.source} {entry.kind} input {entry.dedupe_key} was rejected: {message}",
            details={"source": entry.source, "kind": entry.kind, "dedupe_key": entry.dedupe_key, **details},
            actions=["retry", "ignore"],
            account_id=entry.account_id,
        )
        uow.commit()
    return "failed"


@step("crossdock.intake.finish_rows")
def _finish(inbox_ids: list[int], state: InboxState, error: str | None) -> None:
    with current_runtime().unit_of_work() as uow:
        uow.inbox.finish_many(inbox_ids, state, error)
        uow.commit()


@step("crossdock.intake.enqueue_own_job")
def _enqueue_own_job(inbox_id: int, error: str) -> None:
    with current_runtime().unit_of_work() as uow:
        entry = uow.inbox.get(inbox_id)
        assert entry is not None
        uow.inbox.finish(inbox_id, "failed", error)
        uow.enqueue(
            JobRequest(
                job=PROCESS_INPUT,
                key=f"inbox-{inbox_id}",
                args={"inbox_id": inbox_id, "account_id": entry.account_id},
            )
        )
        uow.commit()


@retries("input_rejected")
def _retry_rejected_input(uow: UnitOfWork, record: ExceptionRecord, request: ActionRequest) -> str:
    """Process the stored input again (after the configuration or the code that rejected it was fixed): a
    new rejection opens a new exception."""
    inbox_id = int(record.subject_id)
    entry = uow.inbox.get(inbox_id)
    if entry is None:
        raise CommandRefused(f"the input of exception {record.id} (inbox row {inbox_id}) is gone")
    retried = len(record.details.get("retried_by", []))
    uow.enqueue(
        JobRequest(
            job=PROCESS_INPUT,
            key=f"inbox-{inbox_id}-retry-{retried + 1}",
            args={"inbox_id": inbox_id, "account_id": entry.account_id},
        )
    )
    uow.exceptions.update_details(
        record.id, {**record.details, "retried_by": [*record.details.get("retried_by", []), request.by]}
    )
    uow.exceptions.close(record.id, status="resolved", by=f"{request.by} (retried)")
    return f"input {inbox_id} ({entry.source} {entry.kind}) is processed again"
