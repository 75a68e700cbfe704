"""Checkpoints of the SQLite log out of the inbox writer's way (store/sqlite_checkpoints.py): an engine told
to checkpoint late lets the log grow, and a checkpointer beside it copies the log into the database file."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from crossdock.store.engine import create_engine
from crossdock.store.sqlite_checkpoints import WalCheckpointer
from tests.support.waiting import wait_until

PAGE_BYTES = 4096
# SQLite's own threshold: a commit checkpoints the log once it holds more pages than this.
DEFAULT_AUTOCHECKPOINT_PAGES = 1000


def _write_pages(engine: sa.Engine, pages: int) -> None:
    """Commit about ``pages`` pages of new rows, a page a row, in transactions of 50 rows."""
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, body BLOB)")
    for _ in range(pages // 50):
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO bodies (body) VALUES " + ", ".join(["(randomblob(3000))"] * 50)
            )


def _log_pages(database: Path) -> int:
    return os.path.getsize(f"{database}-wal") // PAGE_BYTES


def test_by_default_commits_checkpoint_so_the_log_stays_near_sqlites_threshold(tmp_path: Path) -> None:
    database = tmp_path / "hub.db"
    engine = create_engine(f"sqlite:///{database}")
    _write_pages(engine, 3000)
    assert _log_pages(database) < 1.5 * DEFAULT_AUTOCHECKPOINT_PAGES
    engine.dispose()


def test_a_late_checkpointing_engine_leaves_its_log_to_the_checkpointer(tmp_path: Path) -> None:
    database = tmp_path / "hub.db"
    engine = create_engine(f"sqlite:///{database}", sqlite_autocheckpoint_pages=50_000)
    _write_pages(engine, 3000)
    # Nothing was copied back: the log holds every page written, the database file hardly any.
    assert _log_pages(database) > 2 * DEFAULT_AUTOCHECKPOINT_PAGES
    assert database.stat().st_size < 100 * PAGE_BYTES

    checkpointer = WalCheckpointer(database, interval_seconds=0.05)
    checkpointer.start()
    try:
        wait_until(
            lambda: database.stat().st_size > 2000 * PAGE_BYTES,
            what="the checkpointer to copy the log into the database file",
        )
    finally:
        checkpointer.stop()
    done = checkpointer.checkpoint_once()
    assert not done.busy and done.log_frames == done.checkpointed_frames > 2 * DEFAULT_AUTOCHECKPOINT_PAGES

    # The log starts again from its beginning: the next writes reuse it instead of growing it.
    size_before = _log_pages(database)
    _write_pages(engine, 500)
    assert _log_pages(database) == size_before
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM bodies").scalar_one() == 3500
    engine.dispose()
