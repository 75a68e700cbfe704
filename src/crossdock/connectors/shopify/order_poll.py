"""The reconciliation poll: Shopify does not guarantee webhook delivery, so every shop's orders updated since
the last poll (minus an overlap) are read back and sent through the same intake path as webhooks.

Each polled order is stored in the inbox under `<order gid>@<updatedAt>`: a version already polled is a
duplicate and changes nothing, and a version the webhook already brought is recognised by the order intake
as already seen. The cursor is the newest `updatedAt` read, persisted with the inputs of each page in one
transaction, and only ever moves forward.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crossdock.connectors.shopify.paging import GraphQLExecutor, pages
from crossdock.flows.intake import Input, record_input
from crossdock.store.shops import ShopRecord
from crossdock.store.unit_of_work import UnitOfWork

POLLED_ORDER_KIND = "order.graphql"
ORDERS_CURSOR = "orders.updated_at"
# Orders carry their line items: 50 per page keeps one page well under Shopify's single-query cost limit.
PAGE_SIZE = 50


def cursor_source(shop_domain: str) -> str:
    return f"shopify:{shop_domain}"


def parse_shopify_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class PollReport:
    since: datetime
    pages: int = 0
    orders: int = 0
    new_inputs: int = 0
    cursor: datetime | None = None


async def poll_orders(
    client: GraphQLExecutor,
    open_unit_of_work: Callable[[], UnitOfWork],
    shop: ShopRecord,
    *,
    overlap: timedelta,
    now: datetime,
) -> PollReport:
    source = cursor_source(shop.domain)
    with open_unit_of_work() as uow:
        stored = uow.sync_cursors.get(source, ORDERS_CURSOR)
    cursor = parse_shopify_time(stored) if stored else None
    # A shop never connected has no cursor: only the overlap before now is read, never its whole history.
    since = (cursor or now) - overlap
    report = PollReport(since=since, cursor=cursor)
    search = f"updated_at:>='{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    async for nodes in pages(client, "OrdersUpdatedSince", "orders", {"first": PAGE_SIZE, "query": search}):
        report.pages += 1
        report.orders += len(nodes)
        with open_unit_of_work() as uow:
            for node in nodes:
                recorded = record_input(
                    uow,
                    Input(
                        source="shopify",
                        kind=POLLED_ORDER_KIND,
                        dedupe_key=f"{node['id']}@{node['updatedAt']}",
                        payload=json.dumps(node, separators=(",", ":")).encode(),
                        headers={
                            "X-Shopify-Shop-Domain": shop.domain,
                            "X-Crossdock-Origin": "reconciliation poll",
                        },
                        account_id=shop.account_id,
                    ),
                )
                report.new_inputs += recorded.is_new
            newest = max((parse_shopify_time(node["updatedAt"]) for node in nodes), default=None)
            # Read again inside this transaction: another poll of the shop (the CLI's, say) may have moved it.
            current = uow.sync_cursors.get(source, ORDERS_CURSOR)
            report.cursor = parse_shopify_time(current) if current else None
            if newest is not None and (report.cursor is None or newest > report.cursor):
                report.cursor = newest
                uow.sync_cursors.set(source, ORDERS_CURSOR, newest.isoformat(), account_id=shop.account_id)
            uow.commit()
    return report
