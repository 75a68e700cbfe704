"""The webhook topics the hub subscribes to, and so handles. A delivery of any other topic is answered 200
(Shopify would otherwise retry it, then remove the subscription) and kept in the inbox as ignored."""

from __future__ import annotations

# Every one carries the whole order: the hub reads the newest version from whichever arrives first.
ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled")

# A level changed in Shopify, by the hub or by anyone else (flows.stock_discrepancies tells them apart).
INVENTORY_TOPICS = ("inventory_levels/update",)

# A customer asked for a return, the merchant approved one (connectors.shopify.return_webhooks).
RETURN_TOPICS = ("returns/request", "returns/approve")

SUBSCRIBED_TOPICS = ORDER_TOPICS + INVENTORY_TOPICS + RETURN_TOPICS
