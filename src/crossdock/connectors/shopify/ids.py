"""Shopify's global ids (`gid://shopify/Order/450789469`) and the webhook topic names of its enum."""

from __future__ import annotations


def global_id(kind: str, number: str | int) -> str:
    return f"gid://shopify/{kind}/{number}"


def topic_enum(topic: str) -> str:
    """`orders/create` as GraphQL's WebhookSubscriptionTopic names it: `ORDERS_CREATE`."""
    return topic.upper().replace("/", "_")
