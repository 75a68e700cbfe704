"""The inventory arithmetic: exact examples, and properties over random reports and reservations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.domain.inventory import (
    NEVER_COUNTED,
    Reservation,
    SafetyStock,
    StockPosition,
    apply_delta,
    apply_snapshot,
    available_to_sell,
    bundle_available,
    changed_levels,
    in_flight,
    release,
)

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def reserved(
    key: str, units: int, minutes: int, released: int | None = None, warehouse: str = "east"
) -> Reservation:
    return Reservation(key, warehouse, "MUG", units, at(minutes), None if released is None else at(released))


def test_available_to_sell_takes_off_what_the_count_has_not_seen_and_the_safety_stock() -> None:
    position = StockPosition("east", "MUG", 100, T0)
    reservations = (
        reserved("A", 3, -60),  # allocated before the count: already off the 100
        reserved("B", 5, 30),  # after the count: in flight
        reserved("C", 2, 60, released=90),  # shipped after the count: still in the 100
        reserved("D", 7, -30, released=-10),  # shipped before the count
        Reservation("E", "east", "BOWL", 4, at(30)),  # another SKU
        reserved("F", 6, 30, warehouse="west"),  # another warehouse
    )
    assert in_flight(position, reservations) == 7
    assert available_to_sell("MUG", ["east"], {("east", "MUG"): position}, reservations, safety_stock=4) == 89


def test_a_reservation_made_at_the_moment_of_the_count_stays_off_sale() -> None:
    assert in_flight(StockPosition("east", "MUG", 10, T0), [reserved("A", 2, 0)]) == 2


def test_warehouses_feeding_one_location_add_up_and_a_silent_one_holds_nothing() -> None:
    positions = {
        ("east", "MUG"): StockPosition("east", "MUG", 40, T0),
        ("west", "MUG"): StockPosition("west", "MUG", 25, T0),
        ("west", "BOWL"): StockPosition("west", "BOWL", 500, T0),
    }
    reservations = [reserved("A", 5, 10), reserved("B", 3, 10, warehouse="west")]
    assert available_to_sell("MUG", ["east", "west", "north"], positions, reservations, safety_stock=2) == 55
    assert available_to_sell("MUG", ["east", "east"], positions, reservations, safety_stock=0) == 35
    assert available_to_sell("MUG", ["north"], positions, reservations, safety_stock=0) == 0


def test_a_warehouse_in_deficit_lowers_the_location_and_the_total_stops_at_zero() -> None:
    positions = {
        ("east", "MUG"): StockPosition("east", "MUG", 10, T0),
        ("west", "MUG"): StockPosition("west", "MUG", 0, T0),
    }
    reservations = [reserved("A", 4, 10, warehouse="west")]
    assert available_to_sell("MUG", ["east", "west"], positions, reservations, safety_stock=1) == 5
    assert available_to_sell("MUG", ["east", "west"], positions, reservations, safety_stock=9) == 0
    with pytest.raises(ValueError, match="negative"):
        available_to_sell("MUG", ["east"], positions, reservations, safety_stock=-1)


def test_a_late_snapshot_is_ignored_and_a_newer_one_replaces() -> None:
    position = apply_snapshot(None, "east", "MUG", 50, at(60))
    assert position == StockPosition("east", "MUG", 50, at(60))
    assert apply_snapshot(position, "east", "MUG", 80, at(30)) is position
    assert apply_snapshot(position, "east", "MUG", 45, at(60)) == StockPosition("east", "MUG", 45, at(60))
    assert apply_snapshot(position, "east", "MUG", 20, at(90)) == StockPosition("east", "MUG", 20, at(90))
    with pytest.raises(ValueError, match="west/MUG"):
        apply_snapshot(position, "west", "MUG", 20, at(90))


def test_deltas_add_after_the_count_and_are_ignored_before_it() -> None:
    position = apply_snapshot(None, "east", "MUG", 50, T0)
    assert apply_delta(position, "east", "MUG", 12, at(-5)) is position
    received = apply_delta(position, "east", "MUG", 12, at(20))  # 944 receipt
    assert received == StockPosition("east", "MUG", 62, at(20), counted_at=T0)
    adjusted = apply_delta(received, "east", "MUG", -3, at(10))  # a 947 sent before the receipt, read after
    assert adjusted == StockPosition("east", "MUG", 59, at(20), counted_at=T0)
    assert apply_delta(adjusted, "east", "MUG", 1, T0).available == 60


def test_a_delta_does_not_make_the_count_see_reservations_it_never_saw() -> None:
    position = apply_delta(StockPosition("east", "MUG", 50, T0), "east", "MUG", 10, at(60))
    assert in_flight(position, [reserved("A", 4, 30)]) == 4
    assert available_to_sell("MUG", ["east"], {("east", "MUG"): position}, [reserved("A", 4, 30)], 0) == 56


def test_a_snapshot_older_than_an_applied_delta_is_ignored() -> None:
    position = apply_delta(StockPosition("east", "MUG", 50, T0), "east", "MUG", 10, at(60))
    assert apply_snapshot(position, "east", "MUG", 48, at(30)) is position
    assert apply_snapshot(position, "east", "MUG", 55, at(60)) == StockPosition("east", "MUG", 55, at(60))


def test_deltas_without_a_snapshot_start_from_zero_and_count_every_reservation() -> None:
    position = apply_delta(None, "east", "MUG", 24, at(60))
    assert position == StockPosition("east", "MUG", 24, at(60), counted_at=NEVER_COUNTED)
    assert apply_delta(position, "east", "MUG", 6, at(30)).available == 30
    assert in_flight(position, [reserved("A", 2, -600)]) == 2
    counted = apply_snapshot(position, "east", "MUG", 20, at(90))
    assert counted == StockPosition("east", "MUG", 20, at(90))


def test_times_must_be_utc() -> None:
    with pytest.raises(ValueError, match="UTC"):
        StockPosition("east", "MUG", 1, datetime(2024, 5, 1, 10, 0))
    with pytest.raises(ValueError, match="UTC"):
        apply_snapshot(
            None, "east", "MUG", 1, datetime(2024, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
        )
    with pytest.raises(ValueError, match="UTC"):
        release((reserved("A", 1, 0),), "A", datetime(2024, 5, 1, 10, 0))


def test_reservations_hold_units_and_are_released_after_they_are_made() -> None:
    with pytest.raises(ValueError, match="at least one unit"):
        reserved("A", 0, 0)
    with pytest.raises(ValueError, match="before it was reserved"):
        reserved("A", 1, 10, released=5)


def test_release_happens_once_and_needs_a_known_key() -> None:
    reservations = (reserved("A", 2, 0), reserved("B", 3, 0))
    released = release(reservations, "A", at(30))
    assert released == (reserved("A", 2, 0, released=30), reserved("B", 3, 0))
    assert release(released, "A", at(45)) is released
    with pytest.raises(ValueError, match="'Z'"):
        release(reservations, "Z", at(30))


def test_a_bundle_offers_what_its_scarcest_component_allows() -> None:
    assert bundle_available({"MUG": 2, "SAUCER": 1}, {"MUG": 7, "SAUCER": 5}) == 3
    assert bundle_available({"MUG": 2, "SAUCER": 1}, {"MUG": 7, "SAUCER": 2}) == 2
    assert bundle_available({"MUG": 2, "SAUCER": 1}, {"MUG": 7}) == 0
    assert bundle_available({}, {"MUG": 7}) == 0
    with pytest.raises(ValueError, match="at least once"):
        bundle_available({"MUG": 0}, {"MUG": 7})
    with pytest.raises(ValueError, match="negative"):
        bundle_available({"MUG": 1}, {"MUG": -1})


def test_safety_stock_prefers_the_sku_then_the_location_then_the_default() -> None:
    safety = SafetyStock(default=2, per_sku={"MUG": 0}, per_location={"paris": 5})
    assert safety.for_("MUG", "paris") == 0
    assert safety.for_("BOWL", "paris") == 5
    assert safety.for_("BOWL", "lyon") == 2
    assert SafetyStock().for_("MUG", "paris") == 0
    with pytest.raises(ValueError, match="negative"):
        SafetyStock(per_location={"paris": -1})


def test_changed_levels_sends_what_changed_new_levels_and_zeros_for_what_left() -> None:
    previous = {("MUG", "paris"): 5, ("MUG", "lyon"): 3, ("BOWL", "paris"): 0, ("CUP", "paris"): 4}
    current = {("MUG", "paris"): 5, ("MUG", "lyon"): 2, ("SAUCER", "lyon"): 0}
    assert changed_levels(previous, current) == {
        ("MUG", "lyon"): 2,
        ("SAUCER", "lyon"): 0,
        ("CUP", "paris"): 0,
    }
    assert changed_levels(current, current) == {}


# Properties.

moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2024, 1, 2), timezones=st.just(UTC))
warehouses = st.sampled_from(["east", "west", "north"])
skus = st.sampled_from(["MUG", "BOWL"])


@st.composite
def reservations_(draw: st.DrawFn) -> Reservation:
    reserved_at = draw(moments)
    released_after = draw(st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=6)))
    return Reservation(
        key=draw(st.text("abcdef", min_size=1, max_size=3)),
        warehouse=draw(warehouses),
        sku=draw(skus),
        units=draw(st.integers(1, 20)),
        reserved_at=reserved_at,
        released_at=None if released_after is None else reserved_at + released_after,
    )


@st.composite
def positions_(draw: st.DrawFn) -> dict[tuple[str, str], StockPosition]:
    positions = {}
    for key in draw(st.lists(st.tuples(warehouses, skus), unique=True)):
        counted_at = draw(moments)
        as_of = counted_at + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2)))
        positions[key] = StockPosition(*key, draw(st.integers(-50, 200)), as_of, counted_at)
    return positions


@settings(max_examples=300)
@given(
    positions_(),
    st.lists(reservations_(), max_size=20),
    skus,
    st.lists(warehouses, max_size=4),
    st.integers(0, 30),
)
def test_available_to_sell_is_never_negative(
    positions: Mapping[tuple[str, str], StockPosition],
    reservations: list[Reservation],
    sku: str,
    location_warehouses: list[str],
    safety_stock: int,
) -> None:
    assert available_to_sell(sku, location_warehouses, positions, reservations, safety_stock) >= 0


@settings(max_examples=300)
@given(positions_(), st.lists(reservations_(), max_size=20), skus, moments)
def test_a_newer_count_never_deducts_more_of_the_same_reservations(
    positions: Mapping[tuple[str, str], StockPosition],
    reservations: list[Reservation],
    sku: str,
    later: datetime,
) -> None:
    for position in positions.values():
        if later >= position.as_of:
            recounted = apply_snapshot(position, position.warehouse, position.sku, position.available, later)
            assert in_flight(recounted, reservations) <= in_flight(position, reservations)


@settings(max_examples=300)
@given(
    st.dictionaries(st.sampled_from("ABCDE"), st.integers(1, 6), max_size=5),
    st.dictionaries(st.sampled_from("ABCDEF"), st.integers(0, 100)),
)
def test_a_bundle_never_exceeds_what_any_component_allows(
    components: dict[str, int], available: dict[str, int]
) -> None:
    bundles = bundle_available(components, available)
    assert bundles >= 0
    for component, quantity in components.items():
        assert bundles * quantity <= available.get(component, 0)
    if components and all(component in available for component in components):
        # and it is the most they allow together
        assert any((bundles + 1) * quantity > available[c] for c, quantity in components.items())


@settings(max_examples=300)
@given(st.lists(reservations_(), min_size=1, max_size=10), st.data(), moments, moments)
def test_a_reservation_released_twice_is_released_once(
    reservations: list[Reservation], data: st.DataObject, first: datetime, second: datetime
) -> None:
    key = data.draw(st.sampled_from([reservation.key for reservation in reservations]))
    first = max([first, *(r.reserved_at for r in reservations if r.key == key)])
    once = release(tuple(reservations), key, first)
    assert release(once, key, max(first, second)) is once
    assert all(r.released_at is not None for r in once if r.key == key)
    assert [r for r in once if r.key != key] == [r for r in reservations if r.key != key]


@settings(max_examples=300)
@given(
    st.lists(st.tuples(moments, st.integers(-10, 500)), min_size=1, max_size=8, unique_by=lambda s: s[0]),
    st.randoms(use_true_random=False),
)
def test_snapshots_in_any_order_give_the_newest(
    snapshots: list[tuple[datetime, int]], random: Random
) -> None:
    newest = max(snapshots)
    shuffled = list(snapshots)
    random.shuffle(shuffled)
    position = None
    seen = []
    for as_of, available in shuffled:
        position = apply_snapshot(position, "east", "MUG", available, as_of)
        seen.append(as_of)
        assert position.as_of == max(seen)
    assert position == StockPosition("east", "MUG", newest[1], newest[0])


@settings(max_examples=300)
@given(
    moments,
    st.integers(0, 500),
    st.lists(st.tuples(moments, st.integers(-20, 20)), max_size=10),
    st.randoms(use_true_random=False),
)
def test_deltas_older_than_the_snapshot_are_ignored_and_the_rest_add_up_in_any_order(
    counted_at: datetime, available: int, deltas: list[tuple[datetime, int]], random: Random
) -> None:
    shuffled = list(deltas)
    random.shuffle(shuffled)
    position = apply_snapshot(None, "east", "MUG", available, counted_at)
    for as_of, change in shuffled:
        position = apply_delta(position, "east", "MUG", change, as_of)
    assert position.available == available + sum(change for as_of, change in deltas if as_of >= counted_at)
    assert position.counted_at == counted_at
    assert position.as_of == max([counted_at, *(as_of for as_of, _ in deltas)])


levels = st.dictionaries(st.tuples(skus, st.sampled_from(["paris", "lyon"])), st.integers(0, 50))


@settings(max_examples=300)
@given(levels, levels)
def test_changed_levels_applied_onto_the_previous_give_the_current(
    previous: dict[tuple[str, str], int], current: dict[tuple[str, str], int]
) -> None:
    changes = changed_levels(previous, current)
    pushed = {**previous, **changes}
    assert {key: pushed[key] for key in current} == current
    assert all(pushed[key] == 0 for key in previous.keys() - current.keys())
    assert all(key not in previous or previous[key] != level for key, level in changes.items())
