"""Shopify identifiers: webhook topic names as GraphQL's enum spells them, REST ids as global ids."""

from __future__ import annotations


def topic_enum(topic: str) -> str:
    """`orders/create` as GraphQL's WebhookSubscriptionTopic names it: `ORDERS_CREATE`."""
    return topic.upper().replace("/", "_")


def to_gid(kind: str, number: int | str) -> str:
    """A REST payload's numeric id (``inventory_item_id: 808950810``) as the GraphQL global id the hub
    stores (``gid://shopify/InventoryItem/808950810``); a value already global is kept."""
    text = str(number)
    if text.startswith("gid://"):
        return text
    if not text.isdigit():
        raise ValueError(f"not a Shopify {kind} id: {number!r}")
    return f"gid://shopify/{kind}/{text}"
