"""Names of the inventory jobs the shop side implements (connectors.shopify registers them); the inventory
flow only enqueues them by name, so that the core never imports a connector."""

from __future__ import annotations

# Push what the hub wants at a shop's locations (args: {"shop_domain": domain}; partition: the domain).
PUSH_STOCK = "shop.push_stock"
