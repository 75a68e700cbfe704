"""Warehouse shipments mapped back onto Shopify's order lines: plain lines by SKU (through aliases), bundle
lines once their components are complete."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crossdock.domain.order_validation import resolve_lines
from crossdock.domain.orders import OrderLine
from crossdock.domain.shipment_mapping import shopify_units


def line(line_id: str, sku: str, quantity: int) -> OrderLine:
    return OrderLine(
        line_id=line_id,
        sku=sku,
        quantity=quantity,
        variant_id=None,
        title=sku,
        variant_title=None,
        requires_shipping=True,
    )


LINES = [line("1", "STOVE1", 2), line("2", "CAMP-KIT", 2)]
RESOLVED = resolve_lines(
    LINES,
    known={"STOVE-1", "TENT-2P", "MUG"},
    aliases={"STOVE1": "STOVE-1"},
    bundles={"CAMP-KIT": {"TENT-2P": 1, "MUG": 2}},
).lines


def test_a_full_shipment_fulfils_every_line_under_its_shopify_sku() -> None:
    shipped = {"STOVE-1": 2, "TENT-2P": 2, "MUG": 4}
    assert shopify_units(LINES, RESOLVED, shipped, {}) == {"STOVE1": 2, "CAMP-KIT": 2}


def test_a_bundle_counts_only_when_its_components_are_complete() -> None:
    first = {"STOVE-1": 1, "TENT-2P": 2, "MUG": 1}
    assert shopify_units(LINES, RESOLVED, first, {}) == {"STOVE1": 1}
    second = {"STOVE-1": 1, "MUG": 3}
    assert shopify_units(LINES, RESOLVED, second, first) == {"STOVE1": 1, "CAMP-KIT": 2}


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 4)), min_size=1, max_size=4))
def test_shipments_never_fulfil_more_than_was_ordered(parts: list[tuple[int, int, int]]) -> None:
    before: dict[str, int] = {}
    total: dict[str, int] = {}
    for stoves, tents, mugs in parts:
        now = {"STOVE-1": stoves, "TENT-2P": tents, "MUG": mugs}
        for sku, units in shopify_units(LINES, RESOLVED, now, before).items():
            total[sku] = total.get(sku, 0) + units
        for sku, units in now.items():
            before[sku] = before.get(sku, 0) + units
    assert total.get("STOVE1", 0) == min(before["STOVE-1"], 2)
    assert total.get("CAMP-KIT", 0) == min(before["TENT-2P"], before["MUG"] // 2, 2)
