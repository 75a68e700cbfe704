from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crossdock.domain.catalog import CatalogVariant, check_catalog, normalise_sku


def variant(number: int, sku: str | None, variant_title: str = "Large") -> CatalogVariant:
    return CatalogVariant(
        variant_id=f"gid://shopify/ProductVariant/{number}",
        sku=sku,
        inventory_item_id=f"gid://shopify/InventoryItem/{number}",
        product_id="gid://shopify/Product/1",
        product_title="Trail tent",
        variant_title=variant_title,
        barcode=None,
    )


def test_shared_and_missing_skus_are_set_apart_not_merged() -> None:
    catalog = [
        variant(1, "TENT-2P"),
        variant(2, " TENT-2P "),
        variant(3, "STOVE-1"),
        variant(4, ""),
        variant(5, None),
    ]
    check = check_catalog(catalog)
    assert [(sku, found.variant_id) for sku, found in check.registrable] == [
        ("STOVE-1", "gid://shopify/ProductVariant/3")
    ]
    assert {sku: [v.variant_id for v in found] for sku, found in check.duplicates.items()} == {
        "TENT-2P": ["gid://shopify/ProductVariant/1", "gid://shopify/ProductVariant/2"]
    }
    assert [v.variant_id for v in check.without_sku] == [
        "gid://shopify/ProductVariant/4",
        "gid://shopify/ProductVariant/5",
    ]


def test_a_default_variant_is_named_after_its_product() -> None:
    assert variant(1, "A", "Default Title").title == "Trail tent"
    assert variant(1, "A", "Large").title == "Trail tent - Large"
    assert normalise_sku("  ") is None and normalise_sku(" A-1\t") == "A-1"


@given(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "A", "B", " B", "C"])), max_size=30))
def test_every_variant_lands_in_exactly_one_outcome(skus: list[str | None]) -> None:
    variants = [variant(number, sku) for number, sku in enumerate(skus)]
    check = check_catalog(variants)
    registered = [found.variant_id for _, found in check.registrable]
    duplicated = [found.variant_id for group in check.duplicates.values() for found in group]
    missing = [found.variant_id for found in check.without_sku]
    assert sorted(registered + duplicated + missing) == sorted(v.variant_id for v in variants)
    assert len({sku for sku, _ in check.registrable}) == len(check.registrable)
    assert all(len(group) > 1 for group in check.duplicates.values())
    assert not {sku for sku, _ in check.registrable} & set(check.duplicates)
