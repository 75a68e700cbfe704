"""The database each test runs on: a fresh SQLite file, or, when CROSSDOCK_TEST_DATABASE_URL names a
PostgreSQL server, a fresh database created on it for the test and dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

POSTGRES_URL = os.environ.get("CROSSDOCK_TEST_DATABASE_URL")


def backend_name() -> str:
    return "postgresql" if POSTGRES_URL else "sqlite"


@contextmanager
def fresh_database(folder: Path) -> Iterator[str]:
    if not POSTGRES_URL:
        yield f"sqlite:///{folder / 'crossdock.db'}"
        return
    server = sa.make_url(POSTGRES_URL)
    name = f"crossdock_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
