"""The shop's catalog and stock as the sandbox holds them: locations, products, variants, inventory items and
their levels per location. Plain objects, changed only through the sandbox's operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crossdock.sandbox.shopify.inventory import Quantities


@dataclass
class Location:
    id: int
    name: str
    address1: str = ""
    city: str = ""
    zip: str = ""
    country_code: str = "US"
    is_active: bool = True
    fulfills_online_orders: bool = True
    # Set on the location Shopify creates for a fulfillment service: the service owns it.
    fulfillment_service_id: int | None = None


@dataclass
class FulfillmentService:
    """A fulfillment service an app registered (``fulfillmentServiceCreate``), with the location Shopify made
    for it; the merchant's requests for fulfillment orders at that location go to ``callback_url``."""

    id: int
    name: str
    handle: str
    location_id: int
    callback_url: str | None = None
    inventory_management: bool = False
    tracking_support: bool = False
    requires_shipping_method: bool = True


@dataclass
class InventoryItem:
    id: int
    sku: str
    variant_id: int
    tracked: bool = True
    levels: dict[int, Quantities] = field(default_factory=dict)
    level_updated_at: dict[int, datetime] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass
class Variant:
    id: int
    product_id: int
    sku: str
    title: str
    price: str
    inventory_item_id: int
    barcode: str | None = None
    updated_at: datetime | None = None


@dataclass
class Product:
    id: int
    title: str
    handle: str
    status: str = "ACTIVE"
    variant_ids: list[int] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
