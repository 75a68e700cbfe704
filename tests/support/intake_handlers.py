"""Input handlers for the intake tests (source "test"), each writing what it saw to the journal file named in
the input's headers, so a test can read back which inputs were handled and how often."""

from __future__ import annotations

from pathlib import Path

from crossdock.flows.input_handlers import handles
from crossdock.flows.intake import InputRejected
from crossdock.jobs.context import JobContext
from crossdock.store.inbox import InboxEntry
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
