"""Rate budgets shared through the database: one leaky bucket per external API and credential (key
``shopify:<domain>``), reserved and settled by every thread and process that calls it.

Each operation reads the row, applies the domain arithmetic (to one request or to a batch of them, in
order) and writes it back inside the caller's transaction, under a row lock (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's transactions take the write lock at BEGIN IMMEDIATE), so two reservations can never
both spend the same points. Keep the transaction short: every caller of the same budget waits for it.

Time comes from the database's clock on PostgreSQL, where the processes sharing a row may run on several
machines whose clocks disagree (a clock half a second ahead would refill 50 points that do not exist); SQLite
is only ever shared by the processes of one machine, which read the same clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from crossdock.domain.leaky_bucket import LeakyBucket, ThrottleStatus
from crossdock.store.schema import rate_budgets
from crossdock.store.upsert import insert_ignoring_conflicts

# PostgreSQL's clock at the moment of the read (not the transaction's start, which `now()` would give).
_DATABASE_EPOCH = sa.extract("epoch", sa.func.clock_timestamp())


@dataclass(frozen=True)
class BudgetDefaults:
    """The bucket assumed for a key never seen before (a full one: nobody has spent from it)."""

    capacity: float
    restore_rate: float


@dataclass(frozen=True)
class Reserved:
    waits: list[float]
    # The bucket as these reservations left it.
    bucket: LeakyBucket


@dataclass(frozen=True)
class Settlement:
    reserved: float
    actual: float
    reported: ThrottleStatus | None


class RateBudgetRepository:
    def __init__(self, connection: sa.Connection, *, wall_clock: Callable[[], float] = time.time) -> None:
        self._connection = connection
        self._wall_clock = wall_clock

    def reserve(self, key: str, costs: Sequence[float], defaults: BudgetDefaults) -> Reserved:
        """Reserve each of ``costs`` in turn: the seconds each caller must wait before sending."""
        bucket, now = self._locked(key, defaults)
        waits = [bucket.reserve(cost, now) for cost in costs]
        self._save(key, bucket)
        return Reserved(waits, bucket)

    def settle(self, key: str, settlements: Sequence[Settlement], defaults: BudgetDefaults) -> None:
        bucket, now = self._locked(key, defaults)
        for settlement in settlements:
            bucket.settle(settlement.reserved, settlement.actual, settlement.reported, now)
        self._save(key, bucket)

    def get(self, key: str) -> LeakyBucket | None:
        row = self._connection.execute(sa.select(rate_budgets).where(rate_budgets.c.key == key)).first()
        if row is None:
            return None
        return LeakyBucket(
            capacity=row.capacity, restore_rate=row.restore_rate, available=row.available, as_of=row.as_of
        )

    def _locked(self, key: str, defaults: BudgetDefaults) -> tuple[LeakyBucket, float]:
        found = self._select_for_update(key)
        if found is None:
            now = self._now_without_row()
            self._connection.execute(
                insert_ignoring_conflicts(self._connection, rate_budgets).values(
                    key=key,
                    capacity=defaults.capacity,
                    restore_rate=defaults.restore_rate,
                    available=defaults.capacity,
                    as_of=now,
                )
            )
            # Another process may have inserted the row first: read whichever won, under the lock.
            found = self._select_for_update(key)
            assert found is not None
        return found

    def _select_for_update(self, key: str) -> tuple[LeakyBucket, float] | None:
        if self._connection.dialect.name == "postgresql":
            query = sa.select(rate_budgets, _DATABASE_EPOCH.label("now")).with_for_update()
        else:
            query = sa.select(rate_budgets, sa.null().label("now"))
        row = self._connection.execute(query.where(rate_budgets.c.key == key)).first()
        if row is None:
            return None
        now = self._wall_clock() if row.now is None else float(row.now)
        bucket = LeakyBucket(
            capacity=row.capacity, restore_rate=row.restore_rate, available=row.available, as_of=row.as_of
        )
        return bucket, now

    def _now_without_row(self) -> float:
        if self._connection.dialect.name == "postgresql":
            return float(self._connection.execute(sa.select(_DATABASE_EPOCH)).scalar_one())
        return self._wall_clock()

    def _save(self, key: str, bucket: LeakyBucket) -> None:
        self._connection.execute(
            sa.update(rate_budgets)
            .where(rate_budgets.c.key == key)
            .values(
                capacity=bucket.capacity,
                restore_rate=bucket.restore_rate,
                available=bucket.available,
                as_of=bucket.as_of,
            )
        )
