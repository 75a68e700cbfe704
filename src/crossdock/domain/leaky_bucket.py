"""The arithmetic of pacing calls against a leaky bucket of points (Shopify's calculated query cost).

The bucket holds ``available`` points at time ``as_of`` and refills continuously at ``restore_rate``
points per second up to ``capacity``. A caller *reserves* its cost before sending: the cost is subtracted
at once, even when that leaves the bucket in debt, and the caller is told how long to wait before sending —
the time the refill needs to pay the debt back (GCRA). Callers therefore queue in reservation order without
polling: each one's wait already counts every reservation made before it. When the answer comes, the
caller *settles*: the difference between what it reserved and what was really charged goes back, and the
far side's own figures, when they show spending this model does not know of, bring it down.

Times are seconds on a clock the caller chooses (a monotonic clock in one process, the database's clock when
processes share the state); only differences matter. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

# Shopify's smallest plans (Basic, "Standard" in its rate-limit tables): 100 points per second, a bucket of 20
# seconds. Used only until the first answer reports the shop's real figures: a bigger plan is then learned,
# and assuming the smallest one meanwhile can only make the first calls slower. The bucket is assumed full
# (nothing recorded: this hub has not spent from it); if something else has, the first answer says so and
# the settlement brings the model down to it.
DEFAULT_CAPACITY = 2000.0
DEFAULT_RESTORE_RATE = 100.0

# Points kept unspent, as seconds of refill. They absorb what the model cannot see exactly: Shopify rounds the
# availability it reports down to whole points, the hub's and Shopify's clocks tick at slightly different
# rates, and an estimate can miss a call's cost by a point or two. A quarter of a second is 25 points on
# the smallest plan; it is an offset, not a slowdown: the steady rate is still the full restore rate.
SAFETY_SECONDS = 0.25


@dataclass(frozen=True)
class ThrottleStatus:
    """What the far side reports of its bucket in an answer (Shopify's ``extensions.cost.throttleStatus``)."""

    maximum_available: float
    currently_available: float
    restore_rate: float


@dataclass
class LeakyBucket:
    capacity: float
    restore_rate: float
    # Below zero when reservations wait for the refill: the debt they have queued.
    available: float
    as_of: float

    @classmethod
    def full(
        cls, now: float, capacity: float = DEFAULT_CAPACITY, restore_rate: float = DEFAULT_RESTORE_RATE
    ) -> LeakyBucket:
        return cls(capacity=capacity, restore_rate=restore_rate, available=capacity, as_of=now)

    @property
    def margin(self) -> float:
        return self.restore_rate * SAFETY_SECONDS

    def refill(self, now: float) -> None:
        """Bring the bucket to ``now``. A clock read earlier than ``as_of`` (another process's clock, a read
        that waited for a lock) refills nothing: the state never goes back in time."""
        if now > self.as_of:
            self.available = min(self.capacity, self.available + (now - self.as_of) * self.restore_rate)
            self.as_of = now

    def reserve(self, cost: float, now: float) -> float:
        """Take ``cost`` points now; return the seconds the caller must wait before sending (0 when the bucket
        covered it, safety margin included)."""
        if cost < 0:
            raise ValueError(f"a cost cannot be negative, got {cost}")
        self.refill(now)
        self.available -= cost
        shortfall = self.margin - self.available
        behind = max(0.0, self.as_of - now)  # `now` was behind the state's clock: count from `as_of`
        return behind + (shortfall / self.restore_rate if shortfall > 0 else 0.0)

    def settle(self, reserved: float, actual: float, reported: ThrottleStatus | None, now: float) -> None:
        """A reserved call has finished: give back what was reserved but not spent (or take what was spent
        beyond it), then adopt the far side's figures.

        The reported capacity and restore rate replace the model's. The reported availability only ever
        lowers the model: calls reserved here but not yet seen by the far side are in the model alone, so a
        higher figure there says nothing the model should believe, while a lower one means spending the
        model does not know of (another client of the same app, an estimate that fell short).
        """
        if reserved < 0 or actual < 0:
            raise ValueError(f"costs cannot be negative, got reserved={reserved}, actual={actual}")
        self.refill(now)
        unspent = reserved - actual
        # A refund while callers queue (the bucket below its margin) is forfeited: their waits were fixed
        # when they reserved, so while they wait the far side's bucket may already be full and lose the
        # refill that this model would go on counting — the model would turn optimistic. The loss is at
        # most the over-estimate, and only under load, where the client's estimates are learned exactly.
        if unspent < 0 or self.available >= self.margin:
            self.available += unspent
        if reported is not None:
            if reported.maximum_available > 0:
                self.capacity = reported.maximum_available
            if reported.restore_rate > 0:
                self.restore_rate = reported.restore_rate
            self.available = min(self.available, reported.currently_available)
        self.available = min(self.available, self.capacity)
