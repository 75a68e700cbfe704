"""The leaky bucket of calculated query cost, one per app and shop, as Shopify runs it.

A query may start only if its *requested* cost fits in what the bucket holds now; it is then charged the
requested cost, and refunded the difference once its *actual* cost is known. The bucket refills
continuously at the plan's restore rate up to its size. Time is given by the caller (a clock function), so
tests and the sandbox's time-scale knob can drive it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float

    def to_json(self) -> dict[str, float]:
        # Shopify reports whole points: what is available is rounded down, never promised ahead of time.
        return {
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": math.floor(self.currently_available),
            "restoreRate": self.restore_rate,
        }


class LeakyBucket:
    def __init__(self, size: float, restore_rate: float, now: float) -> None:
        if size <= 0 or restore_rate <= 0:
            raise ValueError("a bucket needs a positive size and restore rate")
        self.size = size
        self.restore_rate = restore_rate
        self._available = size
        self._as_of = now

    def available(self, now: float) -> float:
        self._refill(now)
        return self._available

    def try_charge(self, requested_cost: float, now: float) -> bool:
        """Charge the requested cost if it fits now; answer whether the query may run."""
        self._refill(now)
        if requested_cost > self._available:
            return False
        self._available -= requested_cost
        return True

    def refund(self, points: float, now: float) -> None:
        self._refill(now)
        self._available = min(self.size, self._available + max(points, 0.0))

    def status(self, now: float) -> ThrottleStatus:
        return ThrottleStatus(
            maximum_available=self.size,
            currently_available=self.available(now),
            restore_rate=self.restore_rate,
        )

    def seconds_until(self, cost: float, now: float) -> float:
        """How long until ``cost`` points fit (0 when they fit now)."""
        missing = cost - self.available(now)
        return 0.0 if missing <= 0 else missing / self.restore_rate

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._as_of)
        self._available = min(self.size, self._available + elapsed * self.restore_rate)
        self._as_of = max(self._as_of, now)
