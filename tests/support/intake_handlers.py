"""Input handlers for the intake tests (source "test"), each writing what it saw to the journal file named in
the input's headers, so a test can read back which inputs were handled and how often."""

from __future__ import annotations

import itertools
from pathlib import Path

from crossdock.flows.input_handlers import handles, handles_in_transaction
from crossdock.flows.intake import InputRejected
from crossdock.jobs.context import JobContext
from crossdock.store.inbox import InboxEntry
from crossdock.store.unit_of_work import UnitOfWork
from tests.support.sample_jobs import journal


@handles("test", "note")
def handle_note(ctx: JobContext, entry: InboxEntry) -> None:
    journal(entry.headers["journal"], f"note {entry.dedupe_key} {ctx.job}")


@handles("test", "unusable-note")
def handle_unusable_note(ctx: JobContext, entry: InboxEntry) -> None:
    journal(entry.headers["journal"], f"unusable {entry.dedupe_key} {ctx.job}")
    raise InputRejected("field 'note.text' is missing", details={"missing": ["note.text"]})


@handles("test", "note-failing-once")
def handle_note_failing_once(ctx: JobContext, entry: InboxEntry) -> None:
    """Fails on its first call (the far side is down), succeeds on every later one."""
    journal(entry.headers["journal"], f"attempt {entry.dedupe_key} {ctx.job}")
    failed_once = Path(entry.headers["journal"]).with_suffix(f".{entry.dedupe_key}.failed")
    if not failed_once.exists():
        failed_once.touch()
        raise RuntimeError("the far side is down")
    journal(entry.headers["journal"], f"succeeded {entry.dedupe_key} {ctx.job}")


# Each unit of work a shared-transaction handler sees gets a number the first time, so a test can count the
# transactions that handled its rows (an object's id() can be reused once it is gone; this cannot).
_TRANSACTION_NUMBERS = itertools.count(1)


def transaction_number(uow: UnitOfWork) -> int:
    number: int = uow.__dict__.setdefault("test_transaction_number", next(_TRANSACTION_NUMBERS))
    return number


@handles_in_transaction("test", "shared-note")
def handle_shared_note(ctx: JobContext, uow: UnitOfWork, entry: InboxEntry) -> None:
    """Works in the transaction it is given: writes a cursor named after the row, notes the transaction."""
    uow.sync_cursors.set("test", entry.dedupe_key, "handled")
    journal(entry.headers["journal"], f"shared {entry.dedupe_key} tx{transaction_number(uow)}")


@handles_in_transaction("test", "shared-unusable-note")
def handle_shared_unusable_note(ctx: JobContext, uow: UnitOfWork, entry: InboxEntry) -> None:
    """Writes its cursor, then finds the input unusable: the write must not outlive the transaction."""
    uow.sync_cursors.set("test", entry.dedupe_key, "half-handled")
    journal(entry.headers["journal"], f"shared-unusable {entry.dedupe_key} tx{transaction_number(uow)}")
    raise InputRejected("field 'note.text' is missing", details={"missing": ["note.text"]})
