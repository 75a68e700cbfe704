"""Seeding the sandbox shop from YAML/JSON files, generating large shops, and saving/loading its state."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from crossdock.sandbox.shopify.catalog import Location, Product
from crossdock.sandbox.shopify.inventory import Quantities
from crossdock.sandbox.shopify.inventory_mutations import AdjustmentGroup, Change
from crossdock.sandbox.shopify.seed import (
    SeedError,
    StateFileError,
    generate,
    load_seed,
    load_state,
    save_state,
)
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState

T0 = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def fixed_clock() -> datetime:
    return T0


SEED_YAML = """\
shop: {name: "Acme Outdoor", domain: "acme-outdoor.myshopify.com", email: "ops@acme.example",
       currency: "EUR", timezone: "Europe/Paris"}
locations:
  - {name: "Main warehouse", address1: "1 Dock Rd", city: "Reno", zip: "89501", country_code: "US"}
  - {name: "Store"}
products:
  - title: "Trail tent"
    handle: "trail-tent"
    variants:
      - {sku: "TENT-2P", price: "199.00", stock: {"Main warehouse": 12, "Store": 3}}
      - {sku: "TENT-3P", price: "249.00", stock: {"Main warehouse": 5}}
  - title: "Camp Stove"
    variants:
      - {sku: "STOVE-1", price: "49.5", barcode: "0123456789012"}
"""

SEED: dict[str, Any] = {
    "shop": {
        "name": "Acme Outdoor",
        "domain": "acme-outdoor.myshopify.com",
        "email": "ops@acme.example",
        "currency": "EUR",
        "timezone": "Europe/Paris",
    },
    "locations": [
        {
            "name": "Main warehouse",
            "address1": "1 Dock Rd",
            "city": "Reno",
            "zip": "89501",
            "country_code": "US",
        },
        {"name": "Store"},
    ],
    "products": [
        {
            "title": "Trail tent",
            "handle": "trail-tent",
            "variants": [
                {"sku": "TENT-2P", "price": "199.00", "stock": {"Main warehouse": 12, "Store": 3}},
                {"sku": "TENT-3P", "price": "249.00", "stock": {"Main warehouse": 5}},
            ],
        },
        {
            "title": "Camp Stove",
            "variants": [{"sku": "STOVE-1", "price": "49.5", "barcode": "0123456789012"}],
        },
    ],
}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_json(path: Path, document: object) -> Path:
    return write(path, json.dumps(document))


def everything(state: ShopState) -> dict[str, object]:
    """ShopState itself never compares equal (its id counter compares by identity): compare what it holds."""
    return {
        "shop": state.shop,
        "locations": state.locations,
        "products": state.products,
        "variants": state.variants,
        "inventory_items": state.inventory_items,
        "adjustment_groups": state.adjustment_groups,
    }


def available(quantity: int) -> Quantities:
    level = Quantities()
    level.set("available", quantity)
    return level


# -- seed files ------------------------------------------------------------------------------------------


def test_yaml_and_json_seeds_give_the_same_shop(tmp_path: Path) -> None:
    from_yaml = load_seed(write(tmp_path / "seed.yaml", SEED_YAML), clock=fixed_clock)
    from_yml = load_seed(write(tmp_path / "seed.yml", SEED_YAML), clock=fixed_clock)
    from_json = load_seed(write_json(tmp_path / "seed.json", SEED), clock=fixed_clock)

    assert everything(from_yaml) == everything(from_json)
    assert everything(from_yml) == everything(from_json)
    assert from_yaml.next_id() == from_json.next_id() == 1012


def test_seed_builds_shop_locations_products_and_variants(tmp_path: Path) -> None:
    state = load_seed(write(tmp_path / "seed.yaml", SEED_YAML), clock=fixed_clock)

    assert state.shop == ShopInfo(
        id=1001,
        name="Acme Outdoor",
        domain="acme-outdoor.myshopify.com",
        email="ops@acme.example",
        currency_code="EUR",
        iana_timezone="Europe/Paris",
    )
    assert state.locations == {
        1002: Location(
            id=1002, name="Main warehouse", address1="1 Dock Rd", city="Reno", zip="89501", country_code="US"
        ),
        1003: Location(id=1003, name="Store"),
    }
    assert state.products == {
        1004: Product(
            id=1004,
            title="Trail tent",
            handle="trail-tent",
            variant_ids=[1005, 1007],
            created_at=T0,
            updated_at=T0,
        ),
        1009: Product(
            id=1009, title="Camp Stove", handle="camp-stove", variant_ids=[1010], created_at=T0, updated_at=T0
        ),
    }
    assert [(v.id, v.product_id, v.sku, v.title, v.price, v.barcode) for v in state.variants.values()] == [
        (1005, 1004, "TENT-2P", "Option 1", "199.00", None),
        (1007, 1004, "TENT-3P", "Option 2", "249.00", None),
        (1010, 1009, "STOVE-1", "Default Title", "49.5", "0123456789012"),
    ]


def test_seed_stock_lands_on_the_named_locations_only(tmp_path: Path) -> None:
    state = load_seed(write(tmp_path / "seed.yaml", SEED_YAML), clock=fixed_clock)
    warehouse, store = 1002, 1003

    def levels(sku: str) -> dict[int, Quantities]:
        variant = state.variant_by_sku(sku)
        assert variant is not None
        return state.inventory_items[variant.inventory_item_id].levels

    assert levels("TENT-2P") == {warehouse: available(12), store: available(3)}
    assert levels("TENT-3P") == {warehouse: available(5)}
    assert levels("STOVE-1") == {}
    tent_3p = state.variant_by_sku("TENT-3P")
    assert tent_3p is not None
    assert state.level(tent_3p.inventory_item_id, store) is None
    assert state.inventory_items[tent_3p.inventory_item_id].level_updated_at == {warehouse: T0}


def test_seed_defaults_when_the_shop_is_left_out(tmp_path: Path) -> None:
    state = load_seed(write_json(tmp_path / "seed.json", {"locations": [{"name": "Only"}]}))

    assert state.shop == ShopInfo(id=1001, name="Sandbox Shop", domain="sandbox.myshopify.com")
    assert state.locations == {1002: Location(id=1002, name="Only")}
    assert state.products == {}


def seed_with(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(SEED)
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(
            lambda d: d["products"][0]["variants"][1].pop("sku"),
            "products[0].variants[1].sku: required",
            id="missing-sku",
        ),
        pytest.param(
            lambda d: d["products"].append(
                {"title": "Mat", "variants": [{"sku": "MAT", "price": "9.00", "stock": {"Shop": 1}}]}
            ),
            "products[2].variants[0].stock: unknown location 'Shop'",
            id="unknown-location",
        ),
        pytest.param(
            lambda d: d["products"][1]["variants"][0].update(sku="TENT-2P"),
            "products[1].variants[0].sku: duplicate SKU 'TENT-2P' (first at products[0].variants[0])",
            id="duplicate-sku-across-products",
        ),
        pytest.param(
            lambda d: d["products"][0]["variants"][1].update(sku="TENT-2P"),
            "products[0].variants[1].sku: duplicate SKU 'TENT-2P' (first at products[0].variants[0])",
            id="duplicate-sku-in-product",
        ),
        pytest.param(
            lambda d: d["locations"].append({"name": "Store", "city": "Elko"}),
            "locations[2].name: duplicate location 'Store' (first at locations[1])",
            id="duplicate-location",
        ),
        pytest.param(
            lambda d: d["products"][0]["variants"][0]["stock"].update(Store=-1),
            "products[0].variants[0].stock: negative stock -1 at 'Store'",
            id="negative-stock",
        ),
        pytest.param(
            lambda d: d["products"][0]["variants"][0]["stock"].update(Store=2.5),
            "products[0].variants[0].stock: expected a whole number of units at 'Store', got float 2.5",
            id="fractional-stock",
        ),
        pytest.param(
            lambda d: d["products"][0]["variants"][0].update(price="19,99"),
            "products[0].variants[0].price: expected a decimal string such as '19.99', got str '19,99'",
            id="price-not-decimal",
        ),
        pytest.param(
            lambda d: d["products"][0]["variants"][0].update(price=19.99),
            "products[0].variants[0].price: expected a decimal string such as '19.99', got float 19.99",
            id="price-a-number",
        ),
        pytest.param(
            lambda d: d["products"][0]["variants"][0].update(price="-1.00"),
            "products[0].variants[0].price: expected a decimal string such as '19.99', got str '-1.00'",
            id="price-negative",
        ),
        pytest.param(
            lambda d: d["products"][0]["variants"][0].pop("price"),
            "products[0].variants[0].price: required",
            id="missing-price",
        ),
        pytest.param(
            lambda d: d["products"][0].update(colour="green"),
            "products[0].colour: unknown key (expected one of: title, handle, variants)",
            id="unknown-product-key",
        ),
        pytest.param(
            lambda d: d["products"][0]["variants"][0].update(qty=3),
            "products[0].variants[0].qty: unknown key (expected one of: sku, price, barcode, stock)",
            id="unknown-variant-key",
        ),
        pytest.param(
            lambda d: d["locations"][0].update(state="NV"),
            "locations[0].state: unknown key (expected one of: name, address1, city, zip, country_code)",
            id="unknown-location-key",
        ),
        pytest.param(
            lambda d: d["shop"].update(plan="basic"),
            "shop.plan: unknown key (expected one of: name, domain, email, currency, timezone)",
            id="unknown-shop-key",
        ),
        pytest.param(
            lambda d: d.update(warehouses=[]),
            "warehouses: unknown key (expected one of: shop, locations, products)",
            id="unknown-top-level-key",
        ),
        pytest.param(
            lambda d: d["products"][1].pop("title"),
            "products[1].title: required",
            id="missing-title",
        ),
        pytest.param(
            lambda d: d["products"][1].update(variants=[]),
            "products[1].variants: at least one variant is required",
            id="no-variants",
        ),
        pytest.param(
            lambda d: d["products"][1].update(title="Trail Tent"),
            "products[1].title: duplicate handle 'trail-tent' (first at products[0])",
            id="duplicate-derived-handle",
        ),
        pytest.param(
            lambda d: d["locations"][1].update(name=7),
            "locations[1].name: expected a string, got int 7",
            id="name-not-a-string",
        ),
        pytest.param(
            lambda d: d.update(products={"title": "Tent"}),
            "products: expected a list, got dict {'title': 'Tent'}",
            id="products-not-a-list",
        ),
        pytest.param(
            lambda d: d["shop"].update(timezone="Europe/Nowhere"),
            "shop.timezone: unknown IANA time zone 'Europe/Nowhere'",
            id="unknown-timezone",
        ),
        pytest.param(
            lambda d: d["shop"].update(currency="usd"),
            "shop.currency: expected a three-letter ISO 4217 code such as 'USD', got 'usd'",
            id="bad-currency",
        ),
    ],
)
def test_seed_validation_names_the_file_and_the_path(tmp_path: Path, change: Any, problem: str) -> None:
    path = write_json(tmp_path / "seed.json", seed_with(change))

    with pytest.raises(SeedError) as raised:
        load_seed(path)

    assert str(raised.value) == f"{path}: {problem}"


def test_seed_errors_are_value_errors() -> None:
    assert issubclass(SeedError, ValueError)


def test_yaml_number_where_a_string_is_expected_is_an_error(tmp_path: Path) -> None:
    # YAML reads an unquoted 0123 as the number 83 (octal); taking that as SKU "83" would be wrong.
    path = write(
        tmp_path / "seed.yaml",
        "locations: [{name: A}]\nproducts:\n  - title: T\n    variants:\n"
        "      - {sku: 0123, price: '1.00'}\n",
    )

    with pytest.raises(SeedError) as raised:
        load_seed(path)

    assert str(raised.value) == f"{path}: products[0].variants[0].sku: expected a string, got int 83"


def test_yaml_float_price_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "seed.yaml", SEED_YAML.replace('price: "199.00"', "price: 199.00"))

    with pytest.raises(SeedError) as raised:
        load_seed(path)

    assert str(raised.value) == (
        f"{path}: products[0].variants[0].price: expected a decimal string such as '19.99', got float 199.0"
    )


def test_repeated_key_in_yaml_is_an_error_not_a_silent_overwrite(tmp_path: Path) -> None:
    path = write(tmp_path / "seed.yaml", SEED_YAML.replace('"Store": 3}', '"Store": 3, "Store": 4}'))

    with pytest.raises(SeedError) as raised:
        load_seed(path)

    assert str(raised.value) == f"{path}: line 10: duplicate key 'Store'"


def test_repeated_key_in_json_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "seed.json", '{"locations": [{"name": "A", "name": "B"}]}')

    with pytest.raises(SeedError) as raised:
        load_seed(path)

    assert str(raised.value) == f"{path}: duplicate key 'name'"


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("seed.yaml", "", "the file is empty (expected a mapping with shop, locations and products)"),
        ("seed.yaml", "- a\n- b\n", "expected a mapping, got list ['a', 'b']"),
        ("seed.toml", "shop = 1", "expected a .json, .yaml or .yml file"),
    ],
)
def test_seed_file_level_errors(tmp_path: Path, name: str, text: str, problem: str) -> None:
    path = write(tmp_path / name, text)

    with pytest.raises(SeedError) as raised:
        load_seed(path)

    assert str(raised.value) == f"{path}: {problem}"


def test_unparseable_seed_files(tmp_path: Path) -> None:
    bad_json = write(tmp_path / "seed.json", "{")
    bad_yaml = write(tmp_path / "seed.yaml", "products: [")

    with pytest.raises(SeedError) as json_error:
        load_seed(bad_json)
    with pytest.raises(SeedError) as yaml_error:
        load_seed(bad_yaml)

    assert str(json_error.value).startswith(f"{bad_json}: not valid JSON: ")
    assert str(yaml_error.value).startswith(f"{bad_yaml}: not valid YAML: ")


# -- generated shops ---------------------------------------------------------------------------------------


def test_generate_builds_every_sku_at_every_location() -> None:
    state = generate(3, 2, clock=fixed_clock)

    assert state.shop == ShopInfo(id=1001, name="Sandbox Shop", domain="sandbox.myshopify.com")
    assert [(location.id, location.name) for location in state.locations.values()] == [
        (1002, "Location 1"),
        (1003, "Location 2"),
    ]
    assert [(p.title, p.handle, len(p.variant_ids)) for p in state.products.values()] == [
        ("Product SKU-000001", "sku-000001", 1),
        ("Product SKU-000002", "sku-000002", 1),
        ("Product SKU-000003", "sku-000003", 1),
    ]
    assert [(v.sku, v.price, v.title) for v in state.variants.values()] == [
        ("SKU-000001", "10.00", "Default Title"),
        ("SKU-000002", "10.00", "Default Title"),
        ("SKU-000003", "10.00", "Default Title"),
    ]
    assert [(item.sku, item.levels) for item in state.inventory_items.values()] == [
        ("SKU-000001", {1002: available(100), 1003: available(100)}),
        ("SKU-000002", {1002: available(100), 1003: available(100)}),
        ("SKU-000003", {1002: available(100), 1003: available(100)}),
    ]


def test_generate_with_fixed_units_and_names() -> None:
    state = generate(1, 1, units=7, shop_name="Load Shop", domain="load.myshopify.com")

    assert (state.shop.name, state.shop.domain) == ("Load Shop", "load.myshopify.com")
    assert [item.levels for item in state.inventory_items.values()] == [{1002: available(7)}]


def test_generate_with_a_units_function_counts_from_one() -> None:
    state = generate(3, 2, units=lambda sku, location: sku * 10 + location)

    assert {
        (item.sku, state.locations[location_id].name): level.get("available")
        for item in state.inventory_items.values()
        for location_id, level in item.levels.items()
    } == {
        ("SKU-000001", "Location 1"): 11,
        ("SKU-000001", "Location 2"): 12,
        ("SKU-000002", "Location 1"): 21,
        ("SKU-000002", "Location 2"): 22,
        ("SKU-000003", "Location 1"): 31,
        ("SKU-000003", "Location 2"): 32,
    }


def test_generate_rejects_negative_sizes() -> None:
    with pytest.raises(ValueError) as raised:
        generate(-1, 2)

    assert str(raised.value) == "skus and locations must not be negative, got -1 and 2"


# -- saving and loading ------------------------------------------------------------------------------------


def busy_state() -> ShopState:
    """More than a freshly seeded state holds: every quantity state, a hand-set timestamp in another zone,
    a non-default location and product, and an adjustment group."""
    state = ShopState(ShopInfo(1, "Acme", "acme.myshopify.com", "ops@acme.example", "EUR", "Europe/Paris"))
    state.clock = fixed_clock
    main = state.add_location("Main", address1="1 Dock Rd", city="Reno", zip="89501", country_code="US")
    backup = state.add_location(
        "Backup", is_active=False, fulfills_online_orders=False, fulfillment_service_id=9
    )
    product = state.add_product("Tent", [("TENT-2P", "199.00", {main.id: 12}), ("TENT-3P", "249.00", {})])
    product.status = "DRAFT"
    tent_2p = state.variants[product.variant_ids[0]]
    tent_2p.barcode = "0123"
    item = state.inventory_items[tent_2p.inventory_item_id]
    level = item.levels[main.id]
    level.commit(3)
    level.adjust("damaged", 2)
    level.adjust("reserved", 1)
    level.adjust("quality_control", 4)
    level.adjust("safety_stock", 5)
    level.adjust("incoming", 6)
    item.levels[backup.id] = Quantities()
    item.level_updated_at[backup.id] = T0.astimezone(timezone(timedelta(hours=-7)))
    untracked = state.inventory_items[state.variants[product.variant_ids[1]].inventory_item_id]
    untracked.tracked = False
    untracked.updated_at = None
    group_id = state.next_id()
    state.adjustment_groups[group_id] = AdjustmentGroup(
        group_id,
        T0 + timedelta(seconds=1),
        "damaged",
        "logistics://crossdock/1",
        [Change("damaged", 2, 2, item.id, main.id), Change("available", -2, 9, item.id, main.id)],
    )
    return state


def test_save_and_load_round_trip_is_exact(tmp_path: Path) -> None:
    original = busy_state()
    path = tmp_path / "state.json"

    save_state(original, path)
    loaded = load_state(path, clock=fixed_clock)

    assert everything(loaded) == everything(original)
    level = loaded.inventory_items[original.variants[1004].inventory_item_id].levels[1001]
    assert level.as_dict() == {
        "available": 9,
        "committed": 3,
        "damaged": 2,
        "incoming": 6,
        "on_hand": 24,
        "quality_control": 4,
        "reserved": 1,
        "safety_stock": 5,
    }
    assert loaded.clock is fixed_clock
    # Saving reads the counter without using an id up: both go on with the same next id.
    assert original.next_id() == loaded.next_id() == 1009


def test_saved_file_holds_utc_times_and_the_next_id(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    save_state(busy_state(), path)

    document = json.loads(path.read_text(encoding="utf-8"))

    assert document["next_id"] == 1009
    assert document["products"][0]["created_at"] == "2026-03-01T12:30:15.123456Z"
    assert document["inventory_items"][0]["level_updated_at"] == {
        "1001": "2026-03-01T12:30:15.123456Z",
        "1002": "2026-03-01T12:30:15.123456Z",
    }


def test_a_loaded_state_hands_out_ids_above_every_id_in_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = busy_state()
    save_state(state, path)
    everything_ids = [
        state.shop.id,
        *state.locations,
        *state.products,
        *state.variants,
        *state.inventory_items,
        *state.adjustment_groups,
    ]

    loaded = load_state(path)
    new_location = loaded.add_location("After reload")

    assert max(everything_ids) == 1008
    assert new_location.id == 1009
    # A counter set back by hand still cannot hand out an id already in use.
    document = json.loads(path.read_text(encoding="utf-8"))
    document["next_id"] = 1
    path.write_text(json.dumps(document), encoding="utf-8")
    assert load_state(path).next_id() == 1009


def test_generated_shop_round_trips(tmp_path: Path) -> None:
    state = generate(20, 3, units=lambda sku, location: sku - location, clock=fixed_clock)
    path = tmp_path / "state.json"

    save_state(state, path)

    assert everything(load_state(path)) == everything(state)


def test_save_replaces_the_file_and_leaves_no_temporary_behind(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("old", encoding="utf-8")

    save_state(busy_state(), path)

    assert [entry.name for entry in tmp_path.iterdir()] == ["state.json"]
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1


def test_a_failed_save_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("old", encoding="utf-8")
    state = busy_state()
    state.products[1003].created_at = datetime(2026, 1, 1)  # naive: no instant to save as UTC

    with pytest.raises(ValueError) as raised:
        save_state(state, path)

    assert (
        str(raised.value)
        == "Product 1003 created_at: naive datetime 2026-01-01T00:00:00 cannot be saved as UTC"
    )
    assert path.read_text(encoding="utf-8") == "old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["state.json"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        ('{"shop": {}}', "not a sandbox shop state file"),
        (
            '{"format": "crossdock.sandbox.shopify.state", "version": 2}',
            "state file version 2, expected 1",
        ),
        (
            '{"format": "crossdock.sandbox.shopify.state", "version": 1}',
            "malformed state: KeyError: 'shop'",
        ),
    ],
)
def test_load_state_rejects_other_files(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path / "state.json", text)

    with pytest.raises(StateFileError) as raised:
        load_state(path)

    assert str(raised.value) == f"{path}: {problem}"


def test_unknown_field_in_a_state_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    save_state(busy_state(), path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["locations"][0]["colour"] = "red"
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(StateFileError) as raised:
        load_state(path)

    assert str(raised.value) == (
        f"{path}: malformed state: TypeError: Location.__init__() got an unexpected keyword argument 'colour'"
    )
