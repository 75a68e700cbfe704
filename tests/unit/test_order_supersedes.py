"""Which version of an order replaces the stored one (domain.orders.supersedes)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from crossdock.domain.orders import supersedes
from tests.support.dashboard_world import an_order

ORDER = an_order("1001", "#1001", ("TENT-2P",))
AT = ORDER.source_version
CANCELLED = replace(ORDER, cancelled_at=AT, cancel_reason="customer")
LATER = replace(ORDER, source_version=AT + timedelta(seconds=1))


def test_a_newer_version_supersedes_and_an_older_one_does_not() -> None:
    assert supersedes(LATER, ORDER)
    assert not supersedes(ORDER, LATER)
    assert not supersedes(CANCELLED, LATER)  # older, even cancelled


def test_at_the_same_version_only_a_cancellation_the_stored_one_lacks_supersedes() -> None:
    assert supersedes(CANCELLED, ORDER)
    assert not supersedes(ORDER, CANCELLED)
    assert not supersedes(CANCELLED, CANCELLED)
    assert not supersedes(ORDER, ORDER)
    assert not supersedes(replace(ORDER, note="leave at the door"), ORDER)
