"""`crossdock shopify connect`: check the credentials, record the shop's locations, subscribe the webhooks.

Rerunning it is safe: locations are replaced by what the shop reports now, and a subscription that already
delivers a topic to this hub is kept rather than created again (Shopify would otherwise send every event
twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crossdock.connectors.shopify.ids import topic_enum
from crossdock.connectors.shopify.order_poll import ORDERS_CURSOR, cursor_source
from crossdock.connectors.shopify.paging import GraphQLExecutor, all_nodes
from crossdock.connectors.shopify.topics import SUBSCRIBED_TOPICS
from crossdock.connectors.shopify.webhook_route import WEBHOOK_PATH
from crossdock.store.shops import ShopLocation
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import UnitOfWork


class ConnectError(Exception):
    """The shop cannot be connected as configured; the message says what to change."""


@dataclass
class ConnectReport:
    shop_name: str
    plan: str
    callback_url: str
    locations: list[ShopLocation]
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    # Subscriptions of this app that deliver one of our topics elsewhere (an older address of the hub?).
    elsewhere: list[tuple[str, str]] = field(default_factory=list)


def shop_location(node: dict[str, Any]) -> ShopLocation:
    return ShopLocation(
        location_id=node["id"],
        name=node["name"],
        is_active=bool(node["isActive"]),
        fulfills_online_orders=bool(node["fulfillsOnlineOrders"]),
        is_fulfillment_service=bool(node["isFulfillmentService"]),
        address={key: value for key, value in (node.get("address") or {}).items() if value},
    )


async def connect_shop(
    client: GraphQLExecutor, engine: sa.Engine, shop_domain: str, public_url: str, now: datetime | None = None
) -> ConnectReport:
    identity = (await client.execute("ShopIdentity"))["shop"]
    if identity["myshopifyDomain"] != shop_domain:
        raise ConnectError(
            f"the access token opens {identity['myshopifyDomain']}, not {shop_domain}: "
            "check the shop's domain and token in the configuration"
        )
    locations = [shop_location(node) for node in await all_nodes(client, "ShopLocations", "locations")]
    with UnitOfWork(engine) as uow:
        shop = uow.shops.by_domain(shop_domain)
        if shop is None:
            raise ConnectError(f"shop {shop_domain} is not in the database; run `crossdock migrate` first")
        uow.shops.replace_locations(shop.id, locations)
        # The reconciliation poll starts from the moment the shop was first connected: older orders were
        # handled before the hub existed and must not be sent to a warehouse again.
        if uow.sync_cursors.get(cursor_source(shop_domain), ORDERS_CURSOR) is None:
            started = (now or utc_now()).isoformat()
            uow.sync_cursors.set(
                cursor_source(shop_domain), ORDERS_CURSOR, started, account_id=shop.account_id
            )
        uow.commit()

    callback_url = public_url.rstrip("/") + WEBHOOK_PATH
    report = ConnectReport(
        shop_name=identity["name"],
        plan=identity["plan"]["publicDisplayName"],
        callback_url=callback_url,
        locations=locations,
    )
    existing = await all_nodes(client, "WebhookSubscriptions", "webhookSubscriptions")
    for topic in SUBSCRIBED_TOPICS:
        same_topic = [node for node in existing if node["topic"] == topic_enum(topic)]
        if any(node["uri"] == callback_url for node in same_topic):
            report.kept.append(topic)
            continue
        report.elsewhere += [(topic, node["uri"]) for node in same_topic]
        await client.execute("WebhookSubscriptionCreate", {"topic": topic_enum(topic), "uri": callback_url})
        report.created.append(topic)
    return report
