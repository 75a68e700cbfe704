"""Checkpoints of a SQLite file's write-ahead log, taken by a thread of their own rather than by the inbox
writer.

SQLite copies the log back into the database file (a checkpoint) in whichever connection commits once the log
holds more than ``wal_autocheckpoint`` pages (1,000 by default): under webhook intake that is the inbox
writer, which then holds every delivery waiting behind its commit while it copies and syncs about 4 MB. The
writer's connections instead leave checkpoints to a ``WalCheckpointer`` beside it, which checkpoints in
PASSIVE mode (never waiting for, nor blocking, readers and writers) on a plain sqlite3 connection of its own.
pysqlite releases the interpreter lock while SQLite works, so the copying runs on the other core. Measured
with ``benchmarks/webhook_intake.py`` on 2 cores, letting the log grow to 20,000 pages raised SQLite intake
from 4,835-5,145 to 5,259-5,723 deliveries/s, but the writer then stalled on each larger checkpoint (p99 up
to 43 ms): the checkpointer takes that work out of the writer's way.

The writer's connections keep a checkpoint threshold, ``WRITER_AUTOCHECKPOINT_PAGES``, as a bound: should the
checkpointer fall behind or stop, the log still cannot grow without limit.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger("crossdock.store")

# About 200 MB of 4 KB pages: reached only if the checkpointer does not keep up.
WRITER_AUTOCHECKPOINT_PAGES = 50_000
CHECKPOINT_INTERVAL_SECONDS = 0.25


@dataclass(frozen=True)
class Checkpoint:
    """What ``PRAGMA wal_checkpoint`` answered: whether it was kept from finishing, how many frames the log
    holds, and how many of them are now in the database file."""

    busy: bool
    log_frames: int
    checkpointed_frames: int


class WalCheckpointer:
    def __init__(self, path: Path, *, interval_seconds: float = CHECKPOINT_INTERVAL_SECONDS) -> None:
        self._path = path
        self._interval_seconds = interval_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="crossdock-wal-checkpointer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def checkpoint_once(self) -> Checkpoint:
        with closing(_open(self._path)) as connection:
            return _checkpoint(connection)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        while not self._stopping.wait(self._interval_seconds):
            try:
                if connection is None:
                    connection = _open(self._path)
                _checkpoint(connection)
            except sqlite3.Error as error:  # the next round may succeed; the log only grows meanwhile
                log.warning("SQLite checkpoint failed; trying again", error=repr(error))
                if connection is not None:
                    connection.close()
                    connection = None
        if connection is not None:
            connection.close()


def _open(path: Path) -> sqlite3.Connection:
    # Autocommit: a checkpoint cannot run inside a transaction.
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False)


def _checkpoint(connection: sqlite3.Connection) -> Checkpoint:
    busy, log_frames, checkpointed = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return Checkpoint(busy=bool(busy), log_frames=int(log_frames), checkpointed_frames=int(checkpointed))
