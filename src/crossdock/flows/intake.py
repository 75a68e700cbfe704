"""Intake: an input is stored in the inbox and its processing job enqueued in one transaction, before the
sender gets its acknowledgement; the job then hands the stored input to the handler registered for it.

A repeated delivery (same source and dedupe key) finds its row and enqueues nothing, so it is answered and
changes nothing. The job id is derived from the inbox row, so even a repeated enqueue runs the work once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crossdock.flows.input_handlers import handler_for
from crossdock.jobs.context import JobContext
from crossdock.jobs.queues import INTAKE
from crossdock.jobs.registry import job
from crossdock.jobs.runtime import current_runtime
from crossdock.jobs.steps import step
from crossdock.store.inbox import InboxState, Recorded
from crossdock.store.unit_of_work import JobRequest, UnitOfWork

PROCESS_INPUT = "inbox.process"


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


def record_input(uow: UnitOfWork, received: Input) -> Recorded:
    """Store the input and enqueue its processing in the caller's transaction (the caller commits)."""
    recorded = uow.inbox.record(
        source=received.source,
        kind=received.kind,
        dedupe_key=received.dedupe_key,
        payload=received.payload,
        headers=received.headers,
        account_id=received.account_id,
    )
    if recorded.is_new:
        uow.enqueue(
            JobRequest(
                job=PROCESS_INPUT,
                key=f"inbox-{recorded.inbox_id}",
                args={"inbox_id": recorded.inbox_id, "account_id": received.account_id},
            )
        )
    return recorded


@job(PROCESS_INPUT, queue=INTAKE)
def process_input(ctx: JobContext, inbox_id: int, account_id: str | None = None) -> str:
    state = _begin(inbox_id)
    if state != "processing":
        return state
    # The stored input never changes, so reading it outside a step replays identically after a crash.
    with ctx.unit_of_work() as uow:
        entry = uow.inbox.get(inbox_id)
    assert entry is not None
    handler = handler_for(entry.source, entry.kind)
    assert handler is not None
    try:
        handler(ctx, entry)
    except InputRejected as rejection:
        return _reject(inbox_id, str(rejection), rejection.details)
    except Exception as error:
        _finish(inbox_id, "failed", f"{type(error).__name__}: {error}")
        raise
    return _finish(inbox_id, "processed", None)


@step("crossdock.intake.begin")
def _begin(inbox_id: int) -> str:
    with current_runtime().unit_of_work() as uow:
        entry = uow.inbox.get(inbox_id)
        if entry is None:
            raise LookupError(f"inbox row {inbox_id} does not exist")
        if entry.state in ("processed", "ignored"):
            return entry.state
        if handler_for(entry.source, entry.kind) is None:
            uow.inbox.finish(inbox_id, "ignored", f"no handler for {entry.source} / {entry.kind}")
            uow.commit()
            return "ignored"
        uow.inbox.start_processing(inbox_id)
        uow.commit()
    return "processing"


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


@step("crossdock.intake.finish")
def _finish(inbox_id: int, state: InboxState, error: str | None) -> str:
    with current_runtime().unit_of_work() as uow:
        uow.inbox.finish(inbox_id, state, error)
        uow.commit()
    return state
