"""Routing: each rule by example, and properties over random orders, warehouses and stock."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.domain.routing import RoutedLine, RoutingDecision, RoutingFailure, WarehouseRoute, route

EAST = WarehouseRoute("east", frozenset({"US", "CA"}), priority=1, shopify_locations=frozenset({"111"}))
WEST = WarehouseRoute("west", frozenset({"US"}), priority=2)
EU = WarehouseRoute("eu", frozenset({"FR", "DE"}), priority=1)
ALL = (EAST, WEST, EU)
TENT, STOVE = RoutedLine("TENT", 2), RoutedLine("STOVE", 1)


def decided(result: RoutingDecision | RoutingFailure) -> RoutingDecision:
    assert isinstance(result, RoutingDecision), result
    return result


def test_a_fixed_shopify_location_wins_whatever_the_stock() -> None:
    result = decided(
        route([TENT], country="US", warehouses=ALL, stock={}, split_allowed=True, shopify_location="111")
    )
    assert (result.assignments[0].warehouse, result.rule) == ("east", "location")
    assert "location 111, served by east" in result.reason


def test_the_first_warehouse_by_priority_that_holds_everything_ships_it() -> None:
    stock = {("east", "TENT"): 1, ("west", "TENT"): 5, ("west", "STOVE"): 5}
    result = decided(route([TENT, STOVE], country="US", warehouses=ALL, stock=stock, split_allowed=False))
    assert [a.warehouse for a in result.assignments] == ["west"] and result.rule == "stock"


def test_only_warehouses_shipping_to_the_country_are_candidates() -> None:
    result = route([TENT], country="JP", warehouses=ALL, stock={}, split_allowed=True)
    assert result == RoutingFailure("no warehouse ships to JP")
    fr = decided(route([TENT], country="FR", warehouses=ALL, stock={("east", "TENT"): 9}, split_allowed=True))
    assert fr.assignments[0].warehouse == "eu"


def test_a_split_places_each_line_whole_where_it_is_held() -> None:
    stock = {("east", "TENT"): 2, ("west", "STOVE"): 1}
    result = decided(route([TENT, STOVE], country="US", warehouses=ALL, stock=stock, split_allowed=True))
    assert result.is_split and result.rule == "split"
    assert {a.warehouse: a.lines for a in result.assignments} == {"east": (TENT,), "west": (STOVE,)}


def test_without_split_the_warehouse_holding_most_units_ships_and_the_reason_names_the_shortfall() -> None:
    stock = {("east", "TENT"): 2, ("west", "STOVE"): 1}
    result = decided(route([TENT, STOVE], country="US", warehouses=ALL, stock=stock, split_allowed=False))
    assert [a.warehouse for a in result.assignments] == ["east"] and result.rule == "most_stock"
    assert "STOVE (1 short)" in result.reason and "splitting is not allowed" in result.reason


orders = st.lists(
    st.builds(RoutedLine, sku=st.sampled_from(["A", "B", "C", "D"]), quantity=st.integers(1, 5)),
    min_size=1,
    max_size=4,
    unique_by=lambda line: line.sku,
)
stocks = st.dictionaries(
    st.tuples(st.sampled_from(["east", "west", "eu"]), st.sampled_from(["A", "B", "C", "D"])),
    st.integers(0, 6),
)


@settings(max_examples=300)
@given(orders, stocks, st.sampled_from(["US", "CA", "FR", None]), st.booleans())
def test_every_line_goes_to_exactly_one_warehouse_that_ships_to_the_country(
    lines: list[RoutedLine], stock: dict[tuple[str, str], int], country: str | None, split_allowed: bool
) -> None:
    result = route(lines, country=country, warehouses=ALL, stock=stock, split_allowed=split_allowed)
    candidates = [w for w in ALL if w.ships_to(country)]
    if not candidates:
        assert isinstance(result, RoutingFailure)
        return
    decision = decided(result)
    placed = [line for assignment in decision.assignments for line in assignment.lines]
    assert sorted(placed, key=lambda line: line.sku) == sorted(lines, key=lambda line: line.sku)
    by_code = {w.code: w for w in ALL}
    assert all(by_code[a.warehouse].ships_to(country) for a in decision.assignments)
    assert split_allowed or len(decision.assignments) == 1
    holder = next(
        (
            w
            for w in sorted(candidates, key=lambda w: (w.priority, w.code))
            if all(stock.get((w.code, line.sku), 0) >= line.quantity for line in lines)
        ),
        None,
    )
    if holder is not None:
        assert [a.warehouse for a in decision.assignments] == [holder.code]
    assert decision.reason
