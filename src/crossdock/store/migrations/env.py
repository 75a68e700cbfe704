"""Alembic environment, run through crossdock.store.migrate (`crossdock migrate` and every start)."""

from __future__ import annotations

import os
from typing import Any

from alembic import context

from crossdock.store.engine import create_engine
from crossdock.store.schema import metadata

# Tables that live in the same database but belong to the job engine, which migrates them itself.
_FOREIGN_TABLES_PREFIXES = ("dbos_",)
_JOB_ENGINE_TABLES = {
    "workflow_status",
    "notifications",
    "workflow_events",
    "streams",
    "workflow_events_history",
    "workflow_schedules",
    "application_versions",
    "queues",
    "workflow_input",
    "workflow_output",
    "operation_outputs",
}


def _is_ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and reflected and compare_to is None:
        return not (name in _JOB_ENGINE_TABLES or (name or "").startswith(_FOREIGN_TABLES_PREFIXES))
    return True


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        # Run by the `alembic` command (a developer writing a revision): open the database ourselves.
        url = os.environ.get("CROSSDOCK_DATABASE_URL", "sqlite:///crossdock.db")
        with create_engine(url).begin() as own_connection:
            _run_on(own_connection)
    else:
        _run_on(connection)


def _run_on(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=_is_ours,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
