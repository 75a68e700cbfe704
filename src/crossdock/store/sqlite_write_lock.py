"""One queue for SQLite's write lock, shared by every engine of every hub process on the same file.

SQLite lets one connection write at a time. A connection that finds the lock taken does not wait in a queue:
its busy handler sleeps (1, 2, 5, 10, … up to 100 ms) and tries again, so under load writers sleep long
past the moment the lock was freed, and the unlucky ones lose round after round. Measured with
benchmarks/order_latency.py at 20 orders/s on 2 cores (the hub's job threads, the job engine's own
connections and the inbox writer all writing): waits for the lock of p50 3 ms, p90 440 ms, p99 2-3.5 s,
a minute of waiting per 500 transactions, and the hub fell behind at 3 orders/s.

So every write transaction first takes a ``threading.Lock`` for its file, which wakes the next waiter of the
process as soon as it is released, then an exclusive ``flock`` on a lock file beside the database
(``<database>.write-lock``), which the kernel hands to the next waiting process as soon as it is released,
and only then SQLite's lock, which is then free. The second matters since ``crossdock run`` runs its job
engine in a process of its own beside the web process; a process without it (an older CLI, the ``sqlite3``
shell) still meets SQLite's busy handler, as before. Both are held from the start of the write to its
commit or rollback, and given back if the connection is checked in, invalidated or closed on the way, so no
path keeps them; the kernel releases the file lock of a process that dies.

A thread that waits longer than the busy timeout for the in-process lock goes on without it and meets
SQLite's lock as it would have without this queue (an error after the same timeout), never a silent
deadlock. The file lock has no timeout (a blocked ``flock`` cannot be given one): it is only ever taken by a
thread holding the in-process lock, after it, and only for the span of one transaction, so a wait for it
lasts as long as another process's transaction, which SQLite would have made it wait for as well; a wait
longer than the busy timeout is logged.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

import sqlalchemy as sa
import structlog

log = structlog.get_logger("crossdock.store")

# Statements that make pysqlite (isolation_level set) open a write transaction first, or open one themselves.
_WRITING_PREFIXES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN")


class SqliteWriteLock:
    """The write lock of one SQLite file in this process, held by at most one DBAPI connection."""

    def __init__(self, timeout_seconds: float, lock_file: str | None = None) -> None:
        self._lock = threading.Lock()
        self._timeout_seconds = timeout_seconds
        # id() of the DBAPI connection holding the lock; guarded by the lock itself.
        self._holder: int | None = None
        self._lock_file = lock_file
        # Opened at the first write, kept open for the life of the process; guarded by the lock.
        self._lock_file_descriptor: int | None = None
        self._holds_file_lock = False

    def acquire(self, connection: Any) -> None:
        """``connection``: a DBAPI connection or the pool's proxy of one."""
        holder = _identity(connection)
        if self._holder == holder:
            return
        if self._lock.acquire(timeout=self._timeout_seconds):
            self._holder = holder
            self._take_file_lock()
        else:
            log.warning("waited the busy timeout for the in-process write lock; writing without it")

    def release(self, connection: Any) -> None:
        if self._holder is not None and self._holder == _identity(connection):
            self._holder = None
            if self._holds_file_lock:
                self._holds_file_lock = False
                assert self._lock_file_descriptor is not None
                fcntl.flock(self._lock_file_descriptor, fcntl.LOCK_UN)
            self._lock.release()

    def _take_file_lock(self) -> None:
        if self._lock_file is None:
            return
        if self._lock_file_descriptor is None:
            self._lock_file_descriptor = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_file_descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            started = time.monotonic()
            fcntl.flock(self._lock_file_descriptor, fcntl.LOCK_EX)  # releases the interpreter lock
            waited = time.monotonic() - started
            if waited > self._timeout_seconds:
                log.warning(
                    "waited long for another process's write to the database", seconds=round(waited, 1)
                )
        self._holds_file_lock = True


def _identity(connection: Any) -> int:
    # The dialect is handed the pool's proxy, pool events and cursors the DBAPI connection itself.
    return id(getattr(connection, "dbapi_connection", None) or connection)


LOCK_FILE_SUFFIX = ".write-lock"
_locks: dict[str, SqliteWriteLock] = {}
_locks_guard = threading.Lock()


def write_lock_for(path: str, timeout_seconds: float) -> SqliteWriteLock:
    """The one lock of this process for the SQLite file at ``path`` (resolved, so two spellings share it)."""
    with _locks_guard:
        if path not in _locks:
            _locks[path] = SqliteWriteLock(timeout_seconds, lock_file=path + LOCK_FILE_SUFFIX)
        return _locks[path]


def release_with_transaction(engine: sa.Engine, lock: SqliteWriteLock) -> None:
    """Give the lock back when the connection's transaction ends, however it ends."""
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            lock.release(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            lock.release(dbapi_connection)

    # The dialect belongs to this engine alone: its transaction ends are where every path meets (a
    # Connection's commit or rollback, and the pool's rollback of a connection returned mid-transaction).
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    def released(dbapi_connection: Any, *_: Any) -> None:
        lock.release(dbapi_connection)

    for event in ("checkin", "invalidate", "soft_invalidate", "close", "close_detached"):
        sa.event.listen(engine.pool, event, released)


def take_before_writing(engine: sa.Engine, lock: SqliteWriteLock) -> None:
    """For an engine that lets pysqlite open transactions (the job engine's): take the lock before the
    statement that makes pysqlite begin one. Reads outside a write transaction take nothing, as in SQLite."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before_cursor_execute(_connection: sa.Connection, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(_WRITING_PREFIXES):
            lock.acquire(cursor.connection)
