"""Everything one sandbox shop holds, in memory: the shop, its locations and catalog with stock, and the
records of inventory changes. Orders, fulfillment orders and returns join it as the sandbox grows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crossdock.sandbox.shopify.catalog import FulfillmentService, InventoryItem, Location, Product, Variant
from crossdock.sandbox.shopify.inventory import Quantities
from crossdock.sandbox.shopify.inventory_mutations import AdjustmentGroup
from crossdock.sandbox.shopify.metafields import Metafield
from crossdock.sandbox.shopify.orders import FIRST_ORDER_NUMBER, Fulfillment, FulfillmentOrder, Order
from crossdock.sandbox.shopify.returns import Return

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class ShopInfo:
    id: int
    name: str
    domain: str
    email: str = "owner@example.com"
    currency_code: str = "USD"
    iana_timezone: str = "UTC"


@dataclass
class ShopState:
    shop: ShopInfo
    clock: Clock = wall_clock
    locations: dict[int, Location] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    inventory_items: dict[int, InventoryItem] = field(default_factory=dict)
    adjustment_groups: dict[int, AdjustmentGroup] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    fulfillment_orders: dict[int, FulfillmentOrder] = field(default_factory=dict)
    fulfillments: dict[int, Fulfillment] = field(default_factory=dict)
    returns: dict[int, Return] = field(default_factory=dict)
    fulfillment_services: dict[int, FulfillmentService] = field(default_factory=dict)
    metafields: dict[int, Metafield] = field(default_factory=dict)
    # The number in the next order's name ("#1001"); Shopify numbers a shop's orders from 1001.
    order_number: int = FIRST_ORDER_NUMBER
    # The next id to hand out; ids are unique across every kind of record, as Shopify's numbers look.
    upcoming_id: int = 1001

    def next_id(self) -> int:
        handed_out = self.upcoming_id
        self.upcoming_id += 1
        return handed_out

    # -- building the catalog -------------------------------------------------------------------------

    def add_location(self, name: str, **details: object) -> Location:
        location = Location(id=self.next_id(), name=name, **details)  # type: ignore[arg-type]
        self.locations[location.id] = location
        return location

    def add_product(
        self, title: str, variants: list[tuple[str, str, dict[int, int]]], handle: str | None = None
    ) -> Product:
        """``variants``: (sku, price, available units per location id)."""
        now = self.clock()
        product = Product(
            id=self.next_id(),
            title=title,
            handle=handle or title.lower().replace(" ", "-"),
            created_at=now,
            updated_at=now,
        )
        self.products[product.id] = product
        for position, (sku, price, stock) in enumerate(variants, start=1):
            variant_id, item_id = self.next_id(), self.next_id()
            title_of_variant = "Default Title" if len(variants) == 1 else f"Option {position}"
            self.variants[variant_id] = Variant(
                id=variant_id,
                product_id=product.id,
                sku=sku,
                title=title_of_variant,
                price=price,
                inventory_item_id=item_id,
                updated_at=now,
            )
            item = InventoryItem(id=item_id, sku=sku, variant_id=variant_id, updated_at=now)
            for location_id, units in stock.items():
                quantities = Quantities()
                quantities.set("available", units)
                item.levels[location_id] = quantities
                item.level_updated_at[location_id] = now
            self.inventory_items[item_id] = item
            product.variant_ids.append(variant_id)
        return product

    def stock(self, inventory_item_id: int, location_id: int, available: int) -> Quantities:
        """Stocks the item at the location (as activating it there does) with ``available`` units; a level
        that exists already gets its available quantity set."""
        item = self.inventory_items[inventory_item_id]
        level = item.levels.setdefault(location_id, Quantities())
        level.set("available", available)
        self.touch_level(inventory_item_id, location_id)
        return level

    # -- lookups -------------------------------------------------------------------------------------

    def level(self, inventory_item_id: int, location_id: int) -> Quantities | None:
        item = self.inventory_items.get(inventory_item_id)
        return None if item is None else item.levels.get(location_id)

    def variant_by_sku(self, sku: str) -> Variant | None:
        return next((variant for variant in self.variants.values() if variant.sku == sku), None)

    def touch_level(self, inventory_item_id: int, location_id: int) -> None:
        now = self.clock()
        item = self.inventory_items[inventory_item_id]
        item.level_updated_at[location_id] = now
        item.updated_at = now
