"""Inventory in the sandbox: quantities stay consistent the way Shopify keeps them, and the set/adjust
mutations validate everything before changing anything."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from crossdock.sandbox.shopify.inventory import ON_HAND_PARTS, Quantities
from crossdock.sandbox.shopify.inventory_mutations import (
    RequestedChange,
    apply_adjust,
    apply_set,
    validate_adjust,
    validate_set,
)
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState


def test_setting_available_moves_on_hand_by_the_same_delta() -> None:
    level = Quantities()
    level.set("available", 10)
    level.commit(3)
    level.adjust("damaged", 2)
    assert level.as_dict() == {
        "available": 7,
        "committed": 3,
        "damaged": 2,
        "incoming": 0,
        "on_hand": 12,
        "quality_control": 0,
        "reserved": 0,
        "safety_stock": 0,
    }
    assert level.set("on_hand", 20) == 8
    assert (level.get("available"), level.get("on_hand")) == (15, 20)
    level.ship(3)
    assert (level.get("committed"), level.get("on_hand")) == (0, 17)


@given(st.lists(st.tuples(st.sampled_from([*ON_HAND_PARTS, "on_hand", "incoming"]), st.integers(-50, 50))))
def test_on_hand_is_always_the_sum_of_its_parts(operations: list[tuple[str, int]]) -> None:
    level = Quantities()
    for name, delta in operations:
        level.adjust(name, delta)
        assert level.get("on_hand") == sum(level.get(part) for part in ON_HAND_PARTS)


def shop_with_one_item() -> tuple[ShopState, int, int]:
    state = ShopState(
        ShopInfo(1, "Sandbox", "sandbox.myshopify.com"), clock=lambda: datetime(2026, 1, 1, tzinfo=UTC)
    )
    warehouse = state.add_location("Warehouse")
    product = state.add_product("Tent", [("TENT-1", "199.00", {warehouse.id: 10})])
    item_id = state.variants[product.variant_ids[0]].inventory_item_id
    return state, item_id, warehouse.id


def line(
    item: int | None, location: int | None, value: int, change_from: int | None = None, given: bool = True
):  # type: ignore[no-untyped-def]
    return RequestedChange(item, location, value, change_from, given)


def exists_in(state: ShopState):  # type: ignore[no-untyped-def]
    return lambda change: (
        change.inventory_item_id in state.inventory_items,
        change.location_id in state.locations,
    )


def test_a_stale_change_from_quantity_refuses_the_whole_request() -> None:
    state, item, location = shop_with_one_item()
    other = state.add_location("Store")
    state.inventory_items[item].levels[other.id] = Quantities()
    lines = [line(item, other.id, 5, change_from=0), line(item, location, 3, change_from=9)]
    errors = validate_set("correction", "available", lines, state.level, exists_in(state))
    assert [(error.code, error.field) for error in errors] == [
        ("CHANGE_FROM_QUANTITY_STALE", ["input", "quantities", "1", "changeFromQuantity"])
    ]


def test_a_set_without_change_from_quantity_is_refused_but_null_skips_the_check() -> None:
    state, item, location = shop_with_one_item()
    omitted = [line(item, location, 4, given=False)]
    errors = validate_set("correction", "available", omitted, state.level, exists_in(state))
    assert [(error.code, error.field) for error in errors] == [
        ("COMPARE_QUANTITY_REQUIRED", ["input", "quantities", "0", "changeFromQuantity"])
    ]
    assert (
        validate_set("correction", "available", [line(item, location, 4)], state.level, exists_in(state))
        == []
    )
    # Adjustments do not require it.
    assert validate_adjust("correction", "available", omitted, state.level, exists_in(state)) == []


def test_reasons_names_and_unknown_ids_are_reported_with_shopifys_codes() -> None:
    state, item, location = shop_with_one_item()
    errors = validate_set("because", "committed", [line(item, location, 1)], state.level, exists_in(state))
    assert [error.code for error in errors] == ["INVALID_REASON", "INVALID_NAME"]
    assert "cycle_count_available" in errors[0].message
    errors = validate_set(
        "correction",
        "available",
        [line(None, location, 1), line(item, 999, 1)],
        state.level,
        exists_in(state),
    )
    assert [error.code for error in errors] == ["INVALID_INVENTORY_ITEM", "INVALID_LOCATION"]


def test_a_set_reports_the_available_and_on_hand_changes() -> None:
    state, item, location = shop_with_one_item()
    lines = [line(item, location, 4, change_from=10)]
    assert validate_set("cycle_count_available", "available", lines, state.level, exists_in(state)) == []
    changes = apply_set("available", lines, state.level)
    assert [(c.name, c.delta, c.quantity_after_change) for c in changes] == [
        ("available", -6, 4),
        ("on_hand", -6, 4),
    ]


def test_an_adjustment_moves_the_named_state_and_on_hand() -> None:
    state, item, location = shop_with_one_item()
    lines = [line(item, location, -2, change_from=None)]
    assert validate_adjust("damaged", "damaged", lines, state.level, exists_in(state)) == []
    changes = apply_adjust("damaged", lines, state.level)
    assert [(c.name, c.delta, c.quantity_after_change) for c in changes] == [
        ("damaged", -2, -2),
        ("on_hand", -2, 8),
    ]
    errors = validate_adjust("correction", "committed", lines, state.level, exists_in(state))
    assert [error.code for error in errors] == ["INVALID_QUANTITY_NAME"]
