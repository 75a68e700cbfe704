"""Recomputes of available-to-sell asked for and not yet begun (``stock_recompute_requests``): at most one
``inventory.recompute`` job waits per SKU, whatever the number of changes made meanwhile.

Why it stays correct when changes and jobs run at once (PostgreSQL; SQLite runs one writer at a time): the
asker always writes the SKU's row, even when a job already waits, so the row stays locked until the asker
commits; the job first clears the row (``begin``) in a transaction of its own, which waits for that lock,
and reads stock only after. A change is therefore committed before the job reads, or finds the row cleared
and asks for a job of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from crossdock.store.schema import stock_recompute_requests as requests
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts


@dataclass(frozen=True)
class RecomputeAsked:
    sku: str
    # Counts the jobs asked for this SKU: the new job's name.
    generation: int


class RecomputeRequestRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def ask(self, account_id: str, skus: Iterable[str], cause: str) -> list[RecomputeAsked]:
        """Note that these SKUs need a recompute; those for which none was waiting, each to get a job."""
        now = utc_now()
        asked: list[RecomputeAsked] = []
        for sku in sorted(set(skus)):  # one order of row locks for every asker
            key = _row(account_id, sku)
            inserted = self._connection.execute(
                insert_ignoring_conflicts(self._connection, requests)
                .values(
                    account_id=account_id, sku=sku, pending=True, generation=1, cause=cause, requested_at=now
                )
                .returning(requests.c.generation)
            ).first()
            if inserted is not None:
                asked.append(RecomputeAsked(sku, 1))
                continue
            pending, generation = self._connection.execute(
                sa.select(requests.c.pending, requests.c.generation).where(key).with_for_update()
            ).one()
            following = generation if pending else generation + 1
            self._connection.execute(
                requests.update()
                .where(key)
                .values(pending=True, generation=following, cause=cause, requested_at=now)
            )
            if not pending:
                asked.append(RecomputeAsked(sku, following))
        return asked

    def begin(self, account_id: str, sku: str) -> None:
        """The recompute of ``sku`` begins: a change from now on asks for another."""
        self._connection.execute(requests.update().where(_row(account_id, sku)).values(pending=False))


def _row(account_id: str, sku: str) -> sa.ColumnElement[bool]:
    return (requests.c.account_id == account_id) & (requests.c.sku == sku)
