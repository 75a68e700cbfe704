"""RetryPolicy: exponential backoff stretched by a deterministic jitter, capped, then a dead letter."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.jobs.retry import RetryPolicy

MAX_ATTEMPT_CHECKED = 40


@st.composite
def policies(draw: st.DrawFn) -> RetryPolicy:
    base = draw(st.floats(min_value=0.01, max_value=100.0, allow_nan=False, allow_infinity=False))
    cap = draw(st.floats(min_value=base, max_value=1e6, allow_nan=False, allow_infinity=False))
    return RetryPolicy(
        max_attempts=draw(st.integers(min_value=1, max_value=20)),
        base_seconds=base,
        max_seconds=cap,
        jitter=draw(st.floats(min_value=0.0, max_value=1.0, exclude_max=True)),
    )


attempts = st.integers(min_value=1, max_value=MAX_ATTEMPT_CHECKED)
seeds = st.text(max_size=40)


def unstretched(policy: RetryPolicy, failed_attempt: int) -> float:
    return policy.base_seconds * 2.0 ** (failed_attempt - 1)


@given(policies(), attempts, seeds)
def test_a_delay_lies_between_the_base_delay_and_the_fully_stretched_one_both_capped(
    policy: RetryPolicy, failed_attempt: int, seed: str
) -> None:
    raw = unstretched(policy, failed_attempt)
    lowest = min(raw, policy.max_seconds)
    highest = min(raw * (1 + policy.jitter), policy.max_seconds)

    assert lowest <= policy.delay_after(failed_attempt, seed) <= highest


@given(policies(), attempts, seeds)
def test_a_delay_never_exceeds_max_seconds(policy: RetryPolicy, failed_attempt: int, seed: str) -> None:
    assert policy.delay_after(failed_attempt, seed) <= policy.max_seconds


@given(policies(), seeds)
def test_delays_strictly_grow_until_they_reach_max_seconds(policy: RetryPolicy, seed: str) -> None:
    delays = [policy.delay_after(n, seed) for n in range(1, MAX_ATTEMPT_CHECKED + 1)]

    for current, following in pairwise(delays):
        if current < policy.max_seconds:
            assert following > current
        else:
            assert following == policy.max_seconds


@given(policies(), attempts, seeds)
def test_the_same_seed_always_gives_the_same_delay(
    policy: RetryPolicy, failed_attempt: int, seed: str
) -> None:
    twin = RetryPolicy(policy.max_attempts, policy.base_seconds, policy.max_seconds, policy.jitter)

    assert twin.delay_after(failed_attempt, seed) == policy.delay_after(failed_attempt, seed)


def test_two_seeds_spread_the_delays_of_jobs_that_failed_together() -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=2.0, max_seconds=900.0, jitter=0.5)

    first = policy.delay_after(1, "job-a")
    second = policy.delay_after(1, "job-b")

    assert first != second
    assert 2.0 <= first < 3.0
    assert 2.0 <= second < 3.0


def test_without_jitter_every_seed_waits_exactly_the_doubling_delay() -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=2.0, max_seconds=10.0, jitter=0.0)

    assert [policy.delay_after(n, "job-a") for n in range(1, 5)] == [2.0, 4.0, 8.0, 10.0]
    assert [policy.delay_after(n, "job-b") for n in range(1, 5)] == [2.0, 4.0, 8.0, 10.0]


@given(policies())
def test_should_retry_is_true_exactly_before_the_last_attempt(policy: RetryPolicy) -> None:
    for failed_attempt in range(1, policy.max_attempts + 5):
        assert policy.should_retry(failed_attempt) is (failed_attempt < policy.max_attempts)


def test_a_single_attempt_policy_never_retries() -> None:
    assert RetryPolicy(max_attempts=1).should_retry(1) is False


@pytest.mark.parametrize(
    ("max_attempts", "base_seconds", "max_seconds", "jitter"),
    [
        (0, 2.0, 900.0, 0.5),
        (-1, 2.0, 900.0, 0.5),
        (5, 0.0, 900.0, 0.5),
        (5, -1.0, 900.0, 0.5),
        (5, 10.0, 9.99, 0.5),
        (5, math.nan, 900.0, 0.5),
        (5, 2.0, math.nan, 0.5),
        (5, 2.0, 900.0, 1.0),
        (5, 2.0, 900.0, -0.01),
        (5, 2.0, 900.0, math.nan),
    ],
)
def test_an_invalid_policy_is_refused(
    max_attempts: int, base_seconds: float, max_seconds: float, jitter: float
) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts, base_seconds, max_seconds, jitter)


@given(
    st.one_of(
        st.integers(max_value=0).map(lambda n: {"max_attempts": n}),
        st.floats(max_value=0.0).map(lambda base: {"base_seconds": base}),
        st.floats(min_value=0.01, max_value=1e6).map(
            lambda base: {"base_seconds": base, "max_seconds": math.nextafter(base, 0.0)}
        ),
        st.one_of(st.floats(max_value=0.0, exclude_max=True), st.floats(min_value=1.0)).map(
            lambda jitter: {"jitter": jitter}
        ),
    )
)
def test_any_policy_outside_the_valid_ranges_is_refused(invalid: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**invalid)
