"""How many jobs wait or run on each queue, read straight from the job engine's status table.

DBOS's list calls load every row; a count per queue for each metrics scrape must stay cheap, so this reads
the table DBOS documents as its workflow status record (pinned DBOS version, see pyproject.toml).
"""

from __future__ import annotations

import sqlalchemy as sa

from crossdock.store.engine import is_sqlite

WAITING_STATES = ("ENQUEUED", "DELAYED", "PENDING")


def queue_depths(engine: sa.Engine) -> dict[tuple[str, str], int]:
    """(queue, state) -> number of jobs, for the states that are not finished."""
    table = "workflow_status" if is_sqlite(str(engine.url)) else "dbos.workflow_status"
    query = sa.text(
        f"SELECT queue_name, status, COUNT(*) FROM {table} "
        "WHERE status IN ('ENQUEUED', 'DELAYED', 'PENDING') AND queue_name IS NOT NULL "
        "GROUP BY queue_name, status"
    )
    with engine.connect() as connection:
        return {(str(queue), str(state)): int(count) for queue, state, count in connection.execute(query)}
