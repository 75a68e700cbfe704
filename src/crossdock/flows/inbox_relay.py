"""The inbox relay: enqueues the processing of inbox rows stored without their job.

The webhook intake's writer (``flows/inbox_writer.py``) stores deliveries and answers without enqueueing
anything: one enqueue into the job engine cost it more than the INSERT of a whole batch. Every process that
runs a job engine runs one relay thread, which claims up to ``MAX_BATCH`` rows awaiting their job and
enqueues one ``inbox.process_batch`` for them, in one transaction
(``flows.intake.relay_inputs_awaiting_job``).

Nothing committed can be missed: the relay looks for rows still marked as awaiting, not for rows after a
cursor (on PostgreSQL ids become visible out of order), and a row stops awaiting in the transaction that
enqueues its job. Relays of several workers skip each other's claimed rows (PostgreSQL) or take turns
(SQLite).

It looks as soon as a writer sharing its moments has committed (``crossdock run``'s web process, or this
process), checking every ``WAKE_CHECK_SECONDS``, and at least every ``poll_seconds`` for writers elsewhere
(a web process on another machine). Like batch jobs, it waits while the writer is saturated: a relay
transaction takes the SQLite write lock from the writer, and what it enqueues would wait anyway.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
import structlog

from crossdock.flows.intake import relay_inputs_awaiting_job
from crossdock.flows.intake_activity import INTAKE_ACTIVITY
from crossdock.store.unit_of_work import TransactionalEnqueuer, UnitOfWork

log = structlog.get_logger("crossdock.intake")

MAX_BATCH = 500
WAKE_CHECK_SECONDS = 0.005
# After a failed relay (the database unreachable), before trying again.
RETRY_SECONDS = 1.0


class InboxRelay:
    def __init__(self, engine: sa.Engine, enqueuer: TransactionalEnqueuer, *, poll_seconds: float) -> None:
        self._engine = engine
        self._enqueuer = enqueuer
        self._poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="crossdock-inbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def relay_once(self) -> int:
        """Relay up to ``MAX_BATCH`` rows; how many."""
        with UnitOfWork(self._engine, self._enqueuer) as uow:
            relayed = relay_inputs_awaiting_job(uow, MAX_BATCH)
            uow.commit()
        return len(relayed)

    def _run(self) -> None:
        while not self._stopping.is_set():
            seen_commit = INTAKE_ACTIVITY.last_committed()
            INTAKE_ACTIVITY.wait_while_busy()
            try:
                relayed = self.relay_once()
            except Exception as error:  # the next round may succeed; the rows wait, stored, meanwhile
                log.error("inbox relay failed; trying again", error=repr(error))
                self._stopping.wait(RETRY_SECONDS)
                continue
            if relayed < MAX_BATCH:
                self._wait_for_commit(seen_commit)

    def _wait_for_commit(self, seen_commit: float) -> None:
        deadline = time.monotonic() + self._poll_seconds
        while not self._stopping.wait(WAKE_CHECK_SECONDS):
            if INTAKE_ACTIVITY.last_committed() != seen_commit or time.monotonic() >= deadline:
                return
