"""A flag on a row that says "a job to do this kind of work for this row is queued" (a shop's statuses to
publish, a shop's shipments to fulfil, a warehouse's orders to send): whoever adds work and finds the flag
lowered raises it and enqueues the job; whoever finds it raised leaves the work to the job already queued;
the job lowers it as it starts (a transaction of its own, committed), then takes everything waiting.

Why the flag is read only once the work is committed (``UnitOfWork.wake``): then a transaction that finds
the flag raised knows the queued job has not lowered it yet, so that job's reading, which follows its
lowering, sees the work; and one that finds it lowered enqueues a job of its own. No lock is needed for
that, so the transactions adding work — every order of a shop, every order of a warehouse — do not queue
one behind the other on the flag's row. They did, when the flag was raised under a row lock held to the
end of each transaction: on PostgreSQL at 20 orders/s, 15-25 transactions waited on one shop's row and no
order was accepted (benchmarks/order_latency.py).

Only raising takes the row's lock, in a short transaction of its own (a conditional UPDATE: of two
transactions finding the flag lowered, one raises it and enqueues; the other's UPDATE, re-read after the
first commits, matches nothing). SQLite runs one writing transaction at a time, so there the flag is read
and raised inside the transaction that adds the work, which gives the same order at no extra transaction.

Work committed by a process that stops before its wake-up is found by ``flows.wake_sweep``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from crossdock.store.unit_of_work import JobRequest


@dataclass(frozen=True)
class FlaggedJob:
    """The job that takes one row's work, guarded by the row's flag; ``request`` makes its request when the
    flag is raised (a fresh key for each raising)."""

    table: sa.Table
    flag: sa.Column[bool]
    row_id: int
    request: Callable[[], JobRequest]

    @property
    def identity(self) -> tuple[str, str, int]:
        return (self.table.name, self.flag.name, self.row_id)


def raise_if_lowered(connection: sa.Connection, flagged: FlaggedJob) -> bool:
    """Raise the flag if no job is queued; True when this call raised it (the caller enqueues the job)."""
    table = flagged.table
    raised = connection.execute(
        sa.select(flagged.flag).where(table.c.id == flagged.row_id)
    ).scalar_one_or_none()
    if raised is None or raised:
        return False
    updated = connection.execute(
        sa.update(table)
        .where(table.c.id == flagged.row_id, flagged.flag.is_(False))
        .values({flagged.flag: True})
    )
    return updated.rowcount == 1


def lower_flag(connection: sa.Connection, table: sa.Table, row_id: int, flag: sa.Column[bool]) -> None:
    connection.execute(sa.update(table).where(table.c.id == row_id).values({flag: False}))
