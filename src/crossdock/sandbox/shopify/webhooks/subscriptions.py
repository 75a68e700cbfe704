"""Webhook subscriptions and the GraphQL fields that manage them: ``webhookSubscriptionCreate``,
``webhookSubscriptionDelete``, ``webhookSubscription(id)`` and ``webhookSubscriptions(...)``.

Deviation from Shopify, on purpose: Shopify accepts only ``https://`` (and Pub/Sub or EventBridge) addresses
and refuses internal hosts; the sandbox accepts ``http://`` and ``https://`` to any host, because the
receivers it delivers to run on the developer's machine. Pub/Sub and EventBridge addresses are refused, as
the sandbox cannot deliver to them.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from graphql import GraphQLResolveInfo, GraphQLSchema

from crossdock.sandbox.shopify.connections import page
from crossdock.sandbox.shopify.ids import gid, number_of
from crossdock.sandbox.shopify.search_query import matches, parse_search
from crossdock.sandbox.shopify.views import View, paging_arguments, timestamp

ADDRESS_TAKEN = "Address for this topic has already been taken"
ADDRESS_INVALID = "Address is invalid"
ADDRESS_BLANK = "Address can't be blank"
SUBSCRIPTION_NOT_FOUND = "Webhook subscription does not exist"
DELIVERABLE_SCHEMES = frozenset({"http", "https"})


def topic_enum(topic: str) -> str:
    """The GraphQL enum value of a delivery topic: ``orders/create`` -> ``ORDERS_CREATE``.

    This direction is exact; the reverse is not (``FULFILLMENT_ORDERS_MOVED`` is
    ``fulfillment_orders/moved``), which is why events are emitted under their delivery topic and matched
    through this function."""
    if "/" not in topic:
        raise ValueError(f"a webhook topic looks like 'orders/create', not {topic!r}")
    return topic.replace("/", "_").upper()


@dataclass
class WebhookSubscription:
    id: int
    topic: str  # the GraphQL enum value, e.g. ORDERS_CREATE
    uri: str
    created_at: datetime
    updated_at: datetime
    format: str = "JSON"
    filter: str | None = None
    include_fields: list[str] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return gid("WebhookSubscription", self.id)

    def accepts(self, payload: Mapping[str, Any]) -> bool:
        """Whether an event's payload passes the subscription's ``filter`` (Shopify's search syntax, applied
        to the payload's top-level fields; terms on fields the payload lacks are ignored)."""
        if not self.filter:
            return True
        fields = {key.lower(): value for key, value in payload.items() if not isinstance(value, dict | list)}
        return matches(parse_search(self.filter), fields)

    def shape(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The payload as this subscriber receives it: only ``include_fields`` when any are named."""
        if not self.include_fields:
            return dict(payload)
        return {key: payload[key] for key in self.include_fields if key in payload}


@dataclass(frozen=True)
class SubscriptionError:
    field: list[str]
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message}


class SubscriptionRegistry:
    """The shop's subscriptions: read by the delivery worker, written by GraphQL requests, hence the lock."""

    def __init__(self) -> None:
        self._subscriptions: dict[int, WebhookSubscription] = {}
        self._ids: Iterator[int] = itertools.count(1_000_001)
        self._lock = threading.Lock()

    def create(
        self,
        topic: str,
        uri: str | None,
        now: datetime,
        *,
        uri_field: str = "uri",
        format: str = "JSON",
        filter: str | None = None,
        include_fields: list[str] | None = None,
    ) -> WebhookSubscription | SubscriptionError:
        where = ["webhookSubscription", uri_field]
        if not uri:
            return SubscriptionError(where, ADDRESS_BLANK)
        if not _deliverable(uri):
            return SubscriptionError(where, ADDRESS_INVALID)
        with self._lock:
            if any(s.topic == topic and s.uri == uri for s in self._subscriptions.values()):
                return SubscriptionError(where, ADDRESS_TAKEN)
            subscription = WebhookSubscription(
                id=next(self._ids),
                topic=topic,
                uri=uri,
                created_at=now,
                updated_at=now,
                format=format,
                filter=filter,
                include_fields=list(include_fields or []),
            )
            self._subscriptions[subscription.id] = subscription
            return subscription

    def delete(self, subscription_id: int) -> bool:
        with self._lock:
            return self._subscriptions.pop(subscription_id, None) is not None

    def get(self, subscription_id: int) -> WebhookSubscription | None:
        with self._lock:
            return self._subscriptions.get(subscription_id)

    def all(self) -> list[WebhookSubscription]:
        with self._lock:
            return list(self._subscriptions.values())

    def for_topic(self, topic: str) -> list[WebhookSubscription]:
        """Subscriptions to a delivery topic such as ``orders/create``, oldest first."""
        wanted = topic_enum(topic)
        with self._lock:
            return [s for s in self._subscriptions.values() if s.topic == wanted]


def _deliverable(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return parts.scheme in DELIVERABLE_SCHEMES and bool(parts.hostname) and " " not in uri


def subscription_view(subscription: WebhookSubscription) -> View:
    return {
        "id": subscription.gid,
        "topic": subscription.topic,
        "uri": subscription.uri,
        "format": subscription.format,
        "filter": subscription.filter,
        "includeFields": list(subscription.include_fields),
        "createdAt": timestamp(subscription.created_at),
        "updatedAt": timestamp(subscription.updated_at),
    }


def _registry(info: GraphQLResolveInfo) -> SubscriptionRegistry:
    registry: SubscriptionRegistry = info.context.webhooks.subscriptions
    return registry


def resolve_webhook_subscription_create(
    _root: Any, info: GraphQLResolveInfo, topic: str, webhookSubscription: dict[str, Any]
) -> View:
    given = webhookSubscription
    # ``callbackUrl`` is the deprecated name of ``uri``; errors name whichever field the caller used.
    uri_field = "uri" if given.get("uri") is not None or given.get("callbackUrl") is None else "callbackUrl"
    created = _registry(info).create(
        topic,
        given.get(uri_field),
        info.context.state.clock(),
        uri_field=uri_field,
        format=given.get("format") or "JSON",
        filter=given.get("filter"),
        include_fields=given.get("includeFields"),
    )
    if isinstance(created, SubscriptionError):
        return {"webhookSubscription": None, "userErrors": [created.to_json()]}
    return {"webhookSubscription": subscription_view(created), "userErrors": []}


def resolve_webhook_subscription_delete(_root: Any, info: GraphQLResolveInfo, id: str) -> View:
    number = number_of(id, "WebhookSubscription")
    if number is None or not _registry(info).delete(number):
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": SUBSCRIPTION_NOT_FOUND}],
        }
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


def resolve_webhook_subscription(_root: Any, info: GraphQLResolveInfo, id: str) -> View | None:
    number = number_of(id, "WebhookSubscription")
    subscription = _registry(info).get(number) if number is not None else None
    return None if subscription is None else subscription_view(subscription)


def resolve_webhook_subscriptions(_root: Any, info: GraphQLResolveInfo, **arguments: Any) -> View:
    topics = arguments.get("topics")
    uri = arguments.get("uri") or arguments.get("callbackUrl")
    wanted_format = arguments.get("format")
    listed = [
        subscription
        for subscription in _registry(info).all()
        if (not topics or subscription.topic in topics)
        and (uri is None or subscription.uri == uri)
        and (wanted_format is None or subscription.format == wanted_format)
    ]
    by_creation = arguments.get("sortKey", "CREATED_AT") == "CREATED_AT"
    return page(
        listed,
        id_of=lambda subscription: subscription.id,
        sort_value=lambda subscription: subscription.created_at if by_creation else subscription.id,
        render=subscription_view,
        **paging_arguments(arguments),
    )


def install_webhook_resolvers(schema: GraphQLSchema) -> None:
    assert schema.query_type is not None and schema.mutation_type is not None
    schema.query_type.fields["webhookSubscription"].resolve = resolve_webhook_subscription
    schema.query_type.fields["webhookSubscriptions"].resolve = resolve_webhook_subscriptions
    schema.mutation_type.fields["webhookSubscriptionCreate"].resolve = resolve_webhook_subscription_create
    schema.mutation_type.fields["webhookSubscriptionDelete"].resolve = resolve_webhook_subscription_delete
