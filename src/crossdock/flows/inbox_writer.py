"""Group commit for the inbox: one thread per process writes the inputs that request handlers hand it, many
per transaction, and answers each handler only once its input is committed.

Enqueueing a job costs more than inserting a row (about 690 enqueues/s on SQLite, 980/s on PostgreSQL from one
client), so one transaction per webhook cannot reach the intake rate the hub needs. Here every transaction
takes whatever waits in the queue (up to ``max_batch``) and stores it with one INSERT, each new input marked
as awaiting its processing job (``flows.intake.store_inputs_awaiting_job``); the inbox relay of a job engine
(``flows/inbox_relay.py``) enqueues one ``inbox.process_batch`` for many such rows. So the web process does
no enqueueing at all, and a stored input cannot be forgotten: it awaits its job until a relay has enqueued it.
Nothing waits on purpose: while one commit runs the next requests queue up, so a batch is one input at low
load and many at high load.

On PostgreSQL a batch is written in autocommit: it is one INSERT (a batch never holds more than
``ROWS_PER_INSERT`` inputs), atomic on its own, so BEGIN and COMMIT would only add two round trips to the
server. Each round trip also makes this thread win the interpreter lock back from the event loop: measured
with ``benchmarks/webhook_intake.py`` on 2 cores, a batch's median time went from 4.7 to 3.7 ms.

If the transaction fails, every waiter of that batch gets the error (the route answers 503 and the sender
retries); nothing of the batch was stored. When the database refuses the data itself (a constraint, a value
it cannot take), the batch is written again one input per transaction, so only the refused input fails.

Each batch also tells ``flows.intake_activity.INTAKE_ACTIVITY`` whether inputs queued up behind the previous
commit: batch jobs and the relay (in this process, or in ``crossdock run``'s job process) then wait, so that
acknowledging keeps the interpreter and the database to itself; and each commit tells it that inputs await
their job, which wakes the relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections import defaultdict

import sqlalchemy as sa
import structlog

from crossdock.flows.intake import Input, store_inputs_awaiting_job
from crossdock.flows.intake_activity import INTAKE_ACTIVITY
from crossdock.store.inbox import ROWS_PER_INSERT, Recorded
from crossdock.store.unit_of_work import UnitOfWork

log = structlog.get_logger("crossdock.intake")

DEFAULT_MAX_BATCH = 500

_Waiter = tuple[Input, "asyncio.Future[Recorded]"]


class InboxWriterStopped(RuntimeError):
    """The writer is stopping or stopped: the input was not stored."""


class InboxWriter:
    """``threads`` transactions in flight at most, each on its own connection of ``engine``: on PostgreSQL,
    one batch is written while the previous one commits (see ``web/app.py``); SQLite writes one at a time."""

    def __init__(self, engine: sa.Engine, *, max_batch: int = DEFAULT_MAX_BATCH, threads: int = 1) -> None:
        if not 1 <= max_batch <= ROWS_PER_INSERT:
            raise ValueError(f"a batch holds 1 to {ROWS_PER_INSERT} inputs, the most one INSERT stores")
        if engine.dialect.name == "postgresql":
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._engine = engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Waiter | None] = queue.SimpleQueue()
        # Held while checking "accepting" and queueing, so nothing is queued behind the stop markers.
        self._accepting_lock = threading.Lock()
        self._accepting = False
        self._threads = [
            threading.Thread(target=self._run, name=f"crossdock-inbox-writer-{n}", daemon=True)
            for n in range(threads)
        ]

    def start(self) -> None:
        self._accepting = True
        for thread in self._threads:
            thread.start()

    async def submit(self, received: Input) -> Recorded:
        """Store ``received`` (awaiting its processing job, which a relay enqueues); return once that is
        committed."""
        future: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        with self._accepting_lock:
            if not self._accepting:
                raise InboxWriterStopped("the inbox writer is not running")
            self._queue.put((received, future))
        return await future

    def stop(self, timeout: float = 30.0) -> None:
        """Refuse new inputs, write every one already queued, then end the thread."""
        with self._accepting_lock:
            if not self._accepting:
                return
            self._accepting = False
            for _ in self._threads:  # one stop marker each: a thread ends at the first it takes
                self._queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.ident is not None:  # started
                thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self._threads):
            log.error("the inbox writer did not finish writing its queue in time", timeout=timeout)

    # -- the writer thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    following = self._queue.get_nowait()
                except queue.Empty:
                    break
                if following is None:
                    stopping = True
                    break
                batch.append(following)
            INTAKE_ACTIVITY.note_batch(len(batch))
            self._write(batch)

    def _write(self, batch: list[_Waiter], *, reconnected: bool = False) -> None:
        try:
            with UnitOfWork(self._engine) as uow:
                outcomes = store_inputs_awaiting_job(uow, [received for received, _ in batch])
                uow.commit()
        except (sa.exc.IntegrityError, sa.exc.DataError) as error:
            if len(batch) == 1:
                log.error("inbox input could not be stored", error=repr(error))
                _settle([(batch[0][1], InboxWriterFailure(error))])
                return
            # One input the database refuses must not fail the others with it, delivery after delivery.
            log.warning(
                "inbox batch refused by the database; storing its inputs one by one", error=repr(error)
            )
            for waiter in batch:
                self._write([waiter])
            return
        except sa.exc.DBAPIError as error:
            if error.connection_invalidated and not reconnected:
                # A pooled connection the server had dropped (the writer's engine does not ping before
                # use). Writing again is safe even if the lost commit went through: rows already stored are
                # found, not doubled, and await their job as they did.
                log.warning("inbox connection lost; writing the batch again", error=repr(error))
                self._write(batch, reconnected=True)
                return
            self._fail(batch, error)
            return
        except Exception as error:
            self._fail(batch, error)
            return
        INTAKE_ACTIVITY.note_committed()
        _settle([(future, outcome) for (_, future), outcome in zip(batch, outcomes, strict=True)])

    def _fail(self, batch: list[_Waiter], error: Exception) -> None:
        log.error("inbox batch could not be stored", inputs=len(batch), error=repr(error))
        _settle([(future, InboxWriterFailure(error)) for _, future in batch])


class InboxWriterFailure(RuntimeError):
    """The transaction that was to store the input failed; nothing of its batch was stored."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(f"the inbox batch could not be stored: {cause!r}")
        self.__cause__ = cause


def _settle(results: list[tuple[asyncio.Future[Recorded], Recorded | Exception]]) -> None:
    """Hand each result to its waiter, with one wake-up per event loop rather than one per waiter."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Recorded], Recorded | Exception]]]
    by_loop = defaultdict(list)
    for future, result in results:
        by_loop[future.get_loop()].append((future, result))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_resolve, settled)


def _resolve(settled: list[tuple[asyncio.Future[Recorded], Recorded | Exception]]) -> None:
    for future, result in settled:
        if future.done():  # the request was cancelled (client gone); its input is stored all the same
            continue
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(result)
