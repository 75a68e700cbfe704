"""Which version of an order replaces the stored one (domain.orders.supersedes)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from crossdock.domain.orders import Address, Order, OrderLine, supersedes

AT = datetime(2026, 11, 29, 21, 39, 38, tzinfo=UTC)
ORDER = Order(
    shopify_order_id="1001",
    name="#1001",
    source_version=AT,
    created_at=AT,
    currency="USD",
    email=None,
    lines=(OrderLine("11", "TENT-2P", 1, None, "Tent", None, True),),
    shipping_address=Address(
        first_name="Ada", address1="1 Main St", city="Austin", zip="1", country_code="US"
    ),
    shipping_method=None,
    tags=(),
    financial_status="paid",
    cancelled_at=None,
    cancel_reason=None,
    note=None,
)
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
