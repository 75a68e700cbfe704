"""The sandbox's leaky bucket: a charge is refused exactly when it does not fit; capacity comes back at the
restore rate, never beyond the bucket size."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.throttle import LeakyBucket


def test_a_new_bucket_is_full_and_sized_to_twenty_seconds_of_restore() -> None:
    plan = PLANS["standard"]
    bucket = LeakyBucket(plan.bucket_size, plan.restore_rate, now=0.0)
    assert bucket.status(0.0).to_json() == {
        "maximumAvailable": 2000.0,
        "currentlyAvailable": 2000.0,
        "restoreRate": 100.0,
    }
    assert [PLANS[name].bucket_size for name in ("advanced", "plus", "enterprise")] == [4000, 20000, 40000]


def test_a_burst_is_refused_exactly_when_the_bucket_would_go_negative() -> None:
    bucket = LeakyBucket(2000.0, 100.0, now=0.0)
    accepted = 0
    while bucket.try_charge(150, now=0.0):
        accepted += 1
    assert accepted == 13  # 13 * 150 = 1950; a 14th would need 2100
    assert bucket.available(0.0) == 50
    assert bucket.try_charge(50, now=0.0)
    assert not bucket.try_charge(1, now=0.0)
    # Capacity returns at the restore rate: 150 points after 1.5 s, not before.
    assert not bucket.try_charge(150, now=1.49)
    assert bucket.try_charge(150, now=1.5)
    assert bucket.seconds_until(100, now=1.5) == pytest.approx(1.0)


def test_a_refund_gives_back_the_unused_part_of_the_requested_cost() -> None:
    bucket = LeakyBucket(1000.0, 50.0, now=0.0)
    assert bucket.try_charge(252, now=0.0)
    bucket.refund(252 - 12, now=0.0)
    assert bucket.available(0.0) == 988


@given(
    charges=st.lists(
        st.tuples(st.floats(min_value=0, max_value=3000), st.floats(min_value=0, max_value=30)), max_size=40
    )
)
def test_the_bucket_never_holds_less_than_zero_or_more_than_its_size(
    charges: list[tuple[float, float]],
) -> None:
    bucket = LeakyBucket(2000.0, 100.0, now=0.0)
    now = 0.0
    for cost, wait in charges:
        now += wait
        before = bucket.available(now)
        accepted = bucket.try_charge(cost, now)
        assert accepted == (cost <= before)
        assert 0 <= bucket.available(now) <= 2000
        bucket.refund(cost / 2 if accepted else 0, now)
        assert bucket.available(now) <= 2000
