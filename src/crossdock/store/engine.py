"""Database engines for the two supported back ends.

SQLite (the embedded default) is opened in WAL mode with foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE``: pysqlite's own transaction handling would run the reads of a read-then-write
transaction outside the transaction, and a deferred transaction that later needs the write lock fails
with SQLITE_BUSY instead of waiting for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from crossdock.store.sqlite_write_lock import (
    SqliteWriteLock,
    release_with_transaction,
    take_before_writing,
    write_lock_for,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("crossdock needs a SQLite file, not an in-memory database")
    return Path(database)


def create_engine(
    url: str, *, pool_size: int = 10, pre_ping: bool = True, sqlite_autocheckpoint_pages: int | None = None
) -> Engine:
    """``pre_ping`` tests each pooled PostgreSQL connection with a round trip before handing it out, so that
    a connection the server dropped (a restart) is replaced instead of failing the transaction. A user that
    retries a transaction lost that way itself can do without it and save the round trip.

    ``sqlite_autocheckpoint_pages``: the size of the write-ahead log above which a commit of this engine
    checkpoints it (SQLite's default, 1,000 pages, if None); see store/sqlite_checkpoints.py."""
    if is_sqlite(url):
        return _create_sqlite_engine(url, sqlite_autocheckpoint_pages)
    return sa.create_engine(url, pool_pre_ping=pre_ping, pool_size=pool_size, max_overflow=pool_size * 2)


def _sqlite_engine_with_write_lock(url: str, **pool: int) -> tuple[Engine, SqliteWriteLock]:
    """An engine on the SQLite file (its folder made), whose transactions give back the file's write lock."""
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **pool)
    write_lock = write_lock_for(str(path.resolve()), SQLITE_BUSY_TIMEOUT_MS / 1000)
    release_with_transaction(engine, write_lock)
    return engine, write_lock


def _create_sqlite_engine(url: str, autocheckpoint_pages: int | None) -> Engine:
    engine, write_lock = _sqlite_engine_with_write_lock(url)

    @sa.event.listens_for(engine, "connect")
    def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite; the "begin" hook below issues BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # FULL: an acknowledged input survives a power cut, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        if autocheckpoint_pages is not None:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint_pages)}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(connection: sa.Connection) -> None:
        write_lock.acquire(connection.connection)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            write_lock.release(connection.connection)
            raise

    return engine


def create_job_system_engine(url: str, *, pool_size: int = 20) -> Engine | None:
    """The engine the job engine (DBOS) keeps its tables with, for a SQLite file: made as DBOS makes its own
    (pysqlite opens an IMMEDIATE transaction before the first write; reads run outside one), but queueing for
    the file's in-process write lock with the hub's own engines. None for PostgreSQL, where DBOS makes its own
    engine and the server queues writers itself."""
    if not is_sqlite(url):
        return None
    engine, write_lock = _sqlite_engine_with_write_lock(url, pool_size=pool_size, max_overflow=0)
    take_before_writing(engine, write_lock)

    @sa.event.listens_for(engine, "connect")
    def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = "IMMEDIATE"
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine
