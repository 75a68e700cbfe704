"""The queue for SQLite's write lock (store/sqlite_write_lock.py): the hub's engines and the job engine's, in
one process or several, wait their turn in it, so SQLite's sleeping busy handler is never what makes a
writer wait, and the lock is given back however a transaction ends."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from crossdock.store.engine import SQLITE_BUSY_TIMEOUT_MS, create_engine, create_job_system_engine
from crossdock.store.sqlite_write_lock import LOCK_FILE_SUFFIX, SqliteWriteLock, write_lock_for


def _no_busy_wait(engine: sa.Engine) -> sa.Engine:
    """Make SQLite refuse at once ("database is locked") a writer that finds its lock taken."""

    @sa.event.listens_for(engine, "connect")
    def _refuse_when_locked(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    return engine


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    with create_engine(url).begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, writer TEXT NOT NULL)")
    return url


def _lock(url: str) -> SqliteWriteLock:
    path = sa.engine.make_url(url).database
    assert path is not None
    return write_lock_for(str(Path(path).resolve()), SQLITE_BUSY_TIMEOUT_MS / 1000)


def test_writers_of_both_engines_queue_in_the_process_and_never_meet_sqlites_lock(database: str) -> None:
    hub = _no_busy_wait(create_engine(database))
    jobs = create_job_system_engine(database, pool_size=8)
    assert jobs is not None
    _no_busy_wait(jobs)
    errors: list[BaseException] = []

    def write_with_hub_engine(name: str) -> None:
        try:
            for _ in range(40):
                with hub.begin() as connection:
                    connection.execute(sa.text("SELECT count(*) FROM notes")).scalar_one()
                    connection.execute(sa.text("INSERT INTO notes (writer) VALUES (:w)"), {"w": name})
        except BaseException as error:
            errors.append(error)

    def write_with_job_engine(name: str) -> None:
        try:
            for _ in range(40):
                with jobs.begin() as connection:  # pysqlite opens the transaction at the INSERT
                    connection.execute(sa.text("INSERT INTO notes (writer) VALUES (:w)"), {"w": name})
                    connection.execute(sa.text("UPDATE notes SET writer = writer WHERE id = 1"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write_with_hub_engine, args=(f"hub-{n}",)) for n in range(4)]
    threads += [threading.Thread(target=write_with_job_engine, args=(f"jobs-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Without the queue, SQLite (busy timeout 0 here) refuses the writers that collide: "database is locked".
    assert errors == []
    with hub.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM notes")).scalar_one() == 8 * 40
    assert not _lock(database)._lock.locked()
    hub.dispose()
    jobs.dispose()


def test_a_second_writer_waits_for_the_first_to_commit(database: str) -> None:
    engine = create_engine(database)
    lock = _lock(database)
    first_is_writing, second_wrote = threading.Event(), threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO notes (writer) VALUES ('first')"))
            first_is_writing.set()
            release_first.wait(10)

    def second() -> None:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO notes (writer) VALUES ('second')"))
        second_wrote.set()

    one = threading.Thread(target=first)
    one.start()
    assert first_is_writing.wait(10)
    two = threading.Thread(target=second)
    two.start()
    assert not second_wrote.wait(0.3)
    assert lock._lock.locked()
    release_first.set()
    assert second_wrote.wait(10)
    one.join(10)
    two.join(10)
    with engine.connect() as connection:
        writers = connection.execute(sa.text("SELECT writer FROM notes ORDER BY id")).scalars().all()
    assert writers == ["first", "second"]
    assert not lock._lock.locked()
    engine.dispose()


def test_the_lock_is_given_back_after_a_rollback_an_invalidation_or_an_abandoned_write(database: str) -> None:
    engine = create_engine(database)
    jobs = create_job_system_engine(database)
    assert jobs is not None
    lock = _lock(database)

    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO notes (writer) VALUES ('rolled back')"))
        assert lock._lock.locked()
        raise RuntimeError("the transaction fails")
    assert not lock._lock.locked()

    with engine.connect() as connection:
        connection.execute(sa.text("INSERT INTO notes (writer) VALUES ('lost')"))
        assert lock._lock.locked()
        connection.invalidate()
    assert not lock._lock.locked()

    with engine.connect() as connection:
        connection.execute(sa.text("INSERT INTO notes (writer) VALUES ('never committed')"))
        assert lock._lock.locked()
    # Returned to the pool mid-transaction: the pool rolls it back, and the lock goes with it.
    assert not lock._lock.locked()

    with jobs.connect() as connection:
        connection.execute(sa.text("SELECT count(*) FROM notes"))
        assert not lock._lock.locked()  # a read outside a write transaction takes nothing
        connection.execute(sa.text("INSERT INTO notes (writer) VALUES ('jobs')"))
        assert lock._lock.locked()
        connection.commit()
    assert not lock._lock.locked()

    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT writer FROM notes")).scalars().all() == ["jobs"]
    engine.dispose()
    jobs.dispose()


def test_one_lock_per_file_whatever_the_spelling(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    plain = write_lock_for(str((tmp_path / "hub.db").resolve()), 1)
    roundabout = write_lock_for(str((tmp_path / "sub" / ".." / "hub.db").resolve()), 1)
    other = write_lock_for(str((tmp_path / "other.db").resolve()), 1)
    assert plain is roundabout
    assert plain is not other


_WRITER_PROCESS = """
import sys
import sqlalchemy as sa
from crossdock.store.engine import create_engine

engine = create_engine(sys.argv[1])

@sa.event.listens_for(engine, "connect")
def _refuse_when_locked(dbapi_connection, _record):
    dbapi_connection.execute("PRAGMA busy_timeout=0")

print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[3])):
    with engine.begin() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM notes")).scalar_one()
        connection.execute(sa.text("INSERT INTO notes (writer) VALUES (:w)"), {"w": f"{sys.argv[2]} {count}"})
"""


def test_writers_of_several_processes_queue_on_the_lock_file_and_never_meet_sqlites_lock(
    database: str, tmp_path: Path
) -> None:
    # SQLite refuses at once every writer that finds its lock taken: only the queue keeps them apart.
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER_PROCESS, database, f"process-{n}", "150"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for writer in writers:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "ready\n"
    for writer in writers:  # all at once
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    results = [writer.communicate(timeout=120) for writer in writers]

    for writer, (_, errors) in zip(writers, results, strict=True):
        assert writer.returncode == 0, errors
    with create_engine(database).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM notes")).scalar_one() == 450
    assert Path(sa.engine.make_url(database).database + LOCK_FILE_SUFFIX).is_file()  # type: ignore[operator]


def test_the_lock_file_is_held_from_the_first_write_to_the_end_of_the_transaction(database: str) -> None:
    engine = create_engine(database)
    lock_file = str(Path(sa.engine.make_url(database).database or "").resolve()) + LOCK_FILE_SUFFIX

    def held_by_someone() -> bool:
        descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)  # closing gives back a lock taken through it
        return False

    with engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(sa.text("INSERT INTO notes (writer) VALUES ('committed')"))
        assert held_by_someone()
        transaction.commit()
        assert not held_by_someone()
        transaction = connection.begin()
        connection.execute(sa.text("INSERT INTO notes (writer) VALUES ('rolled back')"))
        assert held_by_someone()
        transaction.rollback()
        assert not held_by_someone()
