"""Properties of the pacing arithmetic (crossdock.domain.leaky_bucket), checked against the sandbox's bucket,
which charges and refuses exactly as Shopify does."""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.domain.leaky_bucket import SAFETY_SECONDS, LeakyBucket, ThrottleStatus
from crossdock.sandbox.shopify.throttle import LeakyBucket as ShopifyBucket

capacities = st.sampled_from([100.0, 1000.0, 2000.0, 4000.0, 20000.0])
restore_rates = st.sampled_from([10.0, 50.0, 100.0, 200.0, 1000.0])


@dataclass(frozen=True)
class Call:
    gap: float  # seconds after the previous call's reservation
    requested: int  # what Shopify charges when the call starts
    actual: int  # what it costs in the end (refunded down to this)
    over_estimate: int  # how much the caller's estimate exceeds the requested cost
    duration: float  # seconds between the start and the answer


def calls(capacity: float) -> st.SearchStrategy[list[Call]]:
    @st.composite
    def one(draw: st.DrawFn) -> Call:
        requested = draw(st.integers(0, int(capacity // 2)))
        return Call(
            gap=draw(st.sampled_from([0.0, 0.0, 0.001, 0.01, 0.1, 1.0, 5.0])),
            requested=requested,
            # Mostly the whole requested cost: refunds would hide an overdraw.
            actual=draw(st.one_of(st.just(requested), st.just(requested), st.integers(0, requested))),
            over_estimate=draw(st.sampled_from([0, 0, 0, 1, 10])),
            duration=draw(st.sampled_from([0.0, 0.01, 0.2, 2.0])),
        )

    return st.lists(one(), min_size=1, max_size=60)


def shopify_status(bucket: ShopifyBucket, now: float) -> ThrottleStatus:
    reported = bucket.status(now).to_json()  # whole points, rounded down, as Shopify reports them
    return ThrottleStatus(
        float(reported["maximumAvailable"]),
        float(reported["currentlyAvailable"]),
        float(reported["restoreRate"]),
    )


def run_paced(capacity: float, rate: float, plan: list[Call], *, model_capacity: float | None = None) -> None:
    """Every caller reserves its estimate, sends when told, and settles with Shopify's answer; Shopify must
    accept every call."""
    shopify = ShopifyBucket(capacity, rate, now=0.0)
    # Before the first answer the model may believe in another plan (the conservative default).
    model = LeakyBucket.full(0.0, capacity=model_capacity or capacity, restore_rate=rate)
    events: list[tuple[float, int, str, int]] = []
    order = itertools.count()
    now = 0.0
    for index, call in enumerate(plan):
        now += call.gap
        heapq.heappush(events, (now, next(order), "reserve", index))
    while events:
        now, _, kind, index = heapq.heappop(events)
        call = plan[index]
        estimate = call.requested + call.over_estimate
        if kind == "reserve":
            wait = model.reserve(estimate, now)
            assert wait >= 0
            heapq.heappush(events, (now + wait, next(order), "send", index))
        elif kind == "send":
            assert shopify.try_charge(call.requested, now), (
                f"call {index} throttled: Shopify holds {shopify.available(now):.3f}, "
                f"the call requests {call.requested}"
            )
            heapq.heappush(events, (now + call.duration, next(order), "answer", index))
        else:
            shopify.refund(call.requested - call.actual, now)
            model.settle(estimate, call.actual, shopify_status(shopify, now), now)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), capacity=capacities, rate=restore_rates)
def test_shopify_never_refuses_a_call_when_every_caller_waits_as_told(
    data: st.DataObject, capacity: float, rate: float
) -> None:
    run_paced(capacity, rate, data.draw(calls(capacity)))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), capacity=capacities, rate=restore_rates)
def test_a_default_smaller_than_the_real_bucket_is_only_slower(
    data: st.DataObject, capacity: float, rate: float
) -> None:
    run_paced(capacity, rate, data.draw(calls(capacity / 2)), model_capacity=capacity / 2)


@settings(max_examples=200, deadline=None)
@given(
    capacity=capacities,
    rate=restore_rates,
    start=st.floats(-5000, 5000),
    steps=st.lists(
        st.tuples(st.floats(0, 100), st.floats(0, 3000), st.booleans()),
        max_size=30,
    ),
)
def test_refill_never_lifts_the_bucket_above_its_capacity(
    capacity: float, rate: float, start: float, steps: list[tuple[float, float, bool]]
) -> None:
    bucket = LeakyBucket(capacity=capacity, restore_rate=rate, available=min(start, capacity), as_of=0.0)
    now = 0.0
    for gap, points, reserving in steps:
        now += gap
        if reserving:
            bucket.reserve(points, now)
        else:
            bucket.settle(points, 0.0, None, now)  # a refund, however large
        assert bucket.available <= capacity
    bucket.refill(now + 1e9)
    assert bucket.available == capacity


@settings(max_examples=200, deadline=None)
@given(
    costs=st.lists(st.integers(0, 1500), min_size=1, max_size=12),
    available=st.floats(-3000, 2000),
    seed=st.randoms(use_true_random=False),
)
def test_reservations_in_any_order_leave_the_same_bucket_and_the_same_last_wait(
    costs: list[int], available: float, seed: object
) -> None:
    shuffled = list(costs)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]

    def reserve_all(order: list[int]) -> tuple[float, float]:
        bucket = LeakyBucket(capacity=2000.0, restore_rate=100.0, available=available, as_of=0.0)
        waits = [bucket.reserve(cost, 1.0) for cost in order]
        return bucket.available, waits[-1]

    first_available, first_last_wait = reserve_all(costs)
    other_available, other_last_wait = reserve_all(shuffled)
    assert math.isclose(first_available, other_available, abs_tol=1e-6)
    assert math.isclose(first_last_wait, other_last_wait, abs_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    reservations=st.lists(
        st.tuples(st.sampled_from([0.0, 0.0, 0.01, 0.5, 3.0]), st.integers(0, 1000)), min_size=1, max_size=40
    ),
)
def test_callers_are_served_in_the_order_they_reserved(reservations: list[tuple[float, int]]) -> None:
    bucket = LeakyBucket.full(0.0)
    now = 0.0
    send_times = []
    for gap, cost in reservations:
        now += gap
        send_times.append(now + bucket.reserve(cost, now))
    # In order up to float rounding (0.01 + 0.06 can land a hair before 0.07): far below any clock's grain.
    assert all(later >= earlier - 1e-9 for earlier, later in itertools.pairwise(send_times))


def test_a_reservation_the_bucket_covers_is_sent_at_once() -> None:
    bucket = LeakyBucket.full(0.0, capacity=2000.0, restore_rate=100.0)
    assert bucket.reserve(1000, 0.0) == 0.0
    assert bucket.available == 1000


def test_a_debt_is_paid_back_by_the_refill_and_the_safety_margin() -> None:
    bucket = LeakyBucket(capacity=2000.0, restore_rate=100.0, available=50.0, as_of=0.0)
    wait = bucket.reserve(150, 0.0)
    # 100 points of debt plus the margin, at 100 points per second.
    assert wait == pytest.approx(1.0 + SAFETY_SECONDS)
    assert bucket.available == -100


@given(reported=st.floats(0, 5000), refund=st.floats(0, 500))
def test_a_report_above_the_model_never_raises_it(reported: float, refund: float) -> None:
    bucket = LeakyBucket(capacity=5000.0, restore_rate=100.0, available=1000.0, as_of=0.0)
    bucket.reserve(refund, 0.0)
    bucket.settle(refund, 0.0, ThrottleStatus(5000.0, max(reported, 1000.0), 100.0), 0.0)
    assert bucket.available == pytest.approx(1000.0)  # the reservation back; Shopify's figure changed nothing


def test_a_refund_while_callers_queue_is_forfeited() -> None:
    bucket = LeakyBucket.full(0.0, capacity=2000.0, restore_rate=100.0)
    bucket.reserve(1000, 0.0)  # an over-estimate in flight
    bucket.reserve(1100, 0.0)  # waits for 100 points
    bucket.settle(1000, 30, None, 0.0)
    assert bucket.available == -100
    bucket.refill(2.0)  # the queue is served; refunds count again
    bucket.settle(10, 0, None, 2.0)
    assert bucket.available == pytest.approx(110)


def test_a_report_below_the_model_lowers_it_and_the_reported_limits_replace_the_defaults() -> None:
    bucket = LeakyBucket.full(0.0)  # the default: 2,000 points restoring 100 per second
    bucket.reserve(10, 0.0)
    bucket.settle(
        10, 8, ThrottleStatus(maximum_available=20000, currently_available=300, restore_rate=1000), 0.0
    )
    assert (bucket.capacity, bucket.restore_rate, bucket.available) == (20000, 1000, 300)
    bucket.refill(1.0)
    assert bucket.available == 1300


def test_settling_with_more_than_reserved_takes_the_difference() -> None:
    bucket = LeakyBucket.full(0.0)
    bucket.reserve(10, 0.0)
    bucket.settle(10, 25, None, 0.0)
    assert bucket.available == 2000 - 25


def test_a_clock_read_behind_the_state_refills_nothing_and_waits_from_the_state() -> None:
    bucket = LeakyBucket(capacity=2000.0, restore_rate=100.0, available=0.0, as_of=10.0)
    wait = bucket.reserve(0, 9.5)  # another process's clock, half a second behind
    assert bucket.as_of == 10.0
    assert wait == pytest.approx(0.5 + SAFETY_SECONDS)
