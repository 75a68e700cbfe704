"""A flag on a row that says "a job to do this kind of work for this row is queued" (a shop's statuses to
publish, a shop's shipments to fulfil, a warehouse's orders to send): whoever raises it enqueues the job,
whoever finds it raised leaves the work to the job already queued, and the job lowers it as it starts, then
takes everything waiting.

The flag's row is locked by whoever raises it, until its transaction ends. Otherwise, on PostgreSQL, a
transaction that adds work and finds the flag raised (an UPDATE that matches no row takes no lock) could
commit just after the job lowered the flag and read what was waiting: its work would wait for the next one.
Locked, the job's lowering waits for that transaction, and its reading (a new statement, a new snapshot)
sees the work. SQLite runs one writing transaction at a time, which gives the same order.
"""

from __future__ import annotations

import sqlalchemy as sa


def raise_flag(connection: sa.Connection, table: sa.Table, row_id: int, flag: sa.Column[bool]) -> bool:
    """Raise the flag; True when it was lowered (the caller enqueues the job)."""
    current = connection.execute(
        sa.select(flag).where(table.c.id == row_id).with_for_update()
    ).scalar_one_or_none()
    if current is None or current:
        return False
    connection.execute(sa.update(table).where(table.c.id == row_id).values({flag: True}))
    return True


def lower_flag(connection: sa.Connection, table: sa.Table, row_id: int, flag: sa.Column[bool]) -> None:
    connection.execute(sa.update(table).where(table.c.id == row_id).values({flag: False}))
