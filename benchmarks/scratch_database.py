"""A PostgreSQL database made for one benchmark run and dropped after it (the benchmarks are run as scripts,
so this folder is on their import path)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


class ServerUnreachable(Exception):
    """The PostgreSQL server did not answer; nothing was created."""


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new database ``<prefix>_<random>`` on ``server_url``'s server, dropped on exit."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        raise ServerUnreachable(type(error.orig).__name__) from error
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
