"""Which version of an order replaces the stored one (domain.orders.supersedes)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from crossdock.domain.orders import FINANCIAL_STATUSES, PAYMENT_PROGRESS, same_second_change, supersedes
from tests.support.dashboard_world import an_order

ORDER = an_order("1001", "#1001", ("TENT-2P",))
AT = ORDER.source_version
CANCELLED = replace(ORDER, cancelled_at=AT, cancel_reason="customer")
LATER = replace(ORDER, source_version=AT + timedelta(seconds=1))


def test_a_newer_version_supersedes_and_an_older_one_does_not() -> None:
    assert supersedes(LATER, ORDER)
    assert not supersedes(ORDER, LATER)
    assert not supersedes(CANCELLED, LATER)  # older, even cancelled


def test_at_the_same_version_a_cancellation_the_stored_one_lacks_supersedes() -> None:
    assert supersedes(CANCELLED, ORDER)
    assert not supersedes(ORDER, CANCELLED)
    assert not supersedes(CANCELLED, CANCELLED)
    assert not supersedes(ORDER, ORDER)
    assert not supersedes(replace(ORDER, note="leave at the door"), ORDER)


def test_at_the_same_version_a_payment_further_along_supersedes() -> None:
    """An order paid within the second it was created: ``orders/paid`` carries the stored version."""
    pending = replace(ORDER, financial_status="pending")
    paid = replace(ORDER, financial_status="paid")
    refunded = replace(ORDER, financial_status="refunded")
    assert supersedes(paid, pending) and supersedes(refunded, paid)
    assert not supersedes(pending, paid) and not supersedes(paid, refunded)
    assert not supersedes(paid, paid)
    assert not supersedes(replace(ORDER, financial_status="voided"), refunded)  # both ended: no order
    assert supersedes(pending, replace(ORDER, financial_status=None))  # a known status over none
    assert not supersedes(paid, replace(LATER, financial_status="pending"))  # a newer version still wins
    assert same_second_change(paid, pending) == "moves the payment from pending to paid"


def test_a_cancellation_outranks_the_payment_at_the_same_version() -> None:
    cancelled_unpaid = replace(CANCELLED, financial_status="pending")
    assert supersedes(cancelled_unpaid, replace(ORDER, financial_status="paid"))
    assert not supersedes(replace(ORDER, financial_status="paid"), cancelled_unpaid)
    assert same_second_change(cancelled_unpaid, ORDER) == "cancels the order"


def test_every_financial_status_has_a_place_in_the_payment_progression() -> None:
    assert set(PAYMENT_PROGRESS) == FINANCIAL_STATUSES
