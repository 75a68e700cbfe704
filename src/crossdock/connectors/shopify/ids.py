"""The webhook topic names of Shopify's GraphQL enum."""

from __future__ import annotations


def topic_enum(topic: str) -> str:
    """`orders/create` as GraphQL's WebhookSubscriptionTopic names it: `ORDERS_CREATE`."""
    return topic.upper().replace("/", "_")
