"""The port through which the Shopify client paces itself against a shop's leaky bucket, and its adapters:
the database one, shared by every thread and process of the hub (the default), and an in-memory one for
unit tests.

A caller reserves its estimated cost and is made to wait as long as the bucket needs to cover it; when the
answer comes it settles with what Shopify really charged and reported (see crossdock.domain.leaky_bucket).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import sqlalchemy as sa

from crossdock.connectors.shopify.group_commit import GroupCommit
from crossdock.domain.leaky_bucket import (
    DEFAULT_CAPACITY,
    DEFAULT_RESTORE_RATE,
    LeakyBucket,
    ThrottleStatus,
)
from crossdock.store.rate_budgets import BudgetDefaults, RateBudgetRepository, Settlement

Sleep = Callable[[float], Awaitable[None]]


class RateBudget(Protocol):
    async def reserve(self, cost: float) -> float:
        """Take ``cost`` points, waiting first if the bucket cannot cover them yet; return the seconds
        waited for the bucket (not counting the time to reach it)."""
        ...

    async def settle(self, *, reserved: float, actual: float, reported: ThrottleStatus | None) -> None:
        """A reserved call ended: ``actual`` points were charged (0 if it never ran)."""
        ...


def budget_key(shop_domain: str) -> str:
    return f"shopify:{shop_domain}"


class InMemoryBudget:
    """One bucket in this process only, which remembers every reservation: for unit tests, never for a hub
    (its processes would each pace against a bucket of their own)."""

    def __init__(
        self,
        bucket: LeakyBucket | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.bucket = bucket or LeakyBucket.full(clock())
        self._lock = threading.Lock()
        self.reservations: list[float] = []

    async def reserve(self, cost: float) -> float:
        with self._lock:
            wait = self.bucket.reserve(cost, self._clock())
            self.reservations.append(cost)
        if wait > 0:
            await self._sleep(wait)
        return wait

    async def settle(self, *, reserved: float, actual: float, reported: ThrottleStatus | None) -> None:
        with self._lock:
            self.bucket.settle(reserved, actual, reported, self._clock())


class DatabaseBudget:
    """The shop's bucket as a row of ``rate_budgets``, reserved and settled in short write transactions run
    in a worker thread (never on the event loop); requests that arrive while one is in flight go together in
    the next (crossdock.connectors.shopify.group_commit)."""

    def __init__(
        self,
        engine: sa.Engine,
        key: str,
        *,
        defaults: BudgetDefaults = BudgetDefaults(DEFAULT_CAPACITY, DEFAULT_RESTORE_RATE),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._engine = engine
        self.key = key
        self._defaults = defaults
        self._sleep = sleep
        self._reservations = GroupCommit(self._reserve_all)
        self._settlements = GroupCommit(self._settle_all)
        # The bucket as this process last saw it, and when (monotonic clock).
        self._seen: tuple[LeakyBucket, float] | None = None

    async def reserve(self, cost: float) -> float:
        wait = await self._reservations.submit(cost)
        if wait > 0:
            await self._sleep(wait)
        return wait

    async def settle(self, *, reserved: float, actual: float, reported: ThrottleStatus | None) -> None:
        if self._changes_nothing(reserved, actual, reported):
            return
        await self._settlements.submit(Settlement(reserved, actual, reported))

    def _changes_nothing(self, reserved: float, actual: float, reported: ThrottleStatus | None) -> bool:
        """Most settlements of a busy shop move no point: the estimate was exact and Shopify's figures agree
        with the bucket as last seen. Skipping their transaction halves the budget's database work. (If
        another process raised the bucket since, a report between the two figures is missed; the next
        settlement that sees it lowers the bucket.)"""
        if reserved != actual:
            return False
        if reported is None:
            return True
        if self._seen is None:
            return False
        bucket, seen_at = self._seen
        refilled = min(bucket.capacity, bucket.available + (time.monotonic() - seen_at) * bucket.restore_rate)
        return (
            reported.maximum_available == bucket.capacity
            and reported.restore_rate == bucket.restore_rate
            and reported.currently_available >= refilled
        )

    def _reserve_all(self, costs: Sequence[float]) -> list[float]:
        with self._engine.begin() as connection:
            reserved = RateBudgetRepository(connection).reserve(self.key, costs, self._defaults)
        self._seen = (reserved.bucket, time.monotonic())
        return reserved.waits

    def _settle_all(self, settlements: Sequence[Settlement]) -> list[None]:
        with self._engine.begin() as connection:
            RateBudgetRepository(connection).settle(self.key, settlements, self._defaults)
        return [None] * len(settlements)
