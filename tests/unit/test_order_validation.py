"""What an order must send to a warehouse: SKUs through aliases, bundles as components, lines nobody ships
left out; and what a shipping address must hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crossdock.domain.order_validation import ResolvedLine, address_problems, resolve_lines
from crossdock.domain.orders import Address, OrderLine


def line(line_id: str, sku: str | None, quantity: int, *, ships: bool = True) -> OrderLine:
    return OrderLine(
        line_id=line_id,
        sku=sku,
        quantity=quantity,
        variant_id=None,
        title=f"item {line_id}",
        variant_title=None,
        requires_shipping=ships,
    )


KNOWN = {"TENT-2P", "STOVE-1", "MUG"}
BUNDLES = {"CAMP-KIT": {"TENT-2P": 1, "MUG": 2}}


def test_skus_aliases_and_bundles_resolve_to_registered_skus() -> None:
    resolution = resolve_lines(
        [line("1", "TENT-2P", 2), line("2", "STOVE1", 1), line("3", "CAMP-KIT", 3)],
        known=KNOWN,
        aliases={"STOVE1": "STOVE-1"},
        bundles=BUNDLES,
    )
    assert resolution.complete
    assert resolution.lines == (
        ResolvedLine("TENT-2P", 2, "1"),
        ResolvedLine("STOVE-1", 1, "2"),
        ResolvedLine("MUG", 6, "3", bundle_sku="CAMP-KIT"),
        ResolvedLine("TENT-2P", 3, "3", bundle_sku="CAMP-KIT"),
    )
    assert resolution.units_by_sku() == {"TENT-2P": 5, "STOVE-1": 1, "MUG": 6}


def test_unknown_skus_and_lines_without_sku_stop_the_order() -> None:
    resolution = resolve_lines(
        [line("1", "TENT2P", 1), line("2", "  ", 1), line("3", "MUG", 1)], known=KNOWN, aliases={}, bundles={}
    )
    assert not resolution.complete
    assert resolution.unknown_skus == ("TENT2P",)
    assert resolution.lines_without_sku == ("2",)


def test_lines_nobody_ships_and_lines_edited_to_zero_are_not_sent() -> None:
    resolution = resolve_lines(
        [line("1", "GIFT-CARD", 1, ships=False), line("2", "MUG", 0), line("3", "MUG", 1)],
        known=KNOWN,
        aliases={},
        bundles={},
    )
    assert resolution.complete and resolution.lines == (ResolvedLine("MUG", 1, "3"),)


def test_a_bundle_with_an_unknown_component_is_unknown() -> None:
    resolution = resolve_lines(
        [line("1", "KIT", 1)], known=KNOWN, aliases={}, bundles={"KIT": {"MUG": 1, "LANTERN": 1}}
    )
    assert resolution.unknown_skus == ("LANTERN",)


@given(
    st.lists(
        st.tuples(st.sampled_from(["TENT-2P", "MUG", "CAMP-KIT", "STOVE1", "NOPE"]), st.integers(0, 5)),
        max_size=8,
    )
)
def test_units_sent_are_the_units_ordered_once_bundles_are_unpacked(ordered: list[tuple[str, int]]) -> None:
    lines = [line(str(number), sku, quantity) for number, (sku, quantity) in enumerate(ordered, start=1)]
    resolution = resolve_lines(
        lines, known=KNOWN | {"STOVE-1"}, aliases={"STOVE1": "STOVE-1"}, bundles=BUNDLES
    )
    expected: dict[str, int] = {}
    for sku, quantity in ordered:
        if quantity == 0 or sku == "NOPE":
            continue
        parts = BUNDLES.get(sku, {{"STOVE1": "STOVE-1"}.get(sku, sku): 1})
        for part, each in parts.items():
            expected[part] = expected.get(part, 0) + each * quantity
    assert resolution.units_by_sku() == expected
    assert resolution.unknown_skus == (("NOPE",) if any(s == "NOPE" and q for s, q in ordered) else ())


def test_a_complete_address_has_no_problem() -> None:
    address = Address(first_name="Ada", address1="1 Main St", city="Austin", zip="78701", country_code="US")
    assert address_problems(address) == []


def test_an_incomplete_address_says_what_is_missing() -> None:
    assert address_problems(None) == ["the order has no shipping address"]
    assert address_problems(Address(city="Austin", country_code="US")) == [
        "shipping address has no street (address1)",
        "shipping address has no recipient name",
        "shipping address has no postal code",
    ]
    # Hong Kong has no postal codes.
    assert (
        address_problems(
            Address(company="Acme", address1="1 Queen's Rd", city="Hong Kong", country_code="HK")
        )
        == []
    )
