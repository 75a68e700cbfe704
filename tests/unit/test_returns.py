"""The canonical return: statuses only move forward, the RMA number fits the X12 elements that carry it, and a
receipt matches its authorisation unless it brings a SKU not authorised or more units than authorised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.domain.returns import (
    RETURN_STATUSES,
    RMA_KEY_MAX_LENGTH,
    InvalidReturn,
    Mismatch,
    RequestedLine,
    Return,
    ReturnItem,
    ReturnNotice,
    authorised_items,
    is_newer,
    mismatches,
    received_by_sku,
    rma_key_for,
    shipping_warehouse_order,
    shortfall,
    units_by_disposition,
)
from crossdock.domain.warehouse import ReturnedLine

SKUS = st.sampled_from(["TENT-2P", "TENT-3P", "STOVE-1", "MUG"])
items_strategy = st.dictionaries(SKUS, st.integers(1, 5)).map(
    lambda units: tuple(ReturnItem(sku, quantity) for sku, quantity in units.items())
)
received_strategy = st.lists(
    st.builds(ReturnedLine, SKUS, st.integers(1, 6), st.sampled_from(["restock", "damaged"])), max_size=6
)


# --- statuses -----------------------------------------------------------------------------------------------


def test_a_return_moves_forward_only() -> None:
    assert is_newer("requested", "approved")
    assert is_newer("approved", "closed")
    assert not is_newer("approved", "requested")
    assert not is_newer("approved", "approved")
    assert not is_newer("closed", "received")


@given(st.sampled_from(RETURN_STATUSES), st.sampled_from(RETURN_STATUSES))
def test_of_two_statuses_exactly_one_is_newer_unless_they_are_the_same(one: str, other: str) -> None:
    assert is_newer(one, other) + is_newer(other, one) == (0 if one == other else 1)  # type: ignore[arg-type]


def test_a_notice_announces_a_request_or_an_approval_with_numeric_ids() -> None:
    assert ReturnNotice("101", "7", "approved").status == "approved"
    with pytest.raises(InvalidReturn, match="not 'closed'"):
        ReturnNotice("101", "7", "closed")
    with pytest.raises(InvalidReturn, match="numeric id"):
        ReturnNotice("gid://shopify/Return/101", "7", "requested")


def test_a_return_names_each_sku_once_and_has_its_shopify_global_id() -> None:
    returned = Return("101", "7", "requested", items=(ReturnItem("MUG", 1),))
    assert returned.shopify_global_id == "gid://shopify/Return/101"
    with pytest.raises(InvalidReturn, match="lists a SKU twice"):
        Return("101", "7", "approved", items=(ReturnItem("MUG", 1), ReturnItem("MUG", 2)))
    with pytest.raises(InvalidReturn, match="UTC"):
        Return("101", "7", "approved", approved_at=datetime(2026, 12, 1))
    assert Return("101", "7", "approved", approved_at=datetime(2026, 12, 1, tzinfo=UTC)).approved_at


def test_lines_and_items_carry_at_least_one_unit() -> None:
    with pytest.raises(InvalidReturn, match="at least 1"):
        RequestedLine("1", "2", "MUG", 0)
    with pytest.raises(InvalidReturn, match="at least 1"):
        ReturnItem("MUG", 0)
    with pytest.raises(InvalidReturn, match="needs a SKU"):
        ReturnItem(" ", 1)


# --- the RMA number -----------------------------------------------------------------------------------------


def test_the_rma_number_is_the_return_id_behind_a_prefix_and_fits_a_944_w17_04() -> None:
    assert rma_key_for("987654321") == "RMA987654321"
    assert len(rma_key_for("9" * (RMA_KEY_MAX_LENGTH - 3))) == RMA_KEY_MAX_LENGTH
    with pytest.raises(InvalidReturn, match="longer than 22"):
        rma_key_for("9" * RMA_KEY_MAX_LENGTH)
    with pytest.raises(InvalidReturn, match="numeric id"):
        rma_key_for("R-1")


# --- what is authorised and where it comes from -------------------------------------------------------------


def test_authorised_items_add_up_units_of_one_sku() -> None:
    assert authorised_items([("MUG", 1), ("STOVE-1", 2), ("MUG", 3)]) == (
        ReturnItem("MUG", 4),
        ReturnItem("STOVE-1", 2),
    )


def test_the_warehouse_order_that_shipped_every_unit_is_the_one_to_return_to() -> None:
    items = (ReturnItem("TENT-2P", 2), ReturnItem("MUG", 1))
    shipped = {12: {"TENT-2P": 1, "MUG": 1}, 14: {"TENT-2P": 3, "MUG": 1}, 15: {"TENT-2P": 2, "MUG": 2}}
    assert shipping_warehouse_order(items, shipped) == 14
    assert shipping_warehouse_order(items, {12: {"TENT-2P": 2}, 13: {"MUG": 1}}) is None
    assert shipping_warehouse_order((), shipped) is None


# --- receipts against the authorisation ---------------------------------------------------------------------


def test_a_receipt_within_the_authorisation_matches_and_states_its_shortfall() -> None:
    items = (ReturnItem("TENT-2P", 2), ReturnItem("MUG", 1))
    received = (ReturnedLine("TENT-2P", 1, "restock"), ReturnedLine("TENT-2P", 1, "damaged"))
    assert mismatches(items, received) == ()
    assert shortfall(items, received) == {"MUG": 1}
    assert units_by_disposition(received) == {"restock": {"TENT-2P": 1}, "damaged": {"TENT-2P": 1}}


def test_another_sku_or_more_units_than_authorised_are_mismatches() -> None:
    items = (ReturnItem("TENT-2P", 1),)
    received = (
        ReturnedLine("TENT-2P", 1, "restock"),
        ReturnedLine("TENT-2P", 1, "damaged"),
        ReturnedLine("STOVE-1", 1, "restock"),
    )
    assert mismatches(items, received) == (
        Mismatch("STOVE-1", "not_authorised", 0, 1),
        Mismatch("TENT-2P", "more_than_authorised", 1, 2),
    )
    assert [mismatch.describe() for mismatch in mismatches(items, received)] == [
        "1 x STOVE-1 received, which the return does not authorise",
        "2 x TENT-2P received, 1 authorised",
    ]


@given(items_strategy, received_strategy)
def test_a_receipt_matches_exactly_when_each_sku_received_is_authorised_for_as_many_units(
    items: tuple[ReturnItem, ...], received: list[ReturnedLine]
) -> None:
    authorised = {item.sku: item.quantity for item in items}
    within = all(units <= authorised.get(sku, 0) for sku, units in received_by_sku(received).items())
    assert (mismatches(items, received) == ()) == within
    for mismatch in mismatches(items, received):
        assert mismatch.received > mismatch.authorised == authorised.get(mismatch.sku, 0)


@given(items_strategy, received_strategy)
def test_received_and_still_expected_units_cover_the_authorisation(
    items: tuple[ReturnItem, ...], received: list[ReturnedLine]
) -> None:
    got = received_by_sku(received)
    missing = shortfall(items, received)
    for item in items:
        assert min(got.get(item.sku, 0), item.quantity) + missing.get(item.sku, 0) == item.quantity
    split = units_by_disposition(received)
    assert sum(split["restock"].values()) + sum(split["damaged"].values()) == sum(got.values())
